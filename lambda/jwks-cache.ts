/**
 * A JWKS cache for aws-jwt-verify that closes the library's gaps:
 * - a response is accepted only if it parses, is a JWKS, and holds at least one usable signing key; anything else
 *   (HTML, `{"keys":[]}`, garbage, oversize) keeps the good keys already cached and is reported as a fault;
 * - at most one fetch per JWKS URI per refetch interval, whatever the trigger (unknown kids, failures), and
 *   concurrent callers share one fetch;
 * - keys older than the maximum age are refreshed in the background while still serving (a key the issuer removed
 *   stops verifying within that age).
 *
 * An unknown kid right after a successful fetch is the caller's problem (401); an unknown kid when the issuer
 * cannot be reached is ours (500).
 */
import type { JwksCache } from 'aws-jwt-verify/jwk';
import type { Jwk, Jwks, JwkWithKid } from 'aws-jwt-verify/jwk';
import type { DecomposedJwt } from 'aws-jwt-verify/jwt';
import {
  JwksNotAvailableInCacheError,
  JwtInvalidSignatureAlgorithmError,
  JwtWithoutValidKidError,
  KidNotFoundInJwksError,
} from 'aws-jwt-verify/error';
import { DependencyFaultError } from './errors';
import type { JwksDocumentFetcher } from './jwks-fetcher';
import { hasRocaFingerprint } from './roca-fingerprint';

export interface HardenedJwksCacheOptions {
  readonly fetchDocument: JwksDocumentFetcher;
  readonly refetchIntervalMs: number;
  readonly maxAgeMs: number;
  readonly nowMs: () => number;
  /** Told about failed background refreshes (the request that triggered one is not affected). */
  readonly onBackgroundError?: (error: unknown, jwksUri: string) => void;
  /**
   * Told when a refresh removed a kid or changed the key behind one, so that whatever was derived from the old keys
   * (aws-jwt-verify's key objects, remembered verified tokens) can be dropped.
   */
  readonly onKeysChanged?: (jwksUri: string) => void;
}

/** Whether `next` lacks a kid of `previous`, or holds other key material under it. */
function keysChanged(previous: ReadonlyMap<string, JwkWithKid> | undefined, next: ReadonlyMap<string, JwkWithKid>): boolean {
  if (previous === undefined) return false;
  for (const [kid, jwk] of previous) {
    const replacement = next.get(kid);
    if (replacement === undefined || JSON.stringify(replacement) !== JSON.stringify(jwk)) return true;
  }
  return false;
}

/** Largest number of keys taken from one JWKS: bounds memory and lookup time. */
export const MAX_JWKS_KEYS = 100;

interface UriState {
  keys?: Map<string, JwkWithKid>;
  jwks?: Jwks;
  fetchedAtMs: number;
  lastAttemptMs?: number;
  lastAttemptFailed: boolean;
  inFlight?: Promise<void>;
}

function isStrongRsaModulus(modulus: Buffer): boolean {
  const significant = modulus[0] === 0 ? modulus.subarray(1) : modulus;
  return significant.length >= 256 && !hasRocaFingerprint(significant);
}

function isUsableSigningKey(value: unknown): value is JwkWithKid {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const jwk = value as Record<string, unknown>;
  if (typeof jwk.kid !== 'string' || jwk.kid === '') return false;
  if (jwk.use !== undefined && jwk.use !== 'sig') return false;
  // key_ops (RFC 7517 4.3), which aws-jwt-verify ignores: when present it must allow verification.
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify'))) return false;
  for (const field of ['alg', 'n', 'e', 'x', 'y', 'crv', 'use'] as const) {
    if (field in jwk && typeof jwk[field] !== 'string') return false;
  }
  switch (jwk.kty) {
    case 'RSA':
      if (typeof jwk.n !== 'string' || typeof jwk.e !== 'string') return false;
      // Refuse keys under 2048 bits and ROCA-flawed keys: the issuer's weakness would become ours.
      return isStrongRsaModulus(Buffer.from(jwk.n, 'base64url'));
    case 'EC':
      return typeof jwk.crv === 'string' && typeof jwk.x === 'string' && typeof jwk.y === 'string';
    case 'OKP':
      return typeof jwk.crv === 'string' && typeof jwk.x === 'string';
    default:
      return false;
  }
}

/** Parses a fetched document into usable signing keys by kid, or throws a fault explaining why it is unusable. */
export function parseJwksDocument(body: Buffer): Map<string, JwkWithKid> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body), (key, value: unknown) =>
      key === '__proto__' || key === 'constructor' ? undefined : value,
    );
  } catch {
    throw new DependencyFaultError('jwks_unavailable', 'JWKS response is not JSON');
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (typeof parsed !== 'object' || parsed === null || !Array.isArray(keys)) {
    throw new DependencyFaultError('jwks_unavailable', 'JWKS response has no "keys" array');
  }
  const usable = new Map<string, JwkWithKid>();
  const duplicated = new Set<string>();
  for (const key of keys.slice(0, MAX_JWKS_KEYS)) {
    if (!isUsableSigningKey(key)) continue;
    if (usable.has(key.kid)) duplicated.add(key.kid);
    usable.set(key.kid, key);
  }
  // A kid listed twice is ambiguous: keep neither copy.
  for (const kid of duplicated) usable.delete(kid);
  if (usable.size === 0) throw new DependencyFaultError('jwks_unavailable', 'JWKS response holds no usable signing key');
  return usable;
}

