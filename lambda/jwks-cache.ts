/**
 * The JWKS cache of the JWT authenticator. It closes aws-jwt-verify's gaps:
 * - a response is accepted only if it parses, is a JWKS, and holds at least one usable signing key (each key is
 *   checked and imported on load: jwks-document.ts); anything else (HTML, `{"keys":[]}`, garbage, oversize) keeps the
 *   good keys already cached and is reported as a fault;
 * - at most one fetch per JWKS URI per refetch interval, whatever the trigger (unknown kids, failures), and
 *   concurrent callers share one fetch;
 * - keys older than the maximum age are refreshed in the background while still serving (a key the issuer removed
 *   stops verifying within that age);
 * - the imported key objects live with the key set they came from, so a replaced key set can never leave an old key
 *   object behind under a reused kid.
 *
 * An unknown kid right after a successful fetch is the caller's problem (401); an unknown kid when the issuer
 * cannot be reached is ours (500).
 */
import { CredentialRejectedError, DependencyFaultError } from './errors';
import type { JwksDocumentFetcher } from './jwks-fetcher';
import { parseJwksDocument, type DroppedKey, type VerificationKey } from './jwks-document';

export interface HardenedJwksCacheOptions {
  readonly fetchDocument: JwksDocumentFetcher;
  readonly refetchIntervalMs: number;
  readonly maxAgeMs: number;
  readonly nowMs: () => number;
  /** Told about failed background refreshes (the request that triggered one is not affected). */
  readonly onBackgroundError?: (error: unknown, jwksUri: string) => void;
  /**
   * Told when a refresh removed a kid or changed the key behind one, so that whatever was derived from the old keys
   * (tokens remembered as verified) can be dropped.
   */
  readonly onKeysChanged?: (jwksUri: string) => void;
  /** Told about each key of a loaded document that cannot verify tokens (no key material in `dropped`). */
  readonly onKeyDropped?: (jwksUri: string, dropped: DroppedKey) => void;
}

/** Whether `next` lacks a kid of `previous`, or holds other key material under it. */
function keysChanged(previous: ReadonlyMap<string, VerificationKey> | undefined, next: ReadonlyMap<string, VerificationKey>): boolean {
  if (previous === undefined) return false;
  for (const [kid, key] of previous) {
    const replacement = next.get(kid);
    if (replacement === undefined || JSON.stringify(replacement.jwk) !== JSON.stringify(key.jwk)) return true;
  }
  return false;
}

interface UriState {
  keys?: Map<string, VerificationKey>;
  fetchedAtMs: number;
  lastAttemptMs?: number;
  lastAttemptFailed: boolean;
  inFlight?: Promise<void>;
}

export class HardenedJwksCache {
  private readonly states = new Map<string, UriState>();

  constructor(private readonly options: HardenedJwksCacheOptions) {}

  private state(jwksUri: string): UriState {
    let state = this.states.get(jwksUri);
    if (!state) {
      state = { fetchedAtMs: 0, lastAttemptFailed: false };
      this.states.set(jwksUri, state);
    }
    return state;
  }

  /**
   * Fetches and loads the document. A failed `prefetch` leaves no trace: the refetch interval does not start, so the
   * first request fetches as if no prefetch had been tried.
   */
  private refresh(jwksUri: string, prefetch = false): Promise<void> {
    const state = this.state(jwksUri);
    if (state.inFlight) return state.inFlight;
    const previousAttempt = { at: state.lastAttemptMs, failed: state.lastAttemptFailed };
    state.lastAttemptMs = this.options.nowMs();
    state.inFlight = this.options
      .fetchDocument(jwksUri)
      .then((body) => {
        this.replaceKeys(jwksUri, state, this.parse(jwksUri, body));
        state.lastAttemptFailed = false;
      })
      .catch((error: unknown) => {
        if (prefetch) {
          state.lastAttemptMs = previousAttempt.at;
          state.lastAttemptFailed = previousAttempt.failed;
        } else state.lastAttemptFailed = true;
        throw error instanceof DependencyFaultError
          ? error
          : new DependencyFaultError('jwks_unavailable', 'JWKS fetch failed', { cause: error });
      })
      .finally(() => {
        state.inFlight = undefined;
      });
    return state.inFlight;
  }

  private parse(jwksUri: string, body: Buffer): Map<string, VerificationKey> {
    const onKeyDropped = this.options.onKeyDropped;
    return parseJwksDocument(body, onKeyDropped && ((dropped) => onKeyDropped(jwksUri, dropped)));
  }

  private mayFetch(state: UriState): boolean {
    return state.lastAttemptMs === undefined || this.options.nowMs() - state.lastAttemptMs >= this.options.refetchIntervalMs;
  }

  private refreshInBackgroundIfOld(jwksUri: string, state: UriState): void {
    if (state.inFlight || this.options.nowMs() - state.fetchedAtMs < this.options.maxAgeMs || !this.mayFetch(state)) return;
    this.refresh(jwksUri).catch((error: unknown) => this.options.onBackgroundError?.(error, jwksUri));
  }

  /** The key for `kid` when the cached set has it (the common case: no fetch, no promise); else undefined. */
  keyAtHand(jwksUri: string, kid: string): VerificationKey | undefined {
    const state = this.states.get(jwksUri);
    const key = state?.keys?.get(kid);
    if (key !== undefined) this.refreshInBackgroundIfOld(jwksUri, state!);
    return key;
  }

  /**
   * The key for `kid`, fetching the set first when it is not cached or lacks the kid (at most once per refetch
   * interval). Rejects with CredentialRejectedError `unknown_kid` when a usable set lacks it, DependencyFaultError when
   * no set could be had.
   */
  async fetchKey(jwksUri: string, kid: string): Promise<VerificationKey> {
    const state = this.state(jwksUri);
    const cached = state.keys?.get(kid);
    if (cached) return cached;
    if (state.inFlight) {
      await state.inFlight;
    } else if (this.mayFetch(state)) {
      await this.refresh(jwksUri);
    } else if (state.lastAttemptFailed || !state.keys) {
      throw new DependencyFaultError('jwks_unavailable', 'JWKS endpoint failed recently; not refetching yet');
    }
    const key = state.keys?.get(kid);
    if (!key) throw new CredentialRejectedError('unknown_kid', 'Token key id is not in the issuer JWKS');
    return key;
  }

  /**
   * Loads the set now unless one is cached or being fetched: the cold-start prefetch (aws-jwt-verify's `hydrate`).
   * Rejects when it fails, leaving the request path to fetch as if it had not been tried.
   */
  async prefetch(jwksUri: string): Promise<void> {
    const state = this.state(jwksUri);
    if (state.inFlight) return state.inFlight;
    if (state.keys) return;
    return this.refresh(jwksUri, true);
  }

  /** Loads a key set given out of band (e.g. bundled with the function), as if it had just been fetched. */
  addJwks(jwksUri: string, jwks: { keys: readonly unknown[] }): void {
    this.replaceKeys(jwksUri, this.state(jwksUri), this.parse(jwksUri, Buffer.from(JSON.stringify(jwks))));
  }

  private replaceKeys(jwksUri: string, state: UriState, keys: Map<string, VerificationKey>): void {
    const changed = keysChanged(state.keys, keys);
    state.keys = keys;
    state.fetchedAtMs = this.options.nowMs();
    if (changed) this.options.onKeysChanged?.(jwksUri);
  }
}
