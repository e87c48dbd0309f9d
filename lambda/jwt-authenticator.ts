/**
 * Verifies OAuth 2.0 / OIDC access tokens against the configured issuers, in fixed steps (RFC 7515 5.2, RFC 7519 7.2;
 * the order panva/jose keeps). Every refusal is a CredentialRejectedError (401) with a stable code, raised by the
 * step that found it; only a JWKS that cannot be had is a DependencyFaultError (500).
 *   1. shape      three non-empty, canonical, unpadded base64url segments          compact-jws.ts
 *   2. header     a JSON object without `crit`                                      compact-jws.ts
 *   3. alg        an asymmetric algorithm of the allow-list                         compact-jws.ts
 *   4. key        `iss` configured; its JWKS key for `kid`, of the family `alg` needs  jwks-cache.ts, jwks-document.ts
 *   5. signature  false for every wrong signature, never an exception               jws-signature.ts
 *   6. claims     aws-jwt-verify's (iss, aud, exp, nbf), Cognito's (token_use, client_id), then ours: `exp` required,
 *                 `iat` not in the future, an optional maximum lifetime, bounded identifiers, scopes
 * Verified tokens are remembered (bounded, never past `exp` nor the cache TTL), so a client reusing its token pays a
 * map lookup instead of a signature check.
 *
 * aws-jwt-verify (its version pinned exactly in package.json) is used through its public API only:
 * `validateJwtFields`, `decomposeUnverifiedJwt` and its error classes. Three of its behaviours are mirrored instead
 * of called, and a test fails if the installed library stops matching them:
 * - the decomposition parses JSON without the library's reviver when the text provably gives the same result
 *   (compact-jws.ts; test/security/jws-decomposition.test.ts), for speed;
 * - the signature primitive (jws-signature.ts; test/security/wycheproof.test.ts), so that no signature bytes throw;
 * - Cognito's issuer forms and its token_use/client_id checks (below; test/unit/aws-jwt-verify-contract.test.ts):
 *   importing them brings the library's verifier classes, 10 KB of bundle we do not otherwise use.
 * docs/jwks.md says the same.
 */
import { FailedAssertionError, JwtExpiredError, JwtNotBeforeError } from 'aws-jwt-verify/error';
import { validateJwtFields, type DecomposedJwt } from 'aws-jwt-verify/jwt';
import type { JwtPayload } from 'aws-jwt-verify/jwt-model';
import { ClaimMapping, type MappedClaims } from './claim-mapping';
import type { IssuerConfig } from './config';
import { decomposeCompactJws, decomposeJws, type CompactJws } from './compact-jws';
import { CredentialRejectedError, type RejectionCode } from './errors';
import type { HardenedJwksCache } from './jwks-cache';
import { keyFitsAlgorithm, type VerificationKey } from './jwks-document';
import { verifyJwsSignature } from './jws-signature';
import { ClockCache } from './clock-cache';

/** A verified token's identity: what its claims map to (claim-mapping.ts). */
export type JwtIdentity = MappedClaims;

export interface JwtAuthenticatorOptions {
  readonly issuers: readonly IssuerConfig[];
  readonly jwksCache: HardenedJwksCache;
  readonly clockSkewSeconds: number;
  readonly maxTokenLifetimeSeconds?: number;
  readonly verifiedTokenCacheTtlMs: number;
  readonly verifiedTokenCacheMaxEntries: number;
  readonly nowMs: () => number;
}

interface IssuerEntry {
  readonly config: IssuerConfig;
  /** aws-jwt-verify's claim-check options for this issuer, built once. */
  readonly claimOptions: { readonly issuer: string[]; readonly audience: string[] | null; readonly graceSeconds: number };
  /** Claim layout and checks of this issuer (claim-mapping.ts: scopes, principal, client, tenant, profile), compiled once. */
  readonly claims: ClaimMapping;
}

/** The result of one JWKS prefetch at cold start. */
export interface HydrationFailure {
  readonly jwksUri: string;
  readonly error: unknown;
}

const reject = (code: RejectionCode, message: string): never => {
  throw new CredentialRejectedError(code, message);
};

/**
 * The verified-token cache is keyed by the token's last characters (its signature's): a Map hashes its string key,
 * and hashing a whole 800-character token cost 1.2 us, on every request, since each event brings a new string. The
 * entry keeps the whole token and a hit must equal it, so another token ending the same way is a miss, never
 * another token's identity.
 */
const TOKEN_KEY_LENGTH = 32;

/** The verified-token cache's key for `token`. */
export function verifiedTokenKey(token: string): string {
  return token.slice(-TOKEN_KEY_LENGTH);
}

interface VerifiedToken {
  readonly token: string;
  readonly identity: JwtIdentity;
}

/**
 * The `iss` values a configured issuer's tokens may carry. A Cognito pool issues either its regional form
 * (`https://cognito-idp.<region>.amazonaws.com/<pool>`, the configured issuer) or, with the "updated" issuer type,
 * the global one (`https://issuer-cognito-idp.<region>.amazonaws.com/<pool>`); aws-jwt-verify 5.2 accepts both for
 * one pool (awslabs/aws-jwt-verify#239; its `CognitoJwtVerifier.parseUserPoolId` derives the same two). Both
 * forms are verified with the pool's regional JWKS: the same keys, from an endpoint every pool has (the global one
 * answers 403 for pools that have not switched issuer type, awslabs/aws-jwt-verify#279).
 */