const CURVE_OF: Readonly<Record<string, string>> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521', EdDSA: 'Ed25519' };

/**
 * The key must be of the family the token's `alg` names (aws-jwt-verify only compares `alg` when the JWK has one,
 * and would otherwise verify an "RS256" token with an EC key), and of its curve.
 */
export function assertKeyFitsAlgorithm(jwk: JwkWithKid, alg: unknown): void {
  const fits =
    typeof alg === 'string' &&
    (alg.startsWith('RS') ? jwk.kty === 'RSA' : alg.startsWith('ES') ? jwk.kty === 'EC' && jwk.crv === CURVE_OF[alg] : alg === 'EdDSA' && jwk.kty === 'OKP' && jwk.crv === 'Ed25519');
  if (!fits) throw new JwtInvalidSignatureAlgorithmError('Token algorithm does not fit the key', alg as string, undefined);
}

export class HardenedJwksCache implements JwksCache {
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

  private refresh(jwksUri: string): Promise<void> {
    const state = this.state(jwksUri);
    if (state.inFlight) return state.inFlight;
    state.lastAttemptMs = this.options.nowMs();
    state.inFlight = this.options
      .fetchDocument(jwksUri)
      .then((body) => {
        this.replaceKeys(jwksUri, state, parseJwksDocument(body));
        state.lastAttemptFailed = false;
      })
      .catch((error: unknown) => {
        state.lastAttemptFailed = true;
        throw error instanceof DependencyFaultError
          ? error
          : new DependencyFaultError('jwks_unavailable', 'JWKS fetch failed', { cause: error });
      })
      .finally(() => {
        state.inFlight = undefined;
      });
    return state.inFlight;
  }

  private mayFetch(state: UriState): boolean {
    return state.lastAttemptMs === undefined || this.options.nowMs() - state.lastAttemptMs >= this.options.refetchIntervalMs;
  }

  private refreshInBackgroundIfOld(jwksUri: string, state: UriState): void {
    if (state.inFlight || this.options.nowMs() - state.fetchedAtMs < this.options.maxAgeMs || !this.mayFetch(state)) return;
    this.refresh(jwksUri).catch((error: unknown) => this.options.onBackgroundError?.(error, jwksUri));
  }

  getCachedJwk(jwksUri: string, decomposedJwt: DecomposedJwt): JwkWithKid {
    const kid = decomposedJwt.header.kid;
    if (typeof kid !== 'string') throw new JwtWithoutValidKidError('JWT header does not have valid kid claim');
    const state = this.states.get(jwksUri);
    if (!state?.keys) throw new JwksNotAvailableInCacheError('JWKS not yet available in cache');
    const jwk = state.keys.get(kid);
    if (!jwk) throw new KidNotFoundInJwksError('JWK for kid not found in the cached JWKS');
    this.refreshInBackgroundIfOld(jwksUri, state);
    assertKeyFitsAlgorithm(jwk, decomposedJwt.header.alg);
    return jwk;
  }

  async getJwk(jwksUri: string, decomposedJwt: DecomposedJwt): Promise<JwkWithKid> {
    const kid = decomposedJwt.header.kid;
    if (typeof kid !== 'string') throw new JwtWithoutValidKidError('JWT header does not have valid kid claim');
    const state = this.state(jwksUri);
    const cached = state.keys?.get(kid);
    if (cached) {
      this.refreshInBackgroundIfOld(jwksUri, state);
      assertKeyFitsAlgorithm(cached, decomposedJwt.header.alg);
      return cached;
    }
    if (state.inFlight) {
      await state.inFlight;
    } else if (this.mayFetch(state)) {
      await this.refresh(jwksUri);
    } else if (state.lastAttemptFailed || !state.keys) {
      throw new DependencyFaultError('jwks_unavailable', 'JWKS endpoint failed recently; not refetching yet');
    }
    const jwk = state.keys?.get(kid);
    if (!jwk) throw new KidNotFoundInJwksError('JWK for kid not found in the JWKS');
    assertKeyFitsAlgorithm(jwk, decomposedJwt.header.alg);
    return jwk;
  }

  /** Fetches the JWKS now (subject to the refetch interval when keys are cached). Used to hydrate at start. */
  async getJwks(jwksUri: string): Promise<Jwks> {
    const state = this.state(jwksUri);
    if (state.inFlight) await state.inFlight;
    else if (!state.keys || this.mayFetch(state)) await this.refresh(jwksUri);
    return state.jwks!;
  }

  addJwks(jwksUri: string, jwks: Jwks): void {
    this.replaceKeys(jwksUri, this.state(jwksUri), parseJwksDocument(Buffer.from(JSON.stringify(jwks))));
  }

  private replaceKeys(jwksUri: string, state: UriState, keys: Map<string, JwkWithKid>): void {
    const changed = keysChanged(state.keys, keys);
    state.keys = keys;
    state.jwks = { keys: [...keys.values()] };
    state.fetchedAtMs = this.options.nowMs();
    if (changed) this.options.onKeysChanged?.(jwksUri);
  }
}

export type { Jwk };
