/**
 * Memoises an async lookup in a bounded CLOCK cache: found values for `positiveTtlMs`, "not found" for the (shorter)
 * `negativeTtlMs`, failures never. Concurrent lookups of one key share a single call, so a burst of requests with
 * one key costs one read.
 */
import { ClockCache } from './clock-cache';

export type LookupOutcome<T> = { readonly found: true; readonly value: T } | { readonly found: false };

export interface CachedLookupOptions {
  readonly maxEntries: number;
  readonly positiveTtlMs: number;
  readonly negativeTtlMs: number;
  readonly nowMs: () => number;
}

export class CachedLookup<T> {
  private readonly cache: ClockCache<string, LookupOutcome<T>>;
  private readonly inFlight = new Map<string, Promise<LookupOutcome<T>>>();

  constructor(
    private readonly options: CachedLookupOptions,
    private readonly load: (key: string) => Promise<LookupOutcome<T>>,
  ) {
    this.cache = new ClockCache(options.maxEntries);
  }

  get size(): number {
    return this.cache.size;
  }

  /** The cached outcome, if any, without loading. */
  peek(key: string): LookupOutcome<T> | undefined {
    return this.cache.get(key, this.options.nowMs());
  }

  async get(key: string): Promise<{ outcome: LookupOutcome<T>; cacheHit: boolean }> {
    const cached = this.cache.get(key, this.options.nowMs());
    if (cached !== undefined) return { outcome: cached, cacheHit: true };
    let pending = this.inFlight.get(key);
    if (pending === undefined) {
      pending = this.load(key).then(
        (outcome) => {
          this.inFlight.delete(key);
          const ttl = outcome.found ? this.options.positiveTtlMs : this.options.negativeTtlMs;
          this.cache.set(key, outcome, ttl, this.options.nowMs());
          return outcome;
        },
        (error: unknown) => {
          this.inFlight.delete(key);
          throw error;
        },
      );
      this.inFlight.set(key, pending);
    }
    return { outcome: await pending, cacheHit: false };
  }

  delete(key: string): void {
    this.cache.delete(key);
  }
}
