/**
 * Resolves which usage plan (and hidden usage key) a JWT client is metered under: a binding stored in the key
 * table by `keys clients bind`, else the configured default. The lookup in the key table (a bounded cache shared in
 * logic with API keys) comes with the key table's features (key-table-features.ts); without a key table every
 * client gets the default.
 */
import type { CachedLookup, LookupOutcome } from './cached-lookup';
import type { ClientBindingRecord } from './key-table-schema';

/** Joins issuer and client id in the lookup's key; a NUL cannot occur in an issuer URL. */
export const CLIENT_BINDING_KEY_SEPARATOR = '\u0000';

export interface UsageBinding {
  readonly plan?: string;
  readonly usageIdentifierKey?: string;
}

export interface ClientBindingResolverOptions {
  /** Bindings in the key table; undefined without one. */
  readonly lookup?: CachedLookup<ClientBindingRecord>;
  readonly defaultBinding: UsageBinding;
}

export class ClientBindingResolver {
  private readonly lookup?: CachedLookup<ClientBindingRecord>;

  constructor(private readonly options: ClientBindingResolverOptions) {
    this.lookup = options.lookup;
  }

  async resolve(issuer: string, clientId: string | undefined): Promise<UsageBinding> {
    if (this.lookup === undefined || clientId === undefined) return this.options.defaultBinding;
    const { outcome } = await this.lookup.get(issuer + CLIENT_BINDING_KEY_SEPARATOR + clientId);
    return this.bindingOf(outcome);
  }

  /** The binding without I/O when it is known (cached, or no table); undefined when {@link resolve} must read. */
  resolveCached(issuer: string, clientId: string | undefined): UsageBinding | undefined {
    if (this.lookup === undefined || clientId === undefined) return this.options.defaultBinding;
    const outcome = this.lookup.peek(issuer + CLIENT_BINDING_KEY_SEPARATOR + clientId);
    return outcome === undefined ? undefined : this.bindingOf(outcome);
  }

  private bindingOf(outcome: LookupOutcome<ClientBindingRecord>): UsageBinding {
    // The record carries the binding's two fields itself: no object per request.
    return outcome.found ? outcome.value : this.options.defaultBinding;
  }
}
