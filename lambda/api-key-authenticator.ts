/**
 * Authenticates an API key: shape and checksum first (no I/O for garbage), then the SHA-256 is looked up in the
 * key table through a bounded cache, and the record is checked against the clock on every use (a cached record
 * still expires on time). Last use is recorded in the background, at most once per key per interval.
 */
import { hashApiKey, isWellFormedApiKey } from './api-key-format';
import { CachedLookup, type LookupOutcome } from './cached-lookup';
import type { KeyStore } from './dynamodb-key-store';
import { CredentialRejectedError } from './errors';
import { apiKeyRecordFromItem, apiKeyRecordProblem, type ApiKeyRecord } from './key-table-schema';
import { ClockCache } from './clock-cache';

export interface ApiKeyAuthenticatorOptions {
  readonly store: KeyStore;
  /** This deployment's key prefix, e.g. `ptc_live_`. Keys with another prefix never reach DynamoDB. */
  readonly keyPrefix: string;
  readonly cacheTtlMs: number;
  readonly negativeCacheTtlMs: number;
  readonly cacheMaxEntries: number;
  /** Minimum seconds between two last-used writes of one key. */
  readonly lastUsedIntervalSeconds: number;
  readonly nowMs: () => number;
  /** Told about a failed background last-used write; the answer is never changed by it. */
  readonly onLastUsedError: (error: unknown, keyId: string) => void;
}

export interface AuthenticatedApiKey {
  readonly record: ApiKeyRecord;
  readonly cacheHit: boolean;
}

/**
 * `unfinished`: a record the key CLI has written but not committed yet (its create or rotate is between its steps:
 * cli/keys/intents.ts). It is refused like any unusable record, but never remembered: it becomes a usable key
 * within seconds, and a client that tried it the moment the secret was printed must not be refused for the whole
 * KEY_CACHE_TTL after the command exits 0.
 */
type StoredKey = { readonly record: ApiKeyRecord } | { readonly malformed: CredentialRejectedError; readonly unfinished: boolean };

/** The statuses of a key CLI intent (cli/keys/intents.ts: PENDING_STATUS, ABANDONED_STATUS); lambda/ imports no cli/. */
const UNFINISHED_STATUSES: ReadonlySet<string> = new Set(['pending', 'abandoned']);

export class ApiKeyAuthenticator {
  private readonly lookup: CachedLookup<StoredKey>;
  private readonly lastUsedWrites: ClockCache<string, number>;
  private readonly pendingWrites = new Set<Promise<void>>();

  constructor(private readonly options: ApiKeyAuthenticatorOptions) {
    this.lookup = new CachedLookup(
      {
        maxEntries: options.cacheMaxEntries,
        positiveTtlMs: options.cacheTtlMs,
        negativeTtlMs: options.negativeCacheTtlMs,
        nowMs: options.nowMs,
      },
      async (keyHash): Promise<LookupOutcome<StoredKey>> => {
        const item = await options.store.getApiKeyItem(keyHash);
        if (item === undefined) return { found: false };
        try {
          return { found: true, value: { record: apiKeyRecordFromItem(item) } };
        } catch (error) {
          if (error instanceof CredentialRejectedError) {
            const status = (item.status as { S?: unknown } | undefined)?.S;
            return { found: true, value: { malformed: error, unfinished: typeof status === 'string' && UNFINISHED_STATUSES.has(status) } };
          }
          throw error;
        }
      },
    );
    this.lastUsedWrites = new ClockCache(options.cacheMaxEntries);
  }

  /** Keys currently cached (found, unknown or unreadable): never more than the configured maximum. */
  get cacheSize(): number {
    return this.lookup.size;
  }

  async authenticate(key: string, claimedKeyId?: string): Promise<AuthenticatedApiKey> {
    const keyHash = this.hashWellFormed(key);
    const { outcome, cacheHit } = await this.lookup.get(keyHash);
    // Forgotten in the same turn it was stored (no other request can run in between): the next use reads again.
    if (outcome.found && 'unfinished' in outcome.value && outcome.value.unfinished) this.lookup.delete(keyHash);
    return this.decide(keyHash, outcome, cacheHit, claimedKeyId);
  }

  /**
   * The same decision, synchronously, when the key's lookup is cached (the common case); undefined when it is not
   * and {@link authenticate} must read the table. Refusals throw as in authenticate.
   */
  authenticateCached(key: string, claimedKeyId?: string): AuthenticatedApiKey | undefined {
    // Only keys that passed the shape and checksum test are ever cached, so a hit needs no new test.
    const keyHash = hashApiKey(key);
    const outcome = this.lookup.peek(keyHash);
    return outcome === undefined ? undefined : this.decide(keyHash, outcome, true, claimedKeyId);
  }

  private hashWellFormed(key: string): string {
    if (!isWellFormedApiKey(key, this.options.keyPrefix)) {
      throw new CredentialRejectedError('malformed_api_key', 'API key has the wrong shape, prefix or checksum');
    }
    return hashApiKey(key);
  }

  private decide(keyHash: string, outcome: LookupOutcome<StoredKey>, cacheHit: boolean, claimedKeyId?: string): AuthenticatedApiKey {
    if (!outcome.found) throw new CredentialRejectedError('unknown_api_key', 'API key is not known');
    if ('malformed' in outcome.value) throw outcome.value.malformed;
    const { record } = outcome.value;
    if (claimedKeyId !== undefined && claimedKeyId !== record.keyId) {
      throw new CredentialRejectedError('api_key_id_mismatch', 'Basic user name is not the key id of this key');
    }
    const nowMs = this.options.nowMs();
    const problem = apiKeyRecordProblem(record, Math.floor(nowMs / 1000));
    if (problem !== undefined) throw new CredentialRejectedError(problem, `API key is ${problem.slice(8).replace(/_/g, ' ')}`);
    this.recordLastUse(keyHash, record, nowMs);
    return { record, cacheHit };
  }

  /** Resolves when every background last-used write started so far has settled (tests, graceful shutdown). */
  async flush(): Promise<void> {
    await Promise.all([...this.pendingWrites]);
  }

  private recordLastUse(keyHash: string, record: ApiKeyRecord, nowMs: number): void {
    const intervalMs = this.options.lastUsedIntervalSeconds * 1000;
    if (this.lastUsedWrites.get(keyHash, nowMs) !== undefined) return;
    const nowSeconds = Math.floor(nowMs / 1000);
    if (record.lastUsedAt !== undefined && record.lastUsedAt > nowSeconds - this.options.lastUsedIntervalSeconds) {
      // The stored value is recent enough: remember that instead of writing.
      this.lastUsedWrites.set(keyHash, nowMs, (record.lastUsedAt + this.options.lastUsedIntervalSeconds) * 1000 - nowMs, nowMs);
      return;
    }
    this.lastUsedWrites.set(keyHash, nowMs, intervalMs, nowMs);
    const write = this.options.store
      .touchLastUsed(keyHash, nowSeconds, nowSeconds - this.options.lastUsedIntervalSeconds)
      .catch((error: unknown) => this.options.onLastUsedError(error, record.keyId))
      .finally(() => this.pendingWrites.delete(write));
    this.pendingWrites.add(write);
  }
}
