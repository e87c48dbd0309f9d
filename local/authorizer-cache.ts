/**
 * API Gateway's authorizer result cache: the authorizer's valid output (Allow and Deny policies alike) is kept per
 * identity-source values for the TTL and reused for every request with the same values; errors, 401s and invalid
 * outputs are never cached. TTL 0 turns it off.
 */
import type { CacheKeyMode } from '../lambda/cache-key-mode';
import type { ValidAuthorizerResult } from './authorizer-result';

/**
 * The cache key for a request: the Authorization values, plus `context.httpMethod` and `context.resourcePath` (the
 * method as sent and the resource template) under the route key.
 */
export function authorizerCacheKey(mode: CacheKeyMode, authorization: readonly string[], httpMethod: string, resourcePath: string): string {
  return mode === 'route' ? JSON.stringify([authorization, httpMethod, resourcePath]) : JSON.stringify(authorization);
}

interface Entry {
  readonly result: ValidAuthorizerResult;
  readonly expiresAtMs: number;
}

export class AuthorizerResultCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly ttlSeconds: number,
    private readonly nowMs: () => number = Date.now,
    private readonly maxEntries = 10_000,
  ) {}

  get enabled(): boolean {
    return this.ttlSeconds > 0;
  }

  get(identity: string): ValidAuthorizerResult | undefined {
    const entry = this.entries.get(identity);
    if (!entry) return undefined;
    if (entry.expiresAtMs <= this.nowMs()) {
      this.entries.delete(identity);
      return undefined;
    }
    return entry.result;
  }

  set(identity: string, result: ValidAuthorizerResult): void {
    if (!this.enabled) return;
    if (this.entries.size >= this.maxEntries) {
      const now = this.nowMs();
      for (const [key, entry] of this.entries) if (entry.expiresAtMs <= now) this.entries.delete(key);
      // Still full: drop the oldest insertion.
      if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    }
    this.entries.set(identity, { result, expiresAtMs: this.nowMs() + this.ttlSeconds * 1000 });
  }

  clear(): void {
    this.entries.clear();
  }
}
