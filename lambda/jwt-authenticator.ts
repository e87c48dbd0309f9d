/**
 * Verifies OAuth 2.0 / OIDC access tokens with aws-jwt-verify against the configured issuers, and enforces what
 * the library does not: canonical base64url, no `crit` header, asymmetric algorithms only (compact-jws.ts), `exp`
 * required, `iat` not in the future,
 * an optional maximum lifetime, bounded identifiers. Verified tokens are remembered (bounded, never past `exp`
 * nor the cache TTL) so a client reusing its token pays a map lookup instead of a signature check.
 */
import { CognitoJwtVerifier, validateCognitoJwtFields } from 'aws-jwt-verify/cognito-verifier';
import {
  FailedAssertionError,
  JwkValidationError,
  JwtExpiredError,
  JwtInvalidClaimError,
  JwtInvalidSignatureAlgorithmError,
  JwtInvalidSignatureError,
  JwtNotBeforeError,
  JwtParseError,
  JwtWithoutValidKidError,
  JwksNotAvailableInCacheError,
  KidNotFoundInJwksError,
} from 'aws-jwt-verify/error';
import type { DecomposedJwt } from 'aws-jwt-verify/jwt';
import type { JwksCache } from 'aws-jwt-verify/jwk';
import type { JwtPayload } from 'aws-jwt-verify/jwt-model';
import { JwtVerifier } from 'aws-jwt-verify/jwt-verifier';
import { ClaimMapping } from './claim-mapping';
import type { IssuerConfig } from './config';
import { decomposeCompactJws } from './compact-jws';
import { CredentialRejectedError, DependencyFaultError, withoutStack } from './errors';
import { ClockCache } from './clock-cache';

export interface JwtIdentity {
  readonly issuer: string;
  readonly subject?: string;
  readonly clientId?: string;
  /** `sub`, or the client id for tokens without one. */
  readonly principal: string;
  readonly scopes: readonly string[];
  /** Set for a certificate-bound token (RFC 8705): the SHA-256 thumbprint its client certificate must have. */
  readonly certificateThumbprint?: string;
}

export interface JwtAuthenticatorOptions {
  readonly issuers: readonly IssuerConfig[];
  readonly jwksCache: JwksCache;
  readonly clockSkewSeconds: number;
  readonly maxTokenLifetimeSeconds?: number;
  readonly verifiedTokenCacheTtlMs: number;
  readonly verifiedTokenCacheMaxEntries: number;
  readonly nowMs: () => number;
}

/**
 * The steps of aws-jwt-verify's verifiers after decomposition (protected in its typings, public at run time; the
 * version is pinned exactly and the tests exercise both verifier kinds). Calling them with the token we already
 * decomposed saves the library a second base64 decode and JSON parse per token.
 */
interface DecomposedJwtVerifier {
  getIssuerConfig(issuer?: string): Record<string, unknown> & { jwksUri: string };
  verifyDecomposedJwtSync(decomposed: DecomposedJwt, jwksUri: string, properties: Record<string, unknown>): JwtPayload;
  verifyDecomposedJwt(decomposed: DecomposedJwt, jwksUri: string, properties: Record<string, unknown>): Promise<JwtPayload>;
}

interface IssuerEntry {
  readonly config: IssuerConfig;
  readonly verifier: DecomposedJwtVerifier;
  /** The verifier's own properties for this issuer (audience, grace, Cognito client ids...), computed once. */
  readonly properties: Record<string, unknown> & { jwksUri: string };
  /** Claim layout and checks of this issuer (claim-mapping.ts), compiled once. */
  readonly claims: ClaimMapping;
}

const reject = (code: ConstructorParameters<typeof CredentialRejectedError>[0], message: string): never => {
  throw new CredentialRejectedError(code, message);
};

/** Maps a library error to our taxonomy: credential problems are 401, anything unrecognised is a 500. */
export function classifyVerificationError(error: unknown): CredentialRejectedError | DependencyFaultError {
  if (error instanceof CredentialRejectedError || error instanceof DependencyFaultError) return error;
  if (error instanceof JwtExpiredError) return new CredentialRejectedError('token_expired', 'Token is expired');
  if (error instanceof JwtNotBeforeError) return new CredentialRejectedError('token_not_yet_valid', 'Token is not valid yet');
  if (error instanceof JwtInvalidClaimError) return new CredentialRejectedError('invalid_claims', 'Token claims are not accepted');
  if (error instanceof JwtInvalidSignatureAlgorithmError) {
    return new CredentialRejectedError('unsupported_algorithm', 'Token algorithm is not accepted');
  }
  if (error instanceof JwtInvalidSignatureError) return new CredentialRejectedError('invalid_signature', 'Token signature is invalid');
  if (error instanceof JwtParseError) return new CredentialRejectedError('malformed_token', 'Token is not a well-formed JWT');
  if (error instanceof JwtWithoutValidKidError || error instanceof KidNotFoundInJwksError) {
    return new CredentialRejectedError('unknown_kid', 'Token key id is not in the issuer JWKS');
  }
  // The JWK the token names is not a usable signing key of the kind its header claims.
  if (error instanceof JwkValidationError || error instanceof FailedAssertionError) {
    return new CredentialRejectedError('invalid_signature', 'Token cannot be verified with the named key');
  }
  return new DependencyFaultError('internal_error', 'Token verification failed unexpectedly', { cause: error });
}

