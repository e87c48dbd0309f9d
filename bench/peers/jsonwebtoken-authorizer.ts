/**
 * The typical Lambda authorizer found in tutorials: `jwks-rsa` fetches and caches the signing key by kid (as a
 * PEM string), `jsonwebtoken` verifies with it. Neither supports EdDSA.
 */
import jwt, { type JwtPayload } from 'jsonwebtoken';
import jwksClient from 'jwks-rsa';
import { typicalHandler, type PeerAuthorizer, type PeerConfig } from './common';

export function createAuthorizer(config: PeerConfig): PeerAuthorizer {
  const jwks = config.jwks;
  const client = jwksClient({
    jwksUri: config.jwksUri,
    cache: true,
    rateLimit: true,
    ...(jwks ? { getKeysInterceptor: async () => jwks.keys as never } : {}),
  });
  async function verify(token: string): Promise<JwtPayload> {
    const decoded = jwt.decode(token, { complete: true });
    if (!decoded || typeof decoded.header.kid !== 'string') throw new Error('Unauthorized');
    const key = await client.getSigningKey(decoded.header.kid);
    return jwt.verify(token, key.getPublicKey(), {
      algorithms: ['RS256', 'ES256'],
      issuer: config.issuer,
      audience: config.audience,
    }) as JwtPayload;
  }
  return { verify, handler: typicalHandler(verify) };
}
