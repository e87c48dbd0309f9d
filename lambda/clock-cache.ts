/**
 * A bounded cache whose entries also expire, evicting the least recently used first (approximately: the CLOCK /
 * "second chance" scheme). A hit only sets a flag instead of moving the entry, so reads never mutate the map: with
 * 800-character token keys, re-inserting on every hit was a third of the repeated-token path. On eviction a hand
 * walks the entries in insertion order, wrapping around: an entry used since the hand last passed loses its flag and
 * stays, the first one not used goes, so a busy entry is never evicted before an idle one. The hand is a live Map
 * iterator that resumes where it stopped (restarting from the oldest entry on every eviction cost 0.6 us per insert
 * on a full cache). Hard size limit: memory stays bounded whatever callers send. Time comes from the caller.
 */
interface Entry<V> {
  value: V;
  expiresAtMs: number;
  used: boolean;
}

export class ClockCache<K, V> {
  private readonly entries = new Map<K, Entry<V>>();
  /** The CLOCK hand; Map iterators stay valid across inserts and deletes. */
  private hand: Iterator<K> | undefined;

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
    this.hand = undefined;
  }

  /** Drops the first entry the hand reaches that was not used since its last pass (or has expired). */
  private evictOne(nowMs: number): void {
    // Each step clears a flag or evicts: one full turn clears every flag, so two turns always evict. Bounded.
    const maxSteps = 2 * this.entries.size + 2;
    for (let step = 0; step < maxSteps; step++) {
      let next = this.hand?.next();
      if (next === undefined || next.done === true) {
        this.hand = this.entries.keys();
        next = this.hand.next();
        if (next.done === true) return;
      }
      const key = next.value;
      const entry = this.entries.get(key)!;
      if (entry.used && entry.expiresAtMs > nowMs) {
        entry.used = false;
        continue;
      }
      this.entries.delete(key);
      return;
    }
    // Unreachable by the argument above; kept so that the bound never depends on it.
    const oldest = this.entries.keys().next();
    if (oldest.done !== true) this.entries.delete(oldest.value);
  }
}
