/**
 * Extracts the one credential a request carries in its `Authorization` header(s). Anything ambiguous or malformed
 * is refused (401) before any verification work. Credentials in the query string are never read.
 */
import { CredentialRejectedError } from './errors';

export type Credential =
  | {
      readonly kind: 'jwt';
      readonly token: string;
      /** Set when extraction already proved the token is base64url text and dots only (the JWT layer skips that scan). */
      readonly base64urlText?: true;
    }
  | { readonly kind: 'apiKey'; readonly key: string; readonly claimedKeyId?: string };

export type HeaderMap = Readonly<Record<string, string | undefined>> | null | undefined;
export type MultiValueHeaderMap = Readonly<Record<string, readonly string[] | undefined>> | null | undefined;

/** Longest accepted Authorization value. Real access tokens are a few KB at most. */
export const MAX_AUTHORIZATION_LENGTH = 8192;

const PRINTABLE_ASCII = /^[\x20-\x7E]+$/;
/** The common request, proven well-formed in one scan of the value: `Bearer`, one space, base64url text and dots. */
const BEARER_BASE64URL_TEXT = /^Bearer [A-Za-z0-9_.-]+$/;
const BEARER_PREFIX_LENGTH = 'Bearer '.length;
const SCHEME = /^[A-Za-z][A-Za-z0-9-]*$/;
const AUTHORIZATION = 'authorization';
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function reject(code: 'missing_credential' | 'ambiguous_credential' | 'malformed_header' | 'unsupported_scheme', message: string): never {
  throw new CredentialRejectedError(code, message);
}

/** All values of the Authorization header, from both maps API Gateway fills, whatever their casing. */
export function authorizationValues(headers: HeaderMap, multiValueHeaders: MultiValueHeaderMap): string[] {
  const multi: string[] = [];
  if (multiValueHeaders) {
    // for-in rather than Object.keys (no array per request); the length test spares lower-casing other names.
    for (const name in multiValueHeaders) {
      if (name.length !== AUTHORIZATION.length || name.toLowerCase() !== AUTHORIZATION) continue;
      const values = multiValueHeaders[name];
      if (Array.isArray(values)) multi.push(...values);
    }
  }
  const single: string[] = [];
  if (headers) {
    for (const name in headers) {
      if (name.length !== AUTHORIZATION.length || name.toLowerCase() !== AUTHORIZATION) continue;
      const value = headers[name];
      if (typeof value === 'string') single.push(value);
    }
  }
  if (multi.length === 0) return single;
  // `headers` holds the last of the multi values; a single value that the multi map lacks is a second credential.
  return single.every((value) => multi.includes(value)) ? multi : [...multi, ...single];
}

function decodeBasic(encoded: string): { keyId: string; key: string } {
  if (!BASE64.test(encoded) || encoded.length % 4 !== 0) {
    reject('malformed_header', 'Basic credentials are not valid base64');
  }
  const bytes = Buffer.from(encoded, 'base64');
  // Refuse non-canonical encodings, so that one credential has exactly one spelling.
  if (bytes.toString('base64') !== encoded) reject('malformed_header', 'Basic credentials are not canonical base64');
  const decoded = bytes.toString('latin1');
  if (!PRINTABLE_ASCII.test(decoded)) reject('malformed_header', 'Basic credentials contain non-printable characters');
  const colon = decoded.indexOf(':');
  const keyId = colon > 0 ? decoded.slice(0, colon) : '';
  const key = colon > 0 ? decoded.slice(colon + 1) : '';
  if (!keyId || !key) reject('malformed_header', 'Basic credentials must be keyId:key');
  return { keyId, key };
}

/**
 * The one Authorization value, as {@link authorizationValues} would list it, without building its lists (this runs on
 * every request): throws when there is none or more than one.
 */
function soleAuthorizationValue(headers: HeaderMap, multiValueHeaders: MultiValueHeaderMap): string {
  let multiCount = 0;
  let multiValue: string | undefined;
  if (multiValueHeaders) {
    for (const name in multiValueHeaders) {
      if (name.length !== AUTHORIZATION.length || name.toLowerCase() !== AUTHORIZATION) continue;
      const values = multiValueHeaders[name];
      if (!Array.isArray(values)) continue;
      multiCount += values.length;
      if (multiValue === undefined && values.length > 0) multiValue = values[0] as string;
    }
  }
  if (multiCount > 1) return reject('ambiguous_credential', 'More than one Authorization header');
  let singleCount = 0;
  let singleValue: string | undefined;
  if (headers) {
    for (const name in headers) {
      if (name.length !== AUTHORIZATION.length || name.toLowerCase() !== AUTHORIZATION) continue;
      const value = headers[name];
      if (typeof value !== 'string') continue;
      // With a multi value, a single value is the same header seen twice, unless it differs: then it is a second one.
      if (multiCount === 1 ? value !== multiValue : ++singleCount > 1) {
        return reject('ambiguous_credential', 'More than one Authorization header');
      }
      singleValue = value;
    }
  }
  const value = multiCount === 1 ? multiValue : singleValue;
  if (value === undefined) return reject('missing_credential', 'No Authorization header');
  return value;
}

/** Parses the request's credential, or throws {@link CredentialRejectedError}. */
export function extractCredential(headers: HeaderMap, multiValueHeaders: MultiValueHeaderMap): Credential {
  const value: unknown = soleAuthorizationValue(headers, multiValueHeaders);
  if (typeof value !== 'string') return reject('malformed_header', 'Authorization header is not text');
  if (value.length === 0 || value.length > MAX_AUTHORIZATION_LENGTH) {
    reject('malformed_header', 'Authorization header is empty or too long');
  }
  if (BEARER_BASE64URL_TEXT.test(value)) {
    return { kind: 'jwt', token: value.slice(BEARER_PREFIX_LENGTH), base64urlText: true };
  }
  if (!PRINTABLE_ASCII.test(value)) {
    reject('malformed_header', 'Authorization header contains control or non-ASCII characters');
  }
  // "<scheme> <credentials>", with optional surrounding spaces (RFC 9110 OWS), one or more spaces between.
  const trimmed = value.trim();
  const space = trimmed.indexOf(' ');
  let start = space + 1;
  while (trimmed.charCodeAt(start) === 0x20) start++;
  const credentials = trimmed.slice(start);
  if (space <= 0 || credentials.length === 0 || credentials.includes(' ') || !SCHEME.test(trimmed.slice(0, space))) {
    reject('malformed_header', 'Authorization header is not "<scheme> <credentials>"');
  }
  const scheme = trimmed.slice(0, space).toLowerCase();
  switch (scheme) {
    case 'bearer':
      return { kind: 'jwt', token: credentials };
    case 'apikey':
      return { kind: 'apiKey', key: credentials };
    case 'basic': {
      const { keyId, key } = decodeBasic(credentials);
      return { kind: 'apiKey', key, claimedKeyId: keyId };
    }
    default:
      return reject('unsupported_scheme', 'Authorization scheme is not Bearer, ApiKey or Basic');
  }
}
