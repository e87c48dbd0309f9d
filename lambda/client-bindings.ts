/**
 * Resolves which usage plan (and hidden usage key) a JWT client is metered under: a binding stored in the key
 * table by `keys clients bind`, else the configured default. Lookups share the bounded cache logic of API keys.
 */
import { CachedLookup, type LookupOutcome } from './cached-lookup';
import type { KeyStore } from './dynamodb-key-store';
import { CredentialRejectedError, DependencyFaultError } from './errors';
import { clientBindingFromItem, type ClientBindingRecord } from './key-table-schema';

/** Joins issuer and client id in a cache key; a NUL cannot occur in an issuer URL. */
const KEY_SEPARATOR = '\u0000';

export interface UsageBinding {
  readonly plan?: string;
  readonly usageIdentifierKey?: string;
}

export interface ClientBindingResolverOptions {
  readonly store?: KeyStore;
  readonly defaultBinding: UsageBinding;
  readonly cacheTtlMs: number;
  readonly negativeCacheTtlMs: number;
  readonly cacheMaxEntries: number;
  readonly nowMs: () => number;
}

export class ClientBindingResolver {
  private readonly lookup?: CachedLookup<ClientBindingRecord>;

  constructor(private readonly options: ClientBindingResolverOptions) {
    const store = options.store;
    if (store === undefined) return;
    this.lookup = new CachedLookup<ClientBindingRecord>(
      {
        maxEntries: options.cacheMaxEntries,
        positiveTtlMs: options.cacheTtlMs,
        negativeTtlMs: options.negativeCacheTtlMs,
        nowMs: options.nowMs,
      },
      async (key): Promise<LookupOutcome<ClientBindingRecord>> => {
        const separator = key.indexOf(KEY_SEPARATOR);
        const issuer = key.slice(0, separator);
        const clientId = key.slice(separator + 1);
        const item = await store.getClientBindingItem(issuer, clientId);
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
      },
    );
  }

  async resolve(issuer: string, clientId: string | undefined): Promise<UsageBinding> {
    if (this.lookup === undefined || clientId === undefined) return this.options.defaultBinding;
    const { outcome } = await this.lookup.get(issuer + KEY_SEPARATOR + clientId);
    return this.bindingOf(outcome);
  }

  /** The binding without I/O when it is known (cached, or no table); undefined when {@link resolve} must read. */
  resolveCached(issuer: string, clientId: string | undefined): UsageBinding | undefined {
    if (this.lookup === undefined || clientId === undefined) return this.options.defaultBinding;
    const outcome = this.lookup.peek(issuer + KEY_SEPARATOR + clientId);
    return outcome === undefined ? undefined : this.bindingOf(outcome);
  }

  private bindingOf(outcome: LookupOutcome<ClientBindingRecord>): UsageBinding {
    // The record carries the binding's two fields itself: no object per request.
    return outcome.found ? outcome.value : this.options.defaultBinding;
  }
}
