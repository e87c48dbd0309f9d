/**
 * Reads a fetched JWKS document into the keys tokens can be verified with. Every key is checked and imported here,
 * once, when the document is loaded: a key that is not a usable public signing key (wrong use, private material,
 * weak or ROCA-flawed RSA, an EC point off its curve, an alg we do not accept...) is dropped with a reason, so no
 * token can ever reach a key that fails at use. The caller logs the reasons (kid and index only, no key material).
 *
 * Every key within the byte cap (JWKS_MAX_BYTES, enforced by the fetcher) is honoured: there is no count cap.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { JwkWithKid } from 'aws-jwt-verify/jwk';
import { DependencyFaultError } from './errors';
import { hasRocaFingerprint } from './roca-fingerprint';

/** A JWKS key ready for the signature step. */
export interface VerificationKey {
  readonly kid: string;
  /** The JWK as published (public members only). */
  readonly jwk: JwkWithKid;
  /** The JWK's own `alg`, when it names one: a token must then use exactly that algorithm (RFC 7517 4.4). */
  readonly alg?: string;
  /** What the key can verify: `RSA`, an EC curve (`P-256`, `P-384`, `P-521`) or `Ed25519`. */
  readonly family: KeyFamily;
  readonly keyObject: KeyObject;
}

export type KeyFamily = 'RSA' | 'P-256' | 'P-384' | 'P-521' | 'Ed25519';

/** The key family each accepted algorithm needs. */
export const FAMILY_OF_ALGORITHM: Readonly<Record<string, KeyFamily>> = {
  RS256: 'RSA',
  RS384: 'RSA',
  RS512: 'RSA',
  ES256: 'P-256',
  ES384: 'P-384',
  ES512: 'P-521',
  EdDSA: 'Ed25519',
};

/** A key left out of the usable set, and why (no key material). */
export interface DroppedKey {
  /** Position in the document's `keys` array. */
  readonly index: number;
  /** The key's kid when it has a string one (truncated). */
  readonly kid?: string;
  readonly reason: string;
}

/** Node's curve names for the JWK curves (`asymmetricKeyDetails.namedCurve`). */
const NODE_CURVE: Readonly<Record<string, string>> = { 'P-256': 'prime256v1', 'P-384': 'secp384r1', 'P-521': 'secp521r1' };
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const STRING_MEMBERS = ['kty', 'alg', 'use', 'n', 'e', 'x', 'y', 'crv'];

/** Why `value` cannot verify tokens, or the key ready to. */
function verificationKey(value: unknown): VerificationKey | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const jwk = value as Record<string, unknown>;
  if (typeof jwk.kid !== 'string' || jwk.kid === '') return 'no kid';
  for (const member of STRING_MEMBERS) if (member in jwk && typeof jwk[member] !== 'string') return `"${member}" is not a string`;
  if (jwk.use !== undefined && jwk.use !== 'sig') return 'use is not "sig"';
  // key_ops (RFC 7517 4.3): when present it must allow verification.
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify'))) return 'key_ops lacks "verify"';
  // A published private key is compromised: anyone could sign with it.
  if (PRIVATE_MEMBERS.some((member) => member in jwk)) return 'holds private key material';
  const family = familyOf(jwk);
  if (family === undefined) return 'not an RSA, EC (P-256/384/521) or Ed25519 key';
  if (jwk.alg !== undefined && FAMILY_OF_ALGORITHM[jwk.alg as string] !== family) return 'its alg is not accepted, or does not fit the key';
  let keyObject: KeyObject;
  try {
    keyObject = createPublicKey({ key: jwk as never, format: 'jwk' });
  } catch {
    return 'cannot be imported (e.g. an EC point off its curve)';
  }
  const problem = keyProblem(family, keyObject, jwk);
  if (problem !== undefined) return problem;
  return Object.freeze({ kid: jwk.kid, jwk: Object.freeze({ ...jwk }) as unknown as JwkWithKid, alg: jwk.alg as string | undefined, family, keyObject });
}