export function acceptedIssuers(config: IssuerConfig): string[] {
  if (config.kind !== 'cognito') return [config.issuer];
  const region = config.userPoolId.slice(0, config.userPoolId.indexOf('_'));
  return [config.issuer, `https://issuer-cognito-idp.${region}.amazonaws.com/${config.userPoolId}`];
}

/** Step 5: the key fits the algorithm, and the signature verifies with it. */
function checkSignature(jws: CompactJws, key: VerificationKey): void {
  const alg = jws.header.alg as string; // step 3 admitted only accepted algorithms
  if (!keyFitsAlgorithm(key, alg)) reject('unsupported_algorithm', 'Token algorithm does not fit the key');
  if (!verifyJwsSignature(alg, key.keyObject, `${jws.headerB64}.${jws.payloadB64}`, jws.signatureB64)) {
    reject('invalid_signature', 'Token signature is invalid');
  }
}

function keyIdOf(jws: CompactJws): string {
  const kid = jws.header.kid;
  return typeof kid === 'string' && kid !== '' ? kid : reject('unknown_kid', 'Token has no key id');
}

/**
 * The issuer's claims: aws-jwt-verify's checks (iss, aud, exp, nbf), then Cognito's. The claims are the caller's
 * (after a good signature, still attacker-chosen values): each of the library's refusals is a 401 with the code of
 * the claim. Its ParameterValidationError (our options wrong) is not a refusal and stays a 500.
 */
function checkIssuerClaims(entry: IssuerEntry, payload: JwtPayload): void {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0; // refusals are expected control flow: no stack trace to capture
  try {
    validateJwtFields(payload, entry.claimOptions);
  } catch (error) {
    if (error instanceof JwtExpiredError) reject('token_expired', 'Token is expired');
    if (error instanceof JwtNotBeforeError) reject('token_not_yet_valid', 'Token is not valid yet');
    // JwtInvalidClaimError (issuer, audience) and other failed assertions.
    if (error instanceof FailedAssertionError) reject('invalid_claims', 'Token claims are not accepted');
    throw error;
  } finally {
    Error.stackTraceLimit = limit;
  }
  const config = entry.config;
  if (config.kind === 'cognito' && !cognitoClaimsAccepted(payload as Record<string, unknown>, config.tokenUse, config.clientIds)) {
    reject('invalid_claims', 'Token claims are not accepted');
  }
}

/**
 * A Cognito token's own claims, checked as aws-jwt-verify's `validateCognitoJwtFields` checks them: `token_use` is
 * "id" or "access" and the configured one; the app client is `aud` of an id token, `client_id` of an access token.
 */
export function cognitoClaimsAccepted(payload: Readonly<Record<string, unknown>>, tokenUse: 'access' | 'id', clientIds: readonly string[] | null): boolean {
  const use = payload.token_use;
  if ((use !== 'id' && use !== 'access') || use !== tokenUse) return false;
  if (clientIds === null) return true;
  const client = use === 'id' ? payload.aud : payload.client_id;
  return typeof client === 'string' && clientIds.includes(client);
}

export class JwtAuthenticator {
  /** By every `iss` value accepted (a Cognito pool has two). */
  private readonly issuers = new Map<string, IssuerEntry>();
  private readonly verifiedTokens: ClockCache<string, VerifiedToken>;

  constructor(private readonly options: JwtAuthenticatorOptions) {
    for (const config of options.issuers) {
      const issuers = acceptedIssuers(config);
      const entry: IssuerEntry = {
        config,
        claimOptions: {
          issuer: issuers,
          audience: config.kind === 'oidc' && config.audience !== null ? [...config.audience] : null,
          graceSeconds: options.clockSkewSeconds,
        },
        claims: new ClaimMapping(config),
      };
      for (const issuer of issuers) this.issuers.set(issuer, entry);
    }
    this.verifiedTokens = new ClockCache(options.verifiedTokenCacheMaxEntries);
  }

  /** Number of tokens currently remembered as verified. */
  get verifiedTokenCount(): number {
    return this.verifiedTokens.size;
  }

  /**
   * Cold start: loads every issuer's JWKS now (aws-jwt-verify's `hydrate`), so the first request does not wait for
   * the issuer. Never rejects: resolves with what failed, and a failure leaves the request path to fetch as it would
   * have without the prefetch.
   */
  async hydrate(): Promise<HydrationFailure[]> {
    const uris = [...new Set(this.options.issuers.map((issuer) => issuer.jwksUri))];
    const results = await Promise.allSettled(uris.map((uri) => this.options.jwksCache.prefetch(uri)));
    return results.flatMap((result, i) => (result.status === 'rejected' ? [{ jwksUri: uris[i]!, error: result.reason as unknown }] : []));
  }