export class JwtAuthenticator {
  private readonly issuers = new Map<string, IssuerEntry>();
  private readonly verifiedTokens: ClockCache<string, JwtIdentity>;

  constructor(private readonly options: JwtAuthenticatorOptions) {
    for (const config of options.issuers) {
      const verifier =
        config.kind === 'cognito'
          ? CognitoJwtVerifier.create(
              { userPoolId: config.userPoolId, tokenUse: config.tokenUse, clientId: config.clientIds ? [...config.clientIds] : null, graceSeconds: options.clockSkewSeconds },
              { jwksCache: options.jwksCache },
            )
          : JwtVerifier.create(
              { issuer: config.issuer, audience: config.audience ? [...config.audience] : null, jwksUri: config.jwksUri, graceSeconds: options.clockSkewSeconds },
              { jwksCache: options.jwksCache },
            );
      const steps = verifier as unknown as DecomposedJwtVerifier;
      this.issuers.set(config.issuer, { config, verifier: steps, properties: steps.getIssuerConfig(config.issuer), claims: new ClaimMapping(config) });
    }
    this.verifiedTokens = new ClockCache(options.verifiedTokenCacheMaxEntries);
  }

  /** Number of tokens currently remembered as verified. */
  get verifiedTokenCount(): number {
    return this.verifiedTokens.size;
  }

  /**
   * The issuer behind `jwksUri` removed or replaced a key: drop what was derived from the old keys, i.e. the key
   * objects aws-jwt-verify keeps per (issuer, kid, alg) — it would otherwise keep verifying with replaced material
   * under a reused kid — and the tokens remembered as verified.
   */
  forgetKeys(jwksUri: string): void {
    for (const entry of this.issuers.values()) {
      if (entry.properties.jwksUri !== jwksUri) continue;
      // A private field of the (exactly pinned) library; the kid-reuse test fails if it ever moves.
      (entry.verifier as unknown as { publicKeyCache?: { clearCache(issuer: string): void } }).publicKeyCache?.clearCache(
        entry.config.issuer,
      );
    }
    this.verifiedTokens.clear();
  }

  /** The identity of a token verified recently (and not expired since), without any work; else undefined. */
  cached(token: string): JwtIdentity | undefined {
    return this.verifiedTokens.get(token, this.options.nowMs());
  }

  /** Verifies the token or throws CredentialRejectedError (401) / DependencyFaultError (500). */
  async authenticate(token: string): Promise<{ identity: JwtIdentity; cacheHit: boolean }> {
    const remembered = this.cached(token);
    if (remembered !== undefined) return { identity: remembered, cacheHit: true };
    return { identity: await this.verify(token), cacheHit: false };
  }

  /**
   * Verifies a token not found by {@link cached}: synchronously when the issuer's keys are at hand (the common case:
   * no promise, no microtask), as a promise when they must be fetched first. Throws (or rejects with)
   * CredentialRejectedError (401) / DependencyFaultError (500). `base64urlText`: the caller already proved the
   * token consists of base64url characters and dots (see extractCredential), so that scan is not repeated.
   */
  verify(token: string, base64urlText = false): JwtIdentity | Promise<JwtIdentity> {
    const decomposed = decomposeCompactJws(token, base64urlText);
    const { payload } = decomposed;
    const entry = typeof payload.iss === 'string' ? this.issuers.get(payload.iss) : undefined;
    if (!entry) return reject('unknown_issuer', 'Token issuer is not configured');
    try {
      // A refused token is expected control flow: the library's error needs no stack trace (microseconds each).
      withoutStack(() => entry.verifier.verifyDecomposedJwtSync(decomposed, entry.properties.jwksUri, entry.properties));
    } catch (error) {
      // Keys not cached yet, or a kid we have not seen: fetch (rate limited by the JWKS cache) and verify.
      if (error instanceof JwksNotAvailableInCacheError || error instanceof KidNotFoundInJwksError) {
        return this.verifyAfterFetch(token, decomposed, entry);
      }
      throw classifyVerificationError(error);
    }
    return this.accept(token, entry, decomposed);
  }

  private async verifyAfterFetch(token: string, decomposed: DecomposedJwt, entry: IssuerEntry): Promise<JwtIdentity> {
    try {
      await entry.verifier.verifyDecomposedJwt(decomposed, entry.properties.jwksUri, entry.properties);
    } catch (error) {
      throw classifyVerificationError(error);
    }
    return this.accept(token, entry, decomposed);
  }

  /** After the signature and the library's claim checks: Cognito's fields, ours, then remember the token. */
  private accept(token: string, entry: IssuerEntry, { header, payload }: DecomposedJwt): JwtIdentity {
    if (entry.config.kind === 'cognito') {
      try {
        validateCognitoJwtFields(payload, entry.properties as never);
      } catch (error) {
        throw classifyVerificationError(error);
      }
    }
    const identity = this.checkClaims(entry, payload, header as Readonly<Record<string, unknown>>);
    const nowMs = this.options.nowMs();
    const ttlMs = Math.min(this.options.verifiedTokenCacheTtlMs, (payload.exp as number) * 1000 - nowMs);
    this.verifiedTokens.set(token, identity, ttlMs, nowMs);
    return identity;
  }

  /** Claim checks beyond the library's, run only on a payload whose signature verified. */
  private checkClaims(entry: IssuerEntry, payload: JwtPayload, header: Readonly<Record<string, unknown>>): JwtIdentity {
    const nowSeconds = this.options.nowMs() / 1000;
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
