/**
 * An authorizer on `jose` v6: a JWKS key set (remote in a Lambda, local in-process) and `jwtVerify`. jose v6 uses
 * WebCrypto, so each verification hops to libuv's thread pool and back.
 */
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { ALGORITHMS, typicalHandler, type PeerAuthorizer, type PeerConfig } from './common';

export function createAuthorizer(config: PeerConfig): PeerAuthorizer {
  const keySet = config.jwks ? createLocalJWKSet(config.jwks as never) : createRemoteJWKSet(new URL(config.jwksUri));
  async function verify(token: string): Promise<JWTPayload> {
    const { payload } = await jwtVerify(token, keySet, {
      issuer: config.issuer,
      audience: config.audience,
      algorithms: [...ALGORITHMS],
      requiredClaims: ['exp'],
    });
    return payload;
  }
  return { verify, handler: typicalHandler(verify as never) };
}
