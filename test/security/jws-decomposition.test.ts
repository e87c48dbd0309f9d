/**
 * Our token decomposition (compact-jws.ts) parses the common token without aws-jwt-verify's JSON reviver, for speed.
 * It must answer exactly what the library's `decomposeUnverifiedJwt` (plus our header rules) answers: the same parts
 * for every token it accepts, a refusal for every token the library refuses. Checked on fixed hostile cases (prototype
 * keys, escaped spellings of them, wrong claim types) and on generated headers and payloads (fast-check, from
 * a fixed seed; FC_SEED=<seed> runs another).
 */
import fc from 'fast-check';
import { decomposeUnverifiedJwt } from 'aws-jwt-verify/jwt';
import { JwtParseError } from 'aws-jwt-verify/error';
import { describe, expect, it } from 'vitest';
import { assertAcceptableHeader, decomposeCompactJws } from '../../lambda/compact-jws';
import { CredentialRejectedError } from '../../lambda/errors';
import { checkProperty } from '../support/property-run';

const SIGNATURE = 'c2lnbmF0dXJl';
const encode = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
const tokenOf = (headerText: string, payloadText: string) => `${encode(headerText)}.${encode(payloadText)}.${SIGNATURE}`;

type Outcome = { parts: unknown } | { refused: string };

function refusal(error: unknown): { refused: string } {
  if (error instanceof CredentialRejectedError) return { refused: error.code };
  if (error instanceof JwtParseError) return { refused: 'malformed_token' };
  throw error;
}

/** What the library says, with our header rules applied after it (as the authenticator did before this change). */
function viaLibrary(token: string): Outcome {
  try {
    const decomposed = decomposeUnverifiedJwt(token);
    assertAcceptableHeader(decomposed.header);
    return { parts: decomposed };
  } catch (error) {
    return refusal(error);
  }
}

function viaOurs(token: string): Outcome {
  try {
    return { parts: decomposeCompactJws(token) };
  } catch (error) {
    return refusal(error);
  }
}

/** A JSON text with some characters written as \u escapes (the same value, another spelling). */
function withEscapes(text: string, every: number): string {
  let inString = false;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '"' && text[i - 1] !== '\\') inString = !inString;
    out += inString && ch !== '"' && ch !== '\\' && i % every === 0 ? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}` : ch;
  }
  return out;
}

describe('JWS decomposition agrees with aws-jwt-verify', () => {
  const header = JSON.stringify({ alg: 'RS256', kid: 'k1' });
  const fixed: Array<[string, string, string]> = [
    ['a plain token', header, JSON.stringify({ iss: 'https://i', sub: 'u', exp: 2e9, scope: 'a b' })],
    ['a payload with an own __proto__ key', header, '{"iss":"https://i","__proto__":{"admin":true},"exp":2000000000}'],
    ['a nested __proto__', header, '{"iss":"https://i","ext":{"__proto__":{"x":1},"constructor":{"y":2}}}'],
    ['an escaped __proto__', header, '{"iss":"https://i","\\u005f_proto__":{"admin":true}}'],
    ['an escaped constructor', header, '{"iss":"https://i","constructo\\u0072":1}'],
    ['a constructor key in the header', '{"alg":"RS256","constructor":{"alg":"none"}}', '{"iss":"https://i"}'],
    ['a header __proto__ carrying alg', '{"__proto__":{"alg":"RS256"}}', '{"iss":"https://i"}'],
    ['an escaped alg value', '{"alg":"RS\\u0032\\u0035\\u0036"}', '{"iss":"https://i"}'],
    ['a string exp', header, '{"exp":"2000000000"}'],
    ['an aud array with a number', header, '{"aud":["a",1]}'],
    ['a scope array', header, '{"scope":["a","b"]}'],
    ['a non-finite-looking iat', header, '{"iat":1e999}'],
    ['a numeric kid', '{"alg":"RS256","kid":7}', '{}'],
    ['a payload that is an array', header, '[1,2]'],
    ['a payload that is null', header, 'null'],
    ['a header that is a string', '"RS256"', '{}'],
    ['invalid JSON', header, '{"iss":'],
    ['invalid UTF-8', header, '\u00ff{"iss":"x"}'],
    ['a crit header', '{"alg":"RS256","crit":["exp"]}', '{}'],
    ['an HMAC alg', '{"alg":"HS256"}', '{}'],
    ['no alg', '{"kid":"k"}', '{}'],
  ];

  it.each(fixed)('%s', (_name, headerText, payloadText) => {
    const token = tokenOf(headerText, payloadText);
    expect(viaOurs(token)).toStrictEqual(viaLibrary(token));
  });

  it('parses a prototype key the way the library does (removed, never the prototype)', () => {
    const result = viaOurs(tokenOf(header, '{"iss":"https://i","\\u005f_proto__":{"admin":true}}')) as { parts: { payload: Record<string, unknown> } };
    expect(result.parts.payload.admin).toBeUndefined();
    expect(Object.getPrototypeOf(result.parts.payload)).toBe(Object.prototype);
  });

  const key = fc.oneof(
    fc.constantFrom('alg', 'kid', 'crit', 'typ', 'exp', 'iss', 'sub', 'aud', 'nbf', 'iat', 'scope', 'jti', '__proto__', 'constructor', 'prototype', 'toString'),
    fc.string({ maxLength: 12 }),
  );
  const value: fc.Arbitrary<unknown> = fc.oneof(
    fc.constantFrom('RS256', 'ES256', 'EdDSA', 'HS256', 'none', 2e9, -1, 1.5, null, true, [], ['a', 'b'], ['a', 1]),
    fc.string({ maxLength: 16 }),
    fc.jsonValue({ maxDepth: 2 }),
  );
  // JSON texts built by hand so that duplicate and prototype keys survive (an object literal would swallow them).
  const objectText = fc
    .array(fc.tuple(key, value), { maxLength: 8 })
    .map((entries) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`).join(',')}}`);
  const spelled = fc
    .tuple(fc.oneof(objectText, fc.jsonValue().map((v) => JSON.stringify(v) ?? 'null'), fc.string({ maxLength: 24 })), fc.integer({ min: 0, max: 4 }))
    .map(([text, escapeEvery]) => (escapeEvery === 0 ? text : withEscapes(text, escapeEvery + 1)));
  const headerText = fc.oneof(
    fc.array(fc.tuple(key, value), { maxLength: 4 }).map(
      (entries) => `{"alg":"RS256"${entries.map(([k, v]) => `,${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`).join('')}}`,
    ),
    spelled,
  );

  it('gives the same parts or the same refusal on generated headers and payloads', () => {
    checkProperty(
      fc.property(headerText, spelled, (h, p) => {
        const token = tokenOf(h, p);
        expect(viaOurs(token)).toStrictEqual(viaLibrary(token));
      }),
      { numRuns: 3000 },
    );
  });
});
