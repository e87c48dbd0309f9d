/**
 * Bare aws-jwt-verify, used the fast way: `verifySync` against the verifier's cached JWKS, falling back to the
 * async `verify` (which fetches the JWKS) only when the key is not cached yet. In a Lambda (no keys given) it
 * hydrates the JWKS at init, as the library's README recommends; a failed hydrate is left to the first request.
 */
import { JwksNotAvailableInCacheError, KidNotFoundInJwksError } from 'aws-jwt-verify/error';
import { JwtVerifier } from 'aws-jwt-verify';
import { typicalHandler, type PeerAuthorizer, type PeerConfig } from './common';

export function createAuthorizer(config: PeerConfig): PeerAuthorizer {
  const verifier = JwtVerifier.create({ issuer: config.issuer, audience: config.audience, jwksUri: config.jwksUri });
  if (config.jwks) verifier.cacheJwks(config.jwks as never);
  else if (config.hydrate !== false) verifier.hydrate().catch(() => undefined);
  const verify = (token: string) => {
    try {
      return verifier.verifySync(token);
    } catch (error) {
      if (error instanceof JwksNotAvailableInCacheError || error instanceof KidNotFoundInJwksError) return verifier.verify(token);
      throw error;
    }
  };
  return { verify, handler: typicalHandler(verify as never) };
}