function familyOf(jwk: Record<string, unknown>): KeyFamily | undefined {
  if (jwk.kty === 'RSA') return typeof jwk.n === 'string' && typeof jwk.e === 'string' ? 'RSA' : undefined;
  if (jwk.kty === 'EC') return typeof jwk.crv === 'string' && jwk.crv in NODE_CURVE && typeof jwk.x === 'string' && typeof jwk.y === 'string' ? (jwk.crv as KeyFamily) : undefined;
  if (jwk.kty === 'OKP') return jwk.crv === 'Ed25519' && typeof jwk.x === 'string' ? 'Ed25519' : undefined;
  return undefined;
}

/** What the imported key must be on top of importable: the issuer's weakness would become ours. */
function keyProblem(family: KeyFamily, keyObject: KeyObject, jwk: Record<string, unknown>): string | undefined {
  const details = keyObject.asymmetricKeyDetails ?? {};
  if (family === 'RSA') {
    if (keyObject.asymmetricKeyType !== 'rsa') return 'not an RSA key';
    if ((details.modulusLength ?? 0) < 2048) return 'RSA modulus under 2048 bits';
    // e = 1 makes every message its own signature; an even e is not an RSA key.
    const exponent = details.publicExponent ?? 0n;
    if (exponent < 3n || exponent % 2n === 0n) return 'RSA exponent is not an odd number >= 3';
    if (hasRocaFingerprint(stripLeadingZero(Buffer.from(jwk.n as string, 'base64url')))) return 'RSA modulus has the ROCA fingerprint (CVE-2017-15361)';
    return undefined;
  }
  if (family === 'Ed25519') return keyObject.asymmetricKeyType === 'ed25519' ? undefined : 'not an Ed25519 key';
  return keyObject.asymmetricKeyType === 'ec' && details.namedCurve === NODE_CURVE[family] ? undefined : 'EC key is not on its named curve';
}

const stripLeadingZero = (modulus: Buffer) => (modulus[0] === 0 ? modulus.subarray(1) : modulus);

const MAX_LOGGED_KID = 64;

/**
 * Parses a fetched document into its usable signing keys by kid, telling `onDropped` about each key left out. Throws
 * a {@link DependencyFaultError} when the document is unusable as a whole (not JSON, no `keys` array, no usable key).
 */
export function parseJwksDocument(body: Buffer, onDropped?: (dropped: DroppedKey) => void): Map<string, VerificationKey> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body), (key, value: unknown) =>
      key === '__proto__' || key === 'constructor' ? undefined : value,
    );
  } catch {
    throw new DependencyFaultError('jwks_unavailable', 'JWKS response is not JSON');
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (typeof parsed !== 'object' || parsed === null || !Array.isArray(keys)) {
    throw new DependencyFaultError('jwks_unavailable', 'JWKS response has no "keys" array');
  }
  const usable = new Map<string, VerificationKey>();
  const indexOf = new Map<string, number>();
  const duplicated = new Set<string>();
  keys.forEach((entry: unknown, index) => {
    const key = verificationKey(entry);
    if (typeof key === 'string') {
      const kid = (entry as { kid?: unknown } | null)?.kid;
      onDropped?.({ index, kid: typeof kid === 'string' ? kid.slice(0, MAX_LOGGED_KID) : undefined, reason: key });
      return;
    }
    if (usable.has(key.kid)) duplicated.add(key.kid);
    else indexOf.set(key.kid, index);
    usable.set(key.kid, key);
  });
  // A kid listed twice is ambiguous: keep neither copy.
  for (const kid of duplicated) {
    usable.delete(kid);
    onDropped?.({ index: indexOf.get(kid)!, kid: kid.slice(0, MAX_LOGGED_KID), reason: 'kid listed more than once' });
  }
  if (usable.size === 0) throw new DependencyFaultError('jwks_unavailable', 'JWKS response holds no usable signing key');
  return usable;
}

/**
 * Whether a token's `alg` may be verified with the key: the key's family (aws-jwt-verify only compares `alg` when the
 * JWK has one, and would otherwise verify an "RS256" token with an EC key), its curve, and its own `alg` if any.
 */
export function keyFitsAlgorithm(key: VerificationKey, alg: string): boolean {
  return FAMILY_OF_ALGORITHM[alg] === key.family && (key.alg === undefined || key.alg === alg);
}
