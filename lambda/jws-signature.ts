/**
 * The signature step of JWS verification (RFC 7515 5.2 step 8), for the algorithms we accept. It takes the
 * attacker's signature bytes, so every way they can be wrong is an answer (`false`), never an exception: a forged
 * token is a 401, not a 500. The key was imported and checked when its JWKS was loaded (jwks-key.ts).
 *
 * Same primitive as aws-jwt-verify's (its node-web-compat-node `verifySignatureSync`: PKCS#1 v1.5 for RS*, IEEE P1363
 * r||s for ES*, pure Ed25519 for EdDSA), as one `crypto.verify` call on the decoded bytes;
 * test/security/wycheproof.test.ts holds the two equal on every vector.
 */
import { verify, type KeyObject } from 'node:crypto';

const DIGEST: Readonly<Record<string, string | null>> = {
  RS256: 'sha256',
  RS384: 'sha384',
  RS512: 'sha512',
  ES256: 'sha256',
  ES384: 'sha384',
  ES512: 'sha512',
  EdDSA: null,
};

/**
 * The only signature length each fixed-length algorithm has: R||S, each the curve order's size (RFC 7518 3.4: 64,
 * 96 and 132 octets), and Ed25519's 64 octets (RFC 8032 5.1.6). Node throws "Malformed signature" on any other
 * length of an ECDSA signature (a DER one included) instead of answering false.
 */
const SIGNATURE_BYTES: Readonly<Record<string, number>> = { ES256: 64, ES384: 96, ES512: 132, EdDSA: 64 };

/** Octets of an unpadded base64url text of `length` characters (the caller proved it canonical). */
const decodedLength = (length: number) => Math.floor((length * 3) / 4);

/**
 * True when `signatureB64` (canonical unpadded base64url) is a valid signature of `signingInput` (the JWS signing
 * input; bytes for raw test vectors) under `key` with
 * `alg`. False for every wrong signature, whatever its bytes. Throws only on what no token can cause (an algorithm
 * outside the allow-list, a key of another family: callers check both first), so a throw is our bug: a 500.
 */
export function verifyJwsSignature(alg: string, key: KeyObject, signingInput: string | Buffer, signatureB64: string): boolean {
  const digest = DIGEST[alg];
  if (digest === undefined) throw new TypeError(`no signature step for alg ${alg}`);
  const expected = SIGNATURE_BYTES[alg];
  if (expected !== undefined && decodedLength(signatureB64.length) !== expected) return false;
  try {
    return verify(digest, typeof signingInput === 'string' ? Buffer.from(signingInput) : signingInput, { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(signatureB64, 'base64url'));
  } catch (error) {
    // OpenSSL refusing the signature bytes (e.g. an RSA signature longer than the modulus on some builds) is a
    // wrong signature; anything else (a programming error) stays an error.
    if (isCryptoOperationError(error)) return false;
    throw error;
  }
}

function isCryptoOperationError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code === 'ERR_CRYPTO_OPERATION_FAILED' || code.startsWith('ERR_OSSL_'));
}
