/**
 * The ID token of the code flow (OIDC Core section 2), issued when the `openid` scope was granted: signed with the
 * issuer's key, audience the client, with `nonce` echoed and `name`/`email` for the `profile`/`email` scopes.
 */
import { signJwt, type SigningKey } from '../jwt-signer';
import type { DevUser } from '../dev-clients';

export function mintIdToken(
  key: SigningKey,
  options: {
    readonly issuer: string;
    readonly clientId: string;
    readonly user: DevUser;
    readonly scopes: readonly string[];
    readonly authTime: number;
    readonly nonce?: string;
    readonly ttlSeconds: number;
  },
): string {
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = {
    iss: options.issuer,
    sub: options.user.sub,
    aud: options.clientId,
    iat: now,
    exp: now + options.ttlSeconds,
    auth_time: options.authTime,
  };
  if (options.nonce !== undefined) claims.nonce = options.nonce;
  if (options.scopes.includes('profile')) claims.name = options.user.name;
  if (options.scopes.includes('email')) claims.email = options.user.email;
  return signJwt(key, claims);
}
