/**
 * A bounded cache whose entries also expire, evicting the least recently used first (approximately: the "second
 * chance" / CLOCK scheme). A hit only sets a flag instead of moving the entry, so reads never mutate the map: with
 * 800-character token keys, re-inserting on every hit was a third of the repeated-token path. On eviction, entries
 * used since they were last passed over get moved to the back, so a busy entry is never evicted before an idle one.
 * Hard size limit: memory stays bounded whatever callers send. Time comes from the caller.
 */
interface Entry<V> {
  value: V;
  expiresAtMs: number;
  used: boolean;
}

export class LruCache<K, V> {
  private readonly entries = new Map<K, Entry<V>>();

  constructor(private readonly maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError('maxEntries must be a positive integer');
  }

  get size(): number {
    return this.entries.size;
  }

  /** The live value for `key`, or undefined when absent or expired (an expired entry is dropped). */
  get(key: K, nowMs: number): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAtMs <= nowMs) {
      this.entries.delete(key);
      return undefined;
    }
    entry.used = true;
    return entry.value;
  }

  set(key: K, value: V, ttlMs: number, nowMs: number): void {
    if (ttlMs <= 0) return;
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) this.evictOne(nowMs);
    this.entries.set(key, { value, expiresAtMs: nowMs + ttlMs, used: false });
  }

  delete(key: K): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  /** Drops the oldest entry not used since it was last passed over (expired entries first come, first go). */
  private evictOne(nowMs: number): void {
    // Each pass clears a flag or evicts, so at most size + 1 steps: bounded.
    for (;;) {
      const oldest = this.entries.entries().next();
      if (oldest.done) return;
      const [key, entry] = oldest.value;
      this.entries.delete(key);
      if (entry.used && entry.expiresAtMs > nowMs) {
        entry.used = false;
        this.entries.set(key, entry);
        continue;
      }
      return;
    }
  }
}
