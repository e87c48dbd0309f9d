/**
 * Signs compact JWS tokens with node:crypto: the one signer used by the local issuer, `npm run token` and the tests.
 * Supports the algorithms the authorizer accepts (RS*, ES*, EdDSA).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';

export type SigningAlgorithm = 'RS256' | 'RS384' | 'RS512' | 'ES256' | 'ES384' | 'ES512' | 'EdDSA';

export interface SigningKey {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly privateKey: KeyObject;
  /** The public JWK as published in a JWKS (with kid, alg and use). */
  readonly publicJwk: Record<string, string>;
}

const HASH: Record<SigningAlgorithm, string | null> = {
  RS256: 'sha256',
  RS384: 'sha384',
  RS512: 'sha512',
  ES256: 'sha256',
  ES384: 'sha384',
  ES512: 'sha512',
  EdDSA: null,
};

const CURVE: Partial<Record<SigningAlgorithm, string>> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' };

export function base64url(input: Buffer | string): string {
  return Buffer.from(input).toString('base64url');
}

/** Wraps an existing private key (e.g. loaded from disk) as a signing key. */
export function signingKeyFrom(privateKey: KeyObject, alg: SigningAlgorithm, kid: string): SigningKey {
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' }) as Record<string, string>;
  return { kid, alg, privateKey, publicJwk: { ...jwk, kid, alg, use: 'sig' } };
}

/** A fresh key pair for the algorithm. */
export function generateSigningKey(alg: SigningAlgorithm, kid: string = randomUUID()): SigningKey {
  let privateKey: KeyObject;
  if (alg.startsWith('RS')) privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  else if (alg === 'EdDSA') privateKey = generateKeyPairSync('ed25519').privateKey;
  else privateKey = generateKeyPairSync('ec', { namedCurve: CURVE[alg]! }).privateKey;
  return signingKeyFrom(privateKey, alg, kid);
}

export function signingKeyFromPem(pem: string, alg: SigningAlgorithm, kid: string): SigningKey {
  return signingKeyFrom(createPrivateKey(pem), alg, kid);
}

/** Signs `payload` as a compact JWS. `header` entries are merged over `{alg, typ, kid}`. */
export function signJwt(key: SigningKey, payload: Record<string, unknown>, header: Record<string, unknown> = {}): string {
  const fullHeader = { alg: key.alg, typ: 'JWT', kid: key.kid, ...header };
  const signingInput = `${base64url(JSON.stringify(fullHeader))}.${base64url(JSON.stringify(payload))}`;
  const signature = sign(HASH[key.alg], Buffer.from(signingInput), {
    key: key.privateKey,
    ...(key.alg.startsWith('ES') ? { dsaEncoding: 'ieee-p1363' as const } : {}),
  });
  return `${signingInput}.${base64url(signature)}`;
}
