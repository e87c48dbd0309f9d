/**
 * An authorizer on `fast-jwt`: one synchronous verifier per JWKS key (PEM), picked by the token's kid. fast-jwt
 * does not fetch JWKS itself; in a Lambda the keys are fetched once with node:https (what `get-jwks` does).
 * `cache: true` turns on fast-jwt's verified-token cache (reported as its own case).
 */
import { createPublicKey } from 'node:crypto';
import { get } from 'node:https';
import { createVerifier } from 'fast-jwt';
import { typicalHandler, type PeerAuthorizer, type PeerConfig } from './common';

type Verifier = (token: string) => Record<string, unknown>;

function fetchJwks(uri: string): Promise<{ keys: Record<string, string>[] }> {
  return new Promise((resolve, reject) => {
    get(uri, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as { keys: Record<string, string>[] });
        } catch (error) {
          reject(error as Error);
        }
      });
    }).on('error', reject);
  });
}

export function createAuthorizer(config: PeerConfig): PeerAuthorizer {
  let verifiers: Map<string, Verifier> | undefined;
  const build = (jwks: { keys: Record<string, string>[] }) => {
    verifiers = new Map();
    for (const jwk of jwks.keys) {
      const pem = createPublicKey({ key: jwk as never, format: 'jwk' }).export({ format: 'pem', type: 'spki' }) as string;
      verifiers.set(
        jwk.kid!,
        createVerifier({
          key: pem,
          algorithms: [jwk.alg as 'RS256'],
          allowedIss: config.issuer,
          allowedAud: config.audience,
          requiredClaims: ['exp'],
          cache: config.cache ?? false,
        }) as Verifier,
      );
    }
  };
  if (config.jwks) build(config.jwks);
  const verifySync = (token: string): Record<string, unknown> => {
    const header = JSON.parse(Buffer.from(token.slice(0, token.indexOf('.')), 'base64url').toString('utf8')) as { kid?: string };
    const verifier = typeof header.kid === 'string' ? verifiers?.get(header.kid) : undefined;
    if (!verifier) throw new Error('Unauthorized');
    return verifier(token);
  };
  const verify = (token: string): Record<string, unknown> | Promise<Record<string, unknown>> =>
    verifiers ? verifySync(token) : fetchJwks(config.jwksUri).then((jwks) => (build(jwks), verifySync(token)));
  return { verify, handler: typicalHandler(verify) };
}
