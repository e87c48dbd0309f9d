/**
 * API Gateway's authorizer result cache: the authorizer's valid output (Allow and Deny policies alike) is kept per
 * identity-source value for the TTL and reused for every route of the API; errors, 401s and invalid outputs are
 * never cached. TTL 0 turns it off.
 */
import type { ValidAuthorizerResult } from './authorizer-result';

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
