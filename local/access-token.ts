/**
 * The claims of the local issuer's access tokens, shared by `/oauth2/token` and `npm run token` so both mint the
 * same shape: a client-credentials access token like Cognito's or Auth0's (`sub` and `client_id` name the client,
 * `scope` is space-delimited, `aud` is the API).
 */
import { randomUUID } from 'node:crypto';
import { signJwt, type SigningKey } from './jwt-signer';

export const DEFAULT_TOKEN_TTL_SECONDS = 3600;

export interface AccessTokenOptions {
  readonly issuer: string;
  readonly audience: string;
  readonly clientId: string;
  /** Granted scopes; an empty list omits the claim. */
  readonly scopes: readonly string[];
  /** Defaults to the client id (client-credentials tokens have no user). */
  readonly subject?: string;
  /** May be negative: an already expired token. */
  readonly ttlSeconds?: number;
  readonly nowSeconds?: number;
  /** Extra or replacing claims, applied last. */
  readonly extraClaims?: Readonly<Record<string, unknown>>;
}

export function accessTokenClaims(options: AccessTokenOptions): Record<string, unknown> {
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = {
    iss: options.issuer,
    sub: options.subject ?? options.clientId,
    aud: options.audience,
    client_id: options.clientId,
    iat: now,
    exp: now + (options.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS),
    jti: randomUUID(),
  };
  if (options.scopes.length > 0) claims.scope = options.scopes.join(' ');
  return { ...claims, ...options.extraClaims };
}

export function mintAccessToken(key: SigningKey, options: AccessTokenOptions): string {
  return signJwt(key, accessTokenClaims(options));
}
