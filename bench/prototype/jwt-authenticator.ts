/**
 * PROTOTYPE (bench only, not production code): lambda/jwt-authenticator.ts with the per-request work cut down, to
 * measure what the proposals in bench/README.md would gain. Same checks, same error mapping, same cache.
 *
 * - One decomposition: the canonical-base64url preflight no longer parses the header; aws-jwt-verify's
 *   `decomposeUnverifiedJwt` runs once and its result goes to the verifier through the protected
 *   `verifyDecomposedJwtSync` of a JwtVerifier subclass (instead of `verifySync(token)`, which decomposes again
 *   and spreads the issuer config into a new object on every call).
 * - `signature: 'one-shot'` additionally verifies the signature with one `crypto.verify` call on a KeyObject cached
 *   per JWK object (aws-jwt-verify uses `createVerify`, a Writable stream per call, and binds its KeyObject cache
 *   per call); the JWK still comes from the JWKS cache and the claims still go through aws-jwt-verify's
 *   `validateJwtFields`. Only generic OIDC issuers are handled here (Cognito would subclass the same way).
 */
import { createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { JwksNotAvailableInCacheError, JwtInvalidSignatureAlgorithmError, JwtInvalidSignatureError, KidNotFoundInJwksError } from 'aws-jwt-verify/error';
import { assertIsSignatureJwk, type JwksCache, type JwkWithKid } from 'aws-jwt-verify/jwk';
import { decomposeUnverifiedJwt, validateJwtFields, type DecomposedJwt } from 'aws-jwt-verify/jwt';
import type { JwtPayload } from 'aws-jwt-verify/jwt-model';
import { JwtVerifier } from 'aws-jwt-verify/jwt-verifier';
import { ACCEPTED_ALGORITHMS, isCanonicalBase64Url } from '../../lambda/compact-jws';
import type { OidcIssuerConfig } from '../../lambda/config';
import { CredentialRejectedError } from '../../lambda/errors';
import { classifyVerificationError, type JwtIdentity } from '../../lambda/jwt-authenticator';
import { MAX_IDENTIFIER_LENGTH } from '../../lambda/key-table';
import { LruCache } from '../../lambda/lru-cache';
import { isValidScope } from '../../lambda/route-manifest';

const reject = (code: ConstructorParameters<typeof CredentialRejectedError>[0], message: string): never => {
  throw new CredentialRejectedError(code, message);
};

const COMPACT_JWS = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/;

/** The preflight without its header parse: form and canonical base64url only. */
function preflightSegments(token: string): void {
  const match = COMPACT_JWS.exec(token);
  if (!match) reject('malformed_token', 'Token is not three unpadded base64url segments');
  for (let i = 1; i <= 3; i++) {
    if (!isCanonicalBase64Url(match![i]!)) reject('malformed_token', 'Token is not canonical base64url');
  }
}

/** The preflight's header checks, on the header aws-jwt-verify parsed. */
function checkHeader(header: Record<string, unknown>): void {
  if (Object.prototype.hasOwnProperty.call(header, 'crit')) reject('crit_header', 'Token has a crit header we do not understand');
  if (typeof header.alg !== 'string' || !ACCEPTED_ALGORITHMS.has(header.alg)) reject('unsupported_algorithm', 'Token algorithm is not accepted');
}

/** A JwtVerifier that takes an already decomposed token, with its verify properties computed once. */
class DecomposedJwtVerifier extends JwtVerifier<{ issuer: string; audience: string[] | null; jwksUri: string; graceSeconds: number }, { issuer: string; audience: string[] | null; jwksUri: string; graceSeconds: number }, false> {
  private props?: { issuer: string; audience: string[] | null; jwksUri: string; graceSeconds: number };

  verifyDecomposed(decomposed: DecomposedJwt): JwtPayload {
    this.props ??= this.getIssuerConfig() as never;
    return this.verifyDecomposedJwtSync(decomposed, this.props!.jwksUri, this.props!);
  }
}

const DIGEST: Readonly<Record<string, string | null>> = { RS256: 'sha256', RS384: 'sha384', RS512: 'sha512', ES256: 'sha256', ES384: 'sha384', ES512: 'sha512', EdDSA: null };

interface Entry {
  readonly config: OidcIssuerConfig;
  readonly verifier: DecomposedJwtVerifier;
  readonly props: { issuer: string; audience: string[] | null; graceSeconds: number };
}

export interface PrototypeJwtOptions {
  readonly issuers: readonly OidcIssuerConfig[];
  readonly jwksCache: JwksCache;
  readonly clockSkewSeconds: number;
  readonly maxTokenLifetimeSeconds?: number;
  readonly verifiedTokenCacheTtlMs: number;
  readonly verifiedTokenCacheMaxEntries: number;
  readonly nowMs: () => number;
  readonly signature: 'library' | 'one-shot';
}

export class PrototypeJwtAuthenticator {
  private readonly issuers = new Map<string, Entry>();
  private readonly verifiedTokens: LruCache<string, JwtIdentity>;
  /** KeyObjects by JWK object: a refreshed JWKS brings new objects, so removed keys fall out with it. */
  private readonly keyObjects = new WeakMap<JwkWithKid, KeyObject>();

  constructor(private readonly options: PrototypeJwtOptions) {
    for (const config of options.issuers) {
      const props = { issuer: config.issuer, audience: config.audience ? [...config.audience] : null, jwksUri: config.jwksUri, graceSeconds: options.clockSkewSeconds };
      const verifier = DecomposedJwtVerifier.create(props, { jwksCache: options.jwksCache }) as unknown as DecomposedJwtVerifier;
      this.issuers.set(config.issuer, { config, verifier, props });
    }
    this.verifiedTokens = new LruCache(options.verifiedTokenCacheMaxEntries);
  }

  async authenticate(token: string): Promise<{ identity: JwtIdentity; cacheHit: boolean }> {
    const remembered = this.verifiedTokens.get(token, this.options.nowMs());
    if (remembered !== undefined) return { identity: remembered, cacheHit: true };

    preflightSegments(token);
    let decomposed: DecomposedJwt;
    try {
      decomposed = decomposeUnverifiedJwt(token);
    } catch (error) {
      throw classifyVerificationError(error);
    }
    checkHeader(decomposed.header as Record<string, unknown>);
    const { payload } = decomposed;
    const entry = typeof payload.iss === 'string' ? this.issuers.get(payload.iss) : undefined;
    if (!entry) return reject('unknown_issuer', 'Token issuer is not configured');

    let verified: JwtPayload;
    try {
      verified = this.options.signature === 'library' ? entry.verifier.verifyDecomposed(decomposed) : this.verifyOneShot(entry, decomposed);
    } catch (error) {
      if (!(error instanceof JwksNotAvailableInCacheError || error instanceof KidNotFoundInJwksError)) throw classifyVerificationError(error);
      try {
        verified = await (entry.verifier as unknown as { verify(jwt: string): Promise<JwtPayload> }).verify(token);
      } catch (asyncError) {
        throw classifyVerificationError(asyncError);
      }
    }
    const identity = this.checkClaims(entry.config, verified);
    const nowMs = this.options.nowMs();
    this.verifiedTokens.set(token, identity, Math.min(this.options.verifiedTokenCacheTtlMs, (verified.exp as number) * 1000 - nowMs), nowMs);
    return { identity, cacheHit: false };
  }

  private verifyOneShot(entry: Entry, decomposed: DecomposedJwt): JwtPayload {
    const { header, payload } = decomposed;
    const jwk = this.options.jwksCache.getCachedJwk(entry.config.jwksUri, decomposed);
    assertIsSignatureJwk(jwk);
    if (jwk.alg !== undefined && jwk.alg !== header.alg) throw new JwtInvalidSignatureAlgorithmError('JWT signature algorithm does not match the JWK', header.alg!, jwk.alg);
    let key = this.keyObjects.get(jwk);
    if (key === undefined) {
      key = createPublicKey({ key: jwk as never, format: 'jwk' });
      this.keyObjects.set(jwk, key);
    }
    const alg = header.alg!;
    const signingInput = Buffer.from(`${decomposed.headerB64}.${decomposed.payloadB64}`);
    const signature = Buffer.from(decomposed.signatureB64, 'base64url');
    const valid = cryptoVerify(DIGEST[alg] ?? null, signingInput, alg.startsWith('ES') ? { key, dsaEncoding: 'ieee-p1363' } : key, signature);
    if (!valid) throw new JwtInvalidSignatureError('Invalid signature');
    validateJwtFields(payload, entry.props);
    return payload;
  }

  /** As in lambda/jwt-authenticator.ts. */
  private checkClaims(config: OidcIssuerConfig, payload: JwtPayload): JwtIdentity {
    const nowSeconds = this.options.nowMs() / 1000;
    const skew = this.options.clockSkewSeconds;
    if (typeof payload.exp !== 'number') reject('invalid_claims', 'Token has no exp claim');
    const exp = payload.exp as number;
    if (exp + skew <= nowSeconds) reject('token_expired', 'Token is expired');
    if (payload.iat !== undefined && payload.iat > nowSeconds + skew) reject('token_issued_in_future', 'Token iat is in the future');
    const maxLifetime = this.options.maxTokenLifetimeSeconds;
    if (maxLifetime !== undefined) {
      const start = payload.iat ?? payload.nbf;
      if (start === undefined) reject('token_lifetime_exceeded', 'Token has neither iat nor nbf to bound its lifetime');
      if (exp - (start as number) > maxLifetime) reject('token_lifetime_exceeded', 'Token lifetime exceeds the maximum');
    }
    const subject = boundedString(payload, 'sub');
    const clientId = boundedString(payload, 'client_id') ?? boundedString(payload, 'azp');
    const principal = subject ?? clientId;
    if (principal === undefined) return reject('invalid_claims', 'Token has neither sub nor client_id');
    return Object.freeze({ issuer: config.issuer, subject, clientId, principal, scopes: Object.freeze(readScopes(payload, config.scopeClaim)) });
  }
}

function readScopes(payload: JwtPayload, claim: 'scope' | 'scp'): string[] {
  const value = (payload as Record<string, unknown>)[claim];
  if (value === undefined) return [];
  let scopes: unknown[];
  if (typeof value === 'string') scopes = value.split(' ').filter((scope) => scope !== '');
  else if (Array.isArray(value)) scopes = value;
  else return reject('invalid_claims', `Token ${claim} claim is neither a string nor an array`);
  for (const scope of scopes) {
    if (typeof scope !== 'string' || !isValidScope(scope)) reject('invalid_claims', `Token ${claim} claim holds an invalid scope`);
  }
  return [...new Set(scopes as string[])];
}

function boundedString(payload: JwtPayload, claim: string): string | undefined {
  const value = (payload as Record<string, unknown>)[claim];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '' || value.length > MAX_IDENTIFIER_LENGTH) return reject('invalid_claims', `Token ${claim} claim is not a short string`);
  return value;
}
