/**
 * Verifies OAuth 2.0 / OIDC access tokens with aws-jwt-verify against the configured issuers, and enforces what
 * the library does not: canonical base64url, no `crit` header, asymmetric algorithms only (compact-jws.ts), `exp`
 * required, `iat` not in the future,
 * an optional maximum lifetime, bounded identifiers. Verified tokens are remembered (bounded, never past `exp`
 * nor the cache TTL) so a client reusing its token pays a map lookup instead of a signature check.
 */
import { CognitoJwtVerifier } from 'aws-jwt-verify/cognito-verifier';
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
import { decomposeUnverifiedJwt, type DecomposedJwt } from 'aws-jwt-verify/jwt';
import type { JwksCache } from 'aws-jwt-verify/jwk';
import type { JwtPayload } from 'aws-jwt-verify/jwt-model';
import { JwtVerifier } from 'aws-jwt-verify/jwt-verifier';
import type { IssuerConfig } from './config';
import { preflightCompactJws } from './compact-jws';
import { CredentialRejectedError, DependencyFaultError } from './errors';
import { MAX_IDENTIFIER_LENGTH } from './key-table';
import { LruCache } from './lru-cache';
import { isValidScope } from './route-manifest';

export interface JwtIdentity {
  readonly issuer: string;
  readonly subject?: string;
  readonly clientId?: string;
  /** `sub`, or the client id for tokens without one. */
  readonly principal: string;
  readonly scopes: readonly string[];
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

interface SyncAsyncVerifier {
  verifySync(jwt: string): JwtPayload;
  verify(jwt: string): Promise<JwtPayload>;
}

interface IssuerEntry {
  readonly config: IssuerConfig;
  readonly verifier: SyncAsyncVerifier;
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
  if (typeof value !== 'string' || value === '' || value.length > MAX_IDENTIFIER_LENGTH) {
    return reject('invalid_claims', `Token ${claim} claim is not a short string`);
  }
  return value;
}

export class JwtAuthenticator {
  private readonly issuers = new Map<string, IssuerEntry>();
  private readonly verifiedTokens: LruCache<string, JwtIdentity>;

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
      this.issuers.set(config.issuer, { config, verifier: verifier as unknown as SyncAsyncVerifier });
    }
    this.verifiedTokens = new LruCache(options.verifiedTokenCacheMaxEntries);
  }

  /** Number of tokens currently remembered as verified. */
  get verifiedTokenCount(): number {
    return this.verifiedTokens.size;
  }

  /** Verifies the token or throws CredentialRejectedError (401) / DependencyFaultError (500). */
  async authenticate(token: string): Promise<{ identity: JwtIdentity; cacheHit: boolean }> {
    const remembered = this.verifiedTokens.get(token, this.options.nowMs());
    if (remembered !== undefined) return { identity: remembered, cacheHit: true };

    preflightCompactJws(token);
    let decomposed: DecomposedJwt;
    try {
      decomposed = decomposeUnverifiedJwt(token);
    } catch (error) {
      throw classifyVerificationError(error);
    }
    const { payload } = decomposed;
    const entry = typeof payload.iss === 'string' ? this.issuers.get(payload.iss) : undefined;
    if (!entry) return reject('unknown_issuer', 'Token issuer is not configured');

    let verified: JwtPayload;
    try {
      verified = this.verifySyncOrFetch(entry.verifier, token);
    } catch (error) {
      if (!(error instanceof JwksNotAvailableInCacheError || error instanceof KidNotFoundInJwksError)) {
        throw classifyVerificationError(error);
      }
      try {
        verified = await entry.verifier.verify(token);
      } catch (asyncError) {
        throw classifyVerificationError(asyncError);
      }
    }
    const identity = this.checkClaims(entry.config, verified);
    const nowMs = this.options.nowMs();
    const ttlMs = Math.min(this.options.verifiedTokenCacheTtlMs, (verified.exp as number) * 1000 - nowMs);
    this.verifiedTokens.set(token, identity, ttlMs, nowMs);
    return { identity, cacheHit: false };
  }

  private verifySyncOrFetch(verifier: SyncAsyncVerifier, token: string): JwtPayload {
    return verifier.verifySync(token);
  }

  /** Claim checks beyond the library's, run only on a payload whose signature verified. */
  private checkClaims(config: IssuerConfig, payload: JwtPayload): JwtIdentity {
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
    const subject = boundedString(payload, 'sub');
    const clientId = boundedString(payload, 'client_id') ?? boundedString(payload, 'azp');
    const principal = subject ?? clientId;
    if (principal === undefined) return reject('invalid_claims', 'Token has neither sub nor client_id');
    return Object.freeze({
      issuer: config.issuer,
      subject,
      clientId,
      principal,
      scopes: Object.freeze(readScopes(payload, config.scopeClaim)),
    });
  }
}
