/**
 * Strict checks on a compact JWS before aws-jwt-verify sees it. The library decodes base64url leniently (Node's
 * decoder skips bad characters, accepts padding and non-zero trailing bits), so several spellings of one signature
 * would verify; we accept exactly one: RFC 7515 base64url, unpadded, canonical. The header must be a JSON object
 * without `crit` and with an asymmetric `alg` we accept.
 */
import { CredentialRejectedError } from './errors';

/** Asymmetric algorithms only: an HMAC "signed" with a public key is the classic confusion attack. */
export const ACCEPTED_ALGORITHMS: ReadonlySet<string> = new Set(['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'EdDSA']);

const COMPACT_JWS = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** True when the segment is the one canonical unpadded base64url spelling of its bytes. */
export function isCanonicalBase64Url(segment: string): boolean {
  const remainder = segment.length % 4;
  if (remainder === 1) return false;
  if (remainder === 0) return true;
  // The last character carries 4 (remainder 2) or 2 (remainder 3) unused bits, which must be zero.
  const lastValue = ALPHABET.indexOf(segment[segment.length - 1]!);
  return remainder === 2 ? (lastValue & 0x0f) === 0 : (lastValue & 0x03) === 0;
}

const reject = (code: 'malformed_token' | 'crit_header' | 'unsupported_algorithm', message: string): never => {
  throw new CredentialRejectedError(code, message);
};

/** Checks the token's form and header; returns the parsed (not yet trusted) header. */
export function preflightCompactJws(token: string): Record<string, unknown> {
  const match = COMPACT_JWS.exec(token);
  if (!match) return reject('malformed_token', 'Token is not three unpadded base64url segments');
  for (let i = 1; i <= 3; i++) {
    if (!isCanonicalBase64Url(match[i]!)) reject('malformed_token', 'Token is not canonical base64url');
  }
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(match[1]!, 'base64url').toString('utf8'));
  } catch {
    return reject('malformed_token', 'Token header is not JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    return reject('malformed_token', 'Token header is not a JSON object');
  }
  const fields = header as Record<string, unknown>;
  if (Object.prototype.hasOwnProperty.call(fields, 'crit')) reject('crit_header', 'Token has a crit header we do not understand');
  if (typeof fields.alg !== 'string' || !ACCEPTED_ALGORITHMS.has(fields.alg)) {
    reject('unsupported_algorithm', 'Token algorithm is not accepted');
  }
  return fields;
}