  /**
   * An issuer removed or replaced a key: forget the tokens remembered as verified (the key objects went with the
   * replaced key set).
   */
  forgetVerifiedTokens(): void {
    this.verifiedTokens.clear();
  }

  /** The identity of a token verified recently (and not expired since), without any work; else undefined. */
  cached(token: string): JwtIdentity | undefined {
    const entry = this.verifiedTokens.get(verifiedTokenKey(token), this.options.nowMs());
    return entry !== undefined && entry.token === token ? entry.identity : undefined;
  }

  /** Verifies the token or throws CredentialRejectedError (401) / DependencyFaultError (500). */
  async authenticate(token: string): Promise<{ identity: JwtIdentity; cacheHit: boolean }> {
    const remembered = this.cached(token);
    if (remembered !== undefined) return { identity: remembered, cacheHit: true };
    return { identity: await this.verify(token), cacheHit: false };
  }

  /**
   * Verifies a token not found by {@link cached}: synchronously when the issuer's key is at hand (the common case:
   * no promise, no microtask), as a promise when the JWKS must be fetched first. Throws (or rejects with)
   * CredentialRejectedError (401) / DependencyFaultError (500). `base64urlText`: the caller already proved the
   * token consists of base64url characters and dots (see extractCredential), so that scan is not repeated.
   */
  verify(token: string, base64urlText = false): JwtIdentity | Promise<JwtIdentity> {
    const jwt = decomposeCompactJws(token, base64urlText); // steps 1-3
    const entry = this.issuerOf(jwt.payload.iss);
    const kid = keyIdOf(jwt);
    const key = this.options.jwksCache.keyAtHand(entry.config.jwksUri, kid); // step 4
    if (key === undefined) {
      // Keys not loaded yet, or a kid we have not seen: fetch (rate limited by the JWKS cache), then verify.
      return this.options.jwksCache.fetchKey(entry.config.jwksUri, kid).then((fetched) => this.accept(token, jwt, entry, fetched));
    }
    return this.accept(token, jwt, entry, key);
  }

  /**
   * Steps 1-5 on a compact JWS whose payload is any octets (not read as claims), with the keys of `issuer`: resolves
   * when the signature verifies, rejects like {@link verify} otherwise. For signed content other than access tokens,
   * and the reason the Wycheproof JWS vectors can run through this class.
   */
  async verifyJws(jws: string, issuer: string): Promise<void> {
    const decomposed = decomposeJws(jws);
    const entry = this.issuerOf(issuer);
    const kid = keyIdOf(decomposed);
    const jwksUri = entry.config.jwksUri;
    checkSignature(decomposed, this.options.jwksCache.keyAtHand(jwksUri, kid) ?? (await this.options.jwksCache.fetchKey(jwksUri, kid)));
  }

  private issuerOf(iss: unknown): IssuerEntry {
    const entry = typeof iss === 'string' ? this.issuers.get(iss) : undefined;
    return entry ?? reject('unknown_issuer', 'Token issuer is not configured');
  }

  /** Steps 5 and 6, then the token is remembered. */
  private accept(token: string, jwt: DecomposedJwt, entry: IssuerEntry, key: VerificationKey): JwtIdentity {
    checkSignature(jwt, key);
    const { payload } = jwt;
    checkIssuerClaims(entry, payload);
    const nowMs = this.options.nowMs();
    const identity = this.checkClaims(entry, payload, jwt.header as Readonly<Record<string, unknown>>, nowMs);
    const ttlMs = Math.min(this.options.verifiedTokenCacheTtlMs, (payload.exp as number) * 1000 - nowMs);
    this.verifiedTokens.set(verifiedTokenKey(token), { token, identity }, ttlMs, nowMs);
    return identity;
  }

  /** Claim checks beyond the library's, run only on a payload whose signature verified. */
  private checkClaims(entry: IssuerEntry, payload: JwtPayload, header: Readonly<Record<string, unknown>>, nowMs: number): JwtIdentity {
    const nowSeconds = nowMs / 1000;
    const skew = this.options.clockSkewSeconds;
    if (typeof payload.exp !== 'number') reject('invalid_claims', 'Token has no exp claim');
    const exp = payload.exp as number;
    // The library checked exp against the system clock; check it against ours too, so the clock stays injectable.
    if (exp + skew <= nowSeconds) reject('token_expired', 'Token is expired');
    if (payload.iat !== undefined && payload.iat > nowSeconds + skew) {
      reject('token_issued_in_future', 'Token iat is in the future');
    }
    const maxLifetime = this.options.maxTokenLifetimeSeconds;
    if (maxLifetime !== undefined) {
      const start = payload.iat ?? payload.nbf;
      if (start === undefined) reject('token_lifetime_exceeded', 'Token has neither iat nor nbf to bound its lifetime');
      if (exp - (start as number) > maxLifetime) reject('token_lifetime_exceeded', 'Token lifetime exceeds the maximum');
    }
    // Principal, client, scopes and the issuer's own checks (tenant, profile, binding...): claim-mapping.ts.
    return entry.claims.map(payload as Readonly<Record<string, unknown>>, header);
  }
}
