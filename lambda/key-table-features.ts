/**
 * What only a deployment with a key table (KEY_TABLE_NAME) runs: API keys (`ApiKey` and HTTP Basic) and the usage
 * bindings of JWT clients, both read from DynamoDB through bounded caches. The bundle builds this module into its own
 * file (`key-table.js`, next to `index.js`), required at cold start only when a key table is configured
 * (split-features-loader.ts): a JWT-only deployment never reads nor compiles it.
 */
import { ApiKeyAuthenticator } from './api-key-authenticator';
import { CachedLookup, type LookupOutcome } from './cached-lookup';
import type { AuthorizerConfig } from './config';
import { DynamoDbKeyStore, type KeyStore } from './dynamodb-key-store';
import { CredentialRejectedError, DependencyFaultError } from './errors';
import { clientBindingFromItem, type ClientBindingRecord } from './key-table-schema';
import { CLIENT_BINDING_KEY_SEPARATOR } from './client-bindings';

export interface KeyTableFeatures {
  readonly apiKeys: ApiKeyAuthenticator;
  /** Client bindings by `<issuer>\0<client id>` (the resolver's key: client-bindings.ts). */
  readonly clientBindings: CachedLookup<ClientBindingRecord>;
}

export interface KeyTableOptions {
  /** Defaults to DynamoDB through the SDK, on KEY_TABLE_NAME. */
  readonly store?: KeyStore;
  readonly nowMs: () => number;
  /** Told about a failed background last-used write; the answer is never changed by it. */
  readonly onLastUsedError: (error: unknown, keyId: string) => void;
}

export function createKeyTableFeatures(config: AuthorizerConfig, options: KeyTableOptions): KeyTableFeatures {
  const store =
    options.store ??
    new DynamoDbKeyStore({
      tableName: config.keyTableName!,
      requestTimeoutMs: config.dynamoDbTimeoutMs,
      connectTimeoutMs: config.dynamoDbConnectTimeoutMs,
      maxAttempts: config.dynamoDbMaxAttempts,
    });
  const cacheOptions = {
    maxEntries: config.keyCacheMaxEntries,
    positiveTtlMs: config.keyCacheTtlSeconds * 1000,
    negativeTtlMs: config.keyNegativeCacheTtlSeconds * 1000,
    nowMs: options.nowMs,
  };
  const clientBindings = new CachedLookup<ClientBindingRecord>(cacheOptions, async (key): Promise<LookupOutcome<ClientBindingRecord>> => {
    const separator = key.indexOf(CLIENT_BINDING_KEY_SEPARATOR);
    const item = await store.getClientBindingItem(key.slice(0, separator), key.slice(separator + 1));
    if (item === undefined) return { found: false };
    try {
      return { found: true, value: clientBindingFromItem(item) };
    } catch (error) {
      // A broken binding is an operator's mistake, not the caller's: fail closed with a 500, not a 401.
      if (error instanceof CredentialRejectedError) {
        throw new DependencyFaultError('internal_error', 'Client binding record is malformed', { cause: error });
      }
      throw error;
    }
  });
  return {
    apiKeys: new ApiKeyAuthenticator({
      store,
      keyPrefix: config.apiKeyPrefix,
      cacheTtlMs: cacheOptions.positiveTtlMs,
      negativeCacheTtlMs: cacheOptions.negativeTtlMs,
      cacheMaxEntries: cacheOptions.maxEntries,
      lastUsedIntervalSeconds: config.lastUsedIntervalSeconds,
      nowMs: options.nowMs,
      onLastUsedError: options.onLastUsedError,
    }),
    clientBindings,
  };
}
