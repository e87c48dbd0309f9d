/**
 * The API key format, shared by the authorizer (checks) and the key CLI (generation):
 *
 *   <product>_<environment>_<32 base62 chars from a CSPRNG><6 base62 chars of CRC32>
 *   e.g. ptc_live_8Xr2...Qz 0aB3cD
 *
 * 32 base62 characters carry 190 bits. The CRC32 (of prefix + body, GitHub token style) lets the authorizer refuse a
 * mistyped or forged-looking key without a DynamoDB call, and lets secret scanners recognise our keys.
 * Only the SHA-256 of a key is ever stored.
 */
import { hash, randomBytes } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const KEY_BODY_LENGTH = 32;
export const KEY_CHECKSUM_LENGTH = 6;
export const KEY_ID_BODY_LENGTH = 16;
export const KEY_PREFIX_PATTERN = /^[a-z][a-z0-9]{1,9}_[a-z0-9]{1,16}_$/;
const BASE62_RUN = /^[0-9A-Za-z]+$/;
const KEY_ID_PATTERN = /^key_[0-9A-Za-z]{16}$/;

/** `length` base62 characters from the CSPRNG, by rejection sampling (no modulo bias). */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // 248 = 4 * 62: bytes at or above it would favour the first characters.
      if (byte < 248) out += BASE62[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (IEEE 802.3, as zlib's) of an ASCII string. Here rather than node:zlib, whose load would cost cold start. */
export function crc32(text: string): number {
  if (crcTable === undefined) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < text.length; i++) crc = crcTable[(crc ^ text.charCodeAt(i)) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function checksum(text: string): string {
  let value = crc32(text);
  let out = '';
  for (let i = 0; i < KEY_CHECKSUM_LENGTH; i++) {
    out = BASE62[value % 62] + out;
    value = Math.floor(value / 62);
  }
  return out;
}

/** A new secret API key with the given prefix (e.g. `ptc_live_`). */
export function generateApiKey(prefix: string): string {
  if (!KEY_PREFIX_PATTERN.test(prefix)) throw new Error(`Invalid key prefix ${JSON.stringify(prefix)}`);
  const body = randomBase62(KEY_BODY_LENGTH);
  return `${prefix}${body}${checksum(prefix + body)}`;
}

/** A new public key id: safe to log, show and use as the Basic user name. */
export function generateKeyId(): string {
  return `key_${randomBase62(KEY_ID_BODY_LENGTH)}`;
}

export function isWellFormedKeyId(keyId: string): boolean {
  return KEY_ID_PATTERN.test(keyId);
}

/** True when the key has this deployment's prefix, the right length and alphabet, and a matching checksum. */
export function isWellFormedApiKey(key: string, prefix: string): boolean {
  if (key.length !== prefix.length + KEY_BODY_LENGTH + KEY_CHECKSUM_LENGTH || !key.startsWith(prefix)) return false;
  const rest = key.slice(prefix.length);
  if (!BASE62_RUN.test(rest)) return false;
  const body = rest.slice(0, KEY_BODY_LENGTH);
  return checksum(prefix + body) === rest.slice(KEY_BODY_LENGTH);
}

/** The only form in which a key is stored or looked up: lowercase hex SHA-256. */
export function hashApiKey(key: string): string {
  // One-shot crypto.hash (Node >= 20.12): a third of createHash's cost on the per-request path.
  return hash('sha256', key, 'hex');
}
