import { describe, expect, it } from 'vitest';
import {
  crc32,
  generateApiKey,
  generateKeyId,
  hashApiKey,
  isWellFormedApiKey,
  isWellFormedKeyId,
  KEY_BODY_LENGTH,
  randomBase62,
} from '../../lambda/api-key-format';

describe('API key format', () => {
  it('generates keys with the prefix, a 32-char base62 body and a valid checksum', () => {
    const key = generateApiKey('ptc_live_');
    expect(key).toMatch(/^ptc_live_[0-9A-Za-z]{38}$/);
    expect(isWellFormedApiKey(key, 'ptc_live_')).toBe(true);
  });

  it('carries at least 160 bits of randomness in the body', () => {
    expect(KEY_BODY_LENGTH * Math.log2(62)).toBeGreaterThanOrEqual(160);
  });

  it('never generates the same key twice in 10,000 draws', () => {
    const keys = new Set(Array.from({ length: 10_000 }, () => generateApiKey('ptc_live_')));
    expect(keys.size).toBe(10_000);
  });

  it('uses every base62 character roughly uniformly (no modulo bias)', () => {
    const counts = new Map<string, number>();
    const sample = randomBase62(62_000);
    for (const ch of sample) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    expect(counts.size).toBe(62);
    for (const count of counts.values()) expect(count).toBeGreaterThan(800);
  });

  it('rejects a key with one character changed (checksum)', () => {
    const key = generateApiKey('ptc_live_');
    const position = 'ptc_live_'.length + 5;
    const swapped = key[position] === 'a' ? 'b' : 'a';
    expect(isWellFormedApiKey(key.slice(0, position) + swapped + key.slice(position + 1), 'ptc_live_')).toBe(false);
  });

  it('rejects a key of another environment, a truncated key and padding', () => {
    const key = generateApiKey('ptc_test_');
    expect(isWellFormedApiKey(key, 'ptc_live_')).toBe(false);
    expect(isWellFormedApiKey(key.slice(0, -1), 'ptc_test_')).toBe(false);
    expect(isWellFormedApiKey(`${key} `, 'ptc_test_')).toBe(false);
    expect(isWellFormedApiKey(key.replace('ptc_test_', 'ptc_live_'), 'ptc_live_')).toBe(false);
  });

  it('refuses to generate with an invalid prefix', () => {
    expect(() => generateApiKey('PTC-live')).toThrow(/Invalid key prefix/);
  });

  it('hashes keys as lowercase hex SHA-256', () => {
    expect(hashApiKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('generates public key ids that validate', () => {
    const keyId = generateKeyId();
    expect(isWellFormedKeyId(keyId)).toBe(true);
    expect(isWellFormedKeyId(`${keyId}x`)).toBe(false);
  });
});

describe('crc32', () => {
  it('matches zlib on ASCII input', async () => {
    const zlib = await import('node:zlib');
    for (const text of ['', 'a', 'ptc_live_', generateApiKey('ptc_live_'), 'The quick brown fox jumps over the lazy dog']) {
      expect(crc32(text)).toBe(zlib.crc32(text));
    }
    expect(crc32('The quick brown fox jumps over the lazy dog')).toBe(0x414fa339);
  });
});
