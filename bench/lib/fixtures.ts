/**
 * What every in-process case shares: one signing key per algorithm (RS256 2048-bit, ES256, EdDSA) published in one
 * issuer's JWKS, token factories, and the prepared inputs of the raw node:crypto limit.
 */
import { createPublicKey, randomUUID, type KeyObject } from 'node:crypto';
import { generateSigningKey, signJwt, type SigningKey } from '../../local/jwt-signer';

export const ALGS = ['RS256', 'ES256', 'EdDSA'] as const;
export type BenchAlg = (typeof ALGS)[number];

export const AUDIENCE = 'portcullis-api';
export const SCOPE = 'items:read items:write';

export interface AlgFixture {
  readonly alg: BenchAlg;
  readonly key: SigningKey;
  /** The prepared public KeyObject the raw limit verifies with. */
  readonly publicKey: KeyObject;
  /** node:crypto's digest name for the one-shot verify (null for EdDSA). */
  readonly digest: string | null;
}

export function algFixtures(): Record<BenchAlg, AlgFixture> {
  const out = {} as Record<BenchAlg, AlgFixture>;
  for (const alg of ALGS) {
    const key = generateSigningKey(alg, `bench-${alg.toLowerCase()}`);
    out[alg] = { alg, key, publicKey: createPublicKey({ key: key.publicJwk, format: 'jwk' }), digest: alg === 'EdDSA' ? null : 'sha256' };
  }
  return out;
}

/** A realistic access token: client-credentials style claims, one hour of life, unique jti (so each is new). */
export function mintToken(fixture: AlgFixture, issuer: string, overrides: Record<string, unknown> = {}): string {
  const now = Math.floor(Date.now() / 1000);
  return signJwt(fixture.key, {
    iss: issuer,
    sub: 'client-7f3a9c',
    aud: AUDIENCE,
    client_id: 'client-7f3a9c',
    scope: SCOPE,
    iat: now,
    exp: now + 3600,
    jti: randomUUID(),
    ...overrides,
  });
}

/** The bytes the raw limit verifies: the signing input and the decoded signature, prepared outside the timing. */
export interface PreparedSignature {
  readonly data: Buffer;
  readonly signature: Buffer;
}

export function prepareSignature(token: string): PreparedSignature {
  const lastDot = token.lastIndexOf('.');
  return { data: Buffer.from(token.slice(0, lastDot)), signature: Buffer.from(token.slice(lastDot + 1), 'base64url') };
}

/** Same token with one signature character changed (still canonical base64url): verifies to false. */
export function tamperSignature(token: string): string {
  const lastDot = token.lastIndexOf('.');
  const index = lastDot + 10;
  const replacement = token[index] === 'A' ? 'B' : 'A';
  return `${token.slice(0, index)}${replacement}${token.slice(index + 1)}`;
}
