/**
 * Strict checks on a compact JWS before aws-jwt-verify sees it. The library decodes base64url leniently (Node's
 * decoder skips bad characters, accepts padding and non-zero trailing bits), so several spellings of one signature
 * would verify; we accept exactly one: RFC 7515 base64url, unpadded, canonical. The header must be a JSON object
 * without `crit` and with an asymmetric `alg` we accept.
 */
import { decomposeUnverifiedJwt, type DecomposedJwt } from 'aws-jwt-verify/jwt';
import type { JwtHeader, JwtPayload } from 'aws-jwt-verify/jwt-model';
import { CredentialRejectedError, withoutStack } from './errors';

/** True for a compact JWS (three dot-separated segments): those are verified as JWTs, never sent to introspection. */
export function isCompactJws(token: string): boolean {
  const first = token.indexOf('.');
  if (first < 0) return false;
  const second = token.indexOf('.', first + 1);
  return second > 0 && token.indexOf('.', second + 1) === -1;
}

/** Asymmetric algorithms only: an HMAC "signed" with a public key is the classic confusion attack. */
export const ACCEPTED_ALGORITHMS: ReadonlySet<string> = new Set(['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'EdDSA']);

const BASE64URL_TEXT = /^[A-Za-z0-9_.-]+$/;
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

/**
 * Checks the token's form: three non-empty, canonical, unpadded base64url segments; returns the index of the second
 * dot. (Written with indexOf rather than a regular expression: this runs on every token and the token is long.)
 * `base64urlText`: the caller already proved every character is base64url or a dot, so that scan is skipped.
 */
export function assertCompactJwsShape(token: string, base64urlText = false): number {
  const first = token.indexOf('.');
  const second = first < 0 ? -1 : token.indexOf('.', first + 1);
  if (first <= 0 || second <= first + 1 || second === token.length - 1 || token.indexOf('.', second + 1) !== -1) {
    reject('malformed_token', 'Token is not three base64url segments');
  }
  if (!base64urlText && !BASE64URL_TEXT.test(token)) reject('malformed_token', 'Token is not unpadded base64url');
  if (!isCanonicalBase64Url(token.slice(0, first)) || !isCanonicalBase64Url(token.slice(first + 1, second)) || !isCanonicalBase64Url(token.slice(second + 1))) {
    reject('malformed_token', 'Token is not canonical base64url');
  }
  return second;
}

/**
 * JSON text that plain `JSON.parse` reads exactly as aws-jwt-verify's `safeJsonParse` does. Its reviver only deletes
 * own `__proto__` and `constructor` keys; text without those words and without escapes (which could spell them) has
 * none, and skipping a reviver call per value is most of the library's decomposition cost.
 */
function parsesSameWithoutReviver(text: string): boolean {
  return !text.includes('\\') && !text.includes('__proto__') && !text.includes('constructor');
}

const isJsonObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isOptionalString = (value: unknown) => value === undefined || typeof value === 'string';
const isOptionalNumber = (value: unknown) => value === undefined || Number.isFinite(value);

/** aws-jwt-verify's checks on a decomposed header and payload (its assertJwtHeader/assertJwtPayload), same order. */
function isLibraryValidHeader(header: unknown): header is JwtHeader {
  return isJsonObject(header) && isOptionalString(header.alg) && isOptionalString(header.kid);
}

function isLibraryValidPayload(payload: unknown): payload is JwtPayload {
  if (!isJsonObject(payload)) return false;
  const { aud } = payload;
  return (
    isOptionalNumber(payload.exp) &&
    isOptionalString(payload.iss) &&
    isOptionalString(payload.sub) &&
    (aud === undefined || typeof aud === 'string' || (Array.isArray(aud) && aud.every((entry) => typeof entry === 'string'))) &&
    isOptionalNumber(payload.nbf) &&
    isOptionalNumber(payload.iat) &&
    isOptionalString(payload.scope) &&
    isOptionalString(payload.jti)
  );
}

/**
 * Checks the token's form and decomposes it into the (not yet trusted) parts aws-jwt-verify's verify steps take,
 * with the result the library's `decomposeUnverifiedJwt` would give (a test holds the two equal on hostile inputs).
 * The common token is decoded and parsed directly; anything a reviver could change goes through the library itself.
 * (No cache of decoded headers: it saved 0.6 us p50 per first-seen token, under the 1 us that would justify a cache.)
 */
export function decomposeCompactJws(token: string, base64urlText = false): DecomposedJwt {
  const second = assertCompactJwsShape(token, base64urlText);
  const first = token.indexOf('.');
  const headerB64 = token.slice(0, first);
  const payloadB64 = token.slice(first + 1, second);
  const headerText = Buffer.from(headerB64, 'base64url').toString('utf8');
  const payloadText = Buffer.from(payloadB64, 'base64url').toString('utf8');
  if (!parsesSameWithoutReviver(headerText) || !parsesSameWithoutReviver(payloadText)) {
    let decomposed: DecomposedJwt;
    try {
      decomposed = withoutStack(() => decomposeUnverifiedJwt(token));
    } catch {
      return reject('malformed_token', 'Token is not a well-formed JWT');
    }
    assertAcceptableHeader(decomposed.header);
    return decomposed;
  }
  let header: unknown;
  let payload: unknown;
  try {
    header = JSON.parse(headerText);
    payload = JSON.parse(payloadText);
  } catch {
    return reject('malformed_token', 'Token is not a well-formed JWT');
  }
  if (!isLibraryValidHeader(header) || !isLibraryValidPayload(payload)) reject('malformed_token', 'Token is not a well-formed JWT');
  assertAcceptableHeader(header as JwtHeader);
  return { header: header as JwtHeader, headerB64, payload: payload as JwtPayload, payloadB64, signatureB64: token.slice(second + 1) };
}

/** A compact JWS whose payload is any octets (RFC 7515), not necessarily a JWT claims set. */
export interface CompactJws {
  readonly header: JwtHeader;
  readonly headerB64: string;
  readonly payloadB64: string;
  readonly signatureB64: string;
}

/**
 * The JWS steps alone (form, canonical encoding, header rules) for a JWS whose payload need not be JSON: what
 * {@link decomposeCompactJws} checks, minus reading the payload as claims.
 */
export function decomposeJws(jws: string): CompactJws {
  const second = assertCompactJwsShape(jws);
  const first = jws.indexOf('.');
  let header: unknown;
  try {
    header = withoutStack(() => decomposeUnverifiedJwt(`${jws.slice(0, first)}.e30.AA`)).header; // the library parses the header; `{}` stands in for the payload
  } catch {
    return reject('malformed_token', 'Token header is not a JSON object');
  }
  assertAcceptableHeader(header as JwtHeader);
  return { header: header as JwtHeader, headerB64: jws.slice(0, first), payloadB64: jws.slice(first + 1, second), signatureB64: jws.slice(second + 1) };
}

/** Checks a decoded (not yet trusted) header: no `crit`, an accepted asymmetric `alg`. */
export function assertAcceptableHeader(header: Readonly<Record<string, unknown>>): void {
  if (Object.prototype.hasOwnProperty.call(header, 'crit')) reject('crit_header', 'Token has a crit header we do not understand');
  if (typeof header.alg !== 'string' || !ACCEPTED_ALGORITHMS.has(header.alg)) {
    reject('unsupported_algorithm', 'Token algorithm is not accepted');
  }
}
