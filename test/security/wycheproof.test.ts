/**
 * Wycheproof known-answer vectors (C2SP/wycheproof, Apache-2.0, test/fixtures/wycheproof/LICENSE) run through the
 * JWT layer the authorizer uses in production:
 *   our compact-JWS preflight (shape, canonical base64url, crit, alg allow-list)
 *   -> our JWKS filter (usable signing keys only) and key/alg fit check
 *   -> aws-jwt-verify's JWK and alg rules, key import and signature primitive.
 * The vectors' payloads are not JWT claim sets, so the claim checks (iss/aud/exp) are the part left out here.
 *
 * Decisions (also in SECURITY.md): `valid` vectors for the HS and PS families are refused (we accept RS, ES and EdDSA only);
 * tcId 372 and 373 (marked valid) use non-canonical base64url and are refused on purpose: one credential, one
 * spelling.
 */
import { createVerify, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { assertIsSignatureJwk, type JwkWithKid } from 'aws-jwt-verify/jwk';
import { describe, expect, it } from 'vitest';
import { ACCEPTED_ALGORITHMS, assertAcceptableHeader, assertCompactJwsShape } from '../../lambda/compact-jws';
import { assertKeyFitsAlgorithm, parseJwksDocument } from '../../lambda/jwks-cache';

/**
 * The production checks a token passes before its signature is verified, applied to a JWS (whose payload, unlike a
 * JWT's, need not be JSON): form and canonical encoding, then the header rules. Returns the header.
 */
function preflightCompactJws(jws: string): Record<string, unknown> {
  assertCompactJwsShape(jws);
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(jws.slice(0, jws.indexOf('.')), 'base64url').toString('utf8'));
  } catch {
    throw new Error('Token header is not JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new Error('Token header is not a JSON object');
  assertAcceptableHeader(header as Record<string, unknown>);
  return header as Record<string, unknown>;
}

const FIXTURES = join(__dirname, '../fixtures/wycheproof');
const load = (name: string) => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'));

/** aws-jwt-verify's own signature primitive and key import (node-web-compat-node), loaded from the installed package. */
const requireFromHere = createRequire(__filename);
const libraryCompat = requireFromHere(join(dirname(requireFromHere.resolve('aws-jwt-verify')), 'node-web-compat-node.js'))
  .nodeWebCompat as {
  transformJwkToKeyObjectSync(jwk: unknown): KeyObject;
  verifySignatureSync(args: { alg: string; keyObject: KeyObject; jwsSigningInput: string; signature: string }): boolean;
};

const PRIVATE_FIELDS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];
const publicPart = (jwk: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(jwk).filter(([field]) => !PRIVATE_FIELDS.includes(field)));

/** The production path for one token against a key set; true = signature accepted. */
function acceptsJws(jws: string, keys: Record<string, unknown>[]): boolean {
  try {
    const header = preflightCompactJws(jws);
    const usable = parseJwksDocument(Buffer.from(JSON.stringify({ keys: keys.map(publicPart) })));
    const jwk = usable.get(String(header.kid)) as JwkWithKid | undefined;
    if (!jwk) return false;
    assertIsSignatureJwk(jwk);
    if (jwk.alg !== undefined && jwk.alg !== header.alg) return false;
    assertKeyFitsAlgorithm(jwk, header.alg);
    const [h, p, s] = jws.split('.') as [string, string, string];
    return libraryCompat.verifySignatureSync({
      alg: header.alg as string,
      keyObject: libraryCompat.transformJwkToKeyObjectSync(jwk),
      jwsSigningInput: `${h}.${p}`,
      signature: s,
    });
  } catch {
    return false;
  }
}

/**
 * For raw-message vectors: the same key import and the same node:crypto call with the same options as the library's
 * primitive (digest name, ieee-p1363, base64 signature string), fed the message bytes. Key through our JWKS filter.
 */
function acceptsRawSignature(alg: string, jwk: Record<string, unknown>, messageHex: string, signatureHex: string): boolean {
  try {
    const usable = parseJwksDocument(Buffer.from(JSON.stringify({ keys: [{ ...jwk, kid: 'k' }] })));
    const key = usable.get('k');
    if (!key) return false;
    assertKeyFitsAlgorithm(key, alg);
    return libraryStyleVerify(alg, key, messageHex, signatureHex);
  } catch {
    return false;
  }
}

/** The library's primitive, as it calls node:crypto, for a message given as bytes. */
function libraryStyleVerify(alg: string, jwk: Record<string, unknown>, messageHex: string, signatureHex: string): boolean {
  try {
    const keyObject = libraryCompat.transformJwkToKeyObjectSync(jwk);
    const signature = Buffer.from(signatureHex, 'hex').toString('base64url');
    const message = Buffer.from(messageHex, 'hex');
    if (alg === 'EdDSA') return cryptoVerify(null, message, keyObject, Buffer.from(signature, 'base64'));
    const digest = { ES256: 'RSA-SHA256', ES384: 'RSA-SHA384', RS256: 'RSA-SHA256' }[alg]!;
    return createVerify(digest).update(message).verify({ key: keyObject, dsaEncoding: 'ieee-p1363' }, signature, 'base64');
  } catch {
    return false;
  }
}

/** Some EC groups give the key only as an uncompressed point: the same key as a JWK. */
function jwkFromUncompressedPoint(publicKey: { curve: string; uncompressed: string }): Record<string, unknown> {
  const point = Buffer.from(publicKey.uncompressed, 'hex').subarray(1);
  const half = point.length / 2;
  const crv = { secp256r1: 'P-256', secp384r1: 'P-384' }[publicKey.curve];
  return { kty: 'EC', crv, x: point.subarray(0, half).toString('base64url'), y: point.subarray(half).toString('base64url') };
}

interface Outcome {
  tcId: number | string;
  result: string;
  accepted: boolean;
  comment: string;
}

function summarise(outcomes: Outcome[]) {
  const wrong = (predicate: (o: Outcome) => boolean) => outcomes.filter(predicate).map((o) => `${o.tcId}:${o.comment}`);
  return {
    invalidAccepted: wrong((o) => o.result === 'invalid' && o.accepted),
    validRefused: wrong((o) => o.result === 'valid' && !o.accepted),
    acceptable: outcomes.filter((o) => o.result === 'acceptable').map((o) => `${o.tcId}:${o.accepted ? 'accepted' : 'refused'}`),
    count: outcomes.length,
  };
}

describe('Wycheproof: compact JWS (json_web_signature_test.json)', () => {
  const file = load('json_web_signature_test.json');
  const outcomes: Array<Outcome & { alg: string }> = [];
  for (const group of file.testGroups) {
    const keys = group.public ? [group.public] : [];
    for (const test of group.tests) {
      let alg = '?';
      try {
        alg = JSON.parse(Buffer.from(test.jws.split('.')[0], 'base64url').toString()).alg;
      } catch {
        /* unparseable header: alg stays unknown */
      }
      outcomes.push({ tcId: test.tcId, result: test.result, accepted: acceptsJws(test.jws, keys), comment: test.comment, alg });
    }
  }

  it('refuses every invalid vector', () => {
    expect(summarise(outcomes).invalidAccepted).toEqual([]);
  });

  it('verifies every valid vector for an accepted algorithm, except the documented ones', () => {
    const refused = outcomes.filter((o) => o.result === 'valid' && ACCEPTED_ALGORITHMS.has(o.alg) && !o.accepted).map((o) => String(o.tcId));
    // 259, 264, 268: empty payload, not a JWT (RFC 7519 needs a JSON claims set).
    // 347, 351: RFC 7520 figure 27, whose key says alg "ES521" while the token says ES512; a key's alg must match.
    expect(refused).toEqual(['259', '264', '268', '347', '351']);
  });

  it('refuses the non-canonical base64url vectors (372, 373) whatever their algorithm', () => {
    const tokens = file.testGroups.flatMap((g: { tests: { tcId: number | string; jws: string }[] }) => g.tests).filter((t: { tcId: number | string }) => ['372', '373'].includes(String(t.tcId)));
    expect(tokens).toHaveLength(2);
    for (const test of tokens) expect(() => preflightCompactJws(test.jws)).toThrow(/base64url/);
  });

  it('refuses valid vectors of algorithms we do not accept (HS*, PS*)', () => {
    const others = outcomes.filter((o) => o.result === 'valid' && !ACCEPTED_ALGORITHMS.has(o.alg));
    expect(others.length).toBeGreaterThan(0);
    expect(others.filter((o) => o.accepted)).toEqual([]);
  });

  it('agrees with aws-jwt-verify on the signature itself for every vector our preflight lets through', () => {
    // The mirror used for raw-message vectors must behave like the library's primitive: check it on JWS inputs.
    for (const group of file.testGroups) {
      if (!group.public) continue;
      for (const test of group.tests) {
        const [h, p, s] = test.jws.split('.');
        if (s === undefined) continue;
        let header: Record<string, unknown>;
        try {
          header = preflightCompactJws(test.jws);
        } catch {
          continue;
        }
        const alg = header.alg as string;
        if (!['ES256', 'ES384', 'RS256', 'EdDSA'].includes(alg) || (group.public.alg && group.public.alg !== alg)) continue;
        const jwk = publicPart(group.public);
        let library: boolean;
        try {
          library = libraryCompat.verifySignatureSync({
            alg,
            keyObject: libraryCompat.transformJwkToKeyObjectSync(jwk),
            jwsSigningInput: `${h}.${p}`,
            signature: s,
          });
        } catch {
          library = false;
        }
        const mirror = libraryStyleVerify(alg, jwk, Buffer.from(`${h}.${p}`).toString('hex'), Buffer.from(s, 'base64url').toString('hex'));
        expect(mirror, `tcId ${test.tcId}`).toBe(library);
      }
    }
  });
});

describe('Wycheproof: JWK and key-set edge cases (json_web_key_test.json)', () => {
  const file = load('json_web_key_test.json');
  const outcomes: Outcome[] = [];
  for (const group of file.testGroups) {
    const keySet = (group.private?.keys ?? (group.private ? [group.private] : [])) as Record<string, unknown>[];
    for (const test of group.tests) {
      outcomes.push({ tcId: test.tcId, result: test.result, accepted: acceptsJws(test.jws, keySet), comment: test.comment });
    }
  }

  it('refuses every invalid vector (mixed symmetric key sets, wrong use and key_ops)', () => {
    expect(summarise(outcomes).invalidAccepted).toEqual([]);
  });

  it('verifies the valid ones whose algorithm we accept', () => {
    const refused = outcomes.filter((o) => o.result === 'valid' && !o.accepted);
    // Every refused valid vector must be an algorithm we do not accept.
    for (const o of refused) {
      const test = file.testGroups.flatMap((g: { tests: { tcId: unknown; jws: string }[] }) => g.tests).find((t: { tcId: unknown }) => t.tcId === o.tcId);
      const alg = JSON.parse(Buffer.from(test.jws.split('.')[0], 'base64url').toString()).alg;
      expect(ACCEPTED_ALGORITHMS.has(alg), `tcId ${o.tcId} (${alg})`).toBe(false);
    }
  });
});

describe.each([
  ['ES256', 'ecdsa_secp256r1_sha256_p1363_test.json'],
  ['ES384', 'ecdsa_secp384r1_sha384_p1363_test.json'],
  ['RS256', 'rsa_signature_2048_sha256_test.json'],
  ['EdDSA', 'ed25519_test.json'],
])('Wycheproof: %s signatures (%s)', (alg, name) => {
  const file = load(name);
  const outcomes: Outcome[] = [];
  for (const group of file.testGroups) {
    const jwk = group.publicKeyJwk ?? group.keyJwk ?? jwkFromUncompressedPoint(group.publicKey);
    for (const test of group.tests) {
      outcomes.push({ tcId: test.tcId, result: test.result, accepted: acceptsRawSignature(alg, jwk, test.msg, test.sig), comment: test.comment });
    }
  }

  it('refuses every invalid signature and verifies every valid one', () => {
    const summary = summarise(outcomes);
    expect(summary.count).toBe(file.numberOfTests);
    expect(summary.invalidAccepted).toEqual([]);
    expect(summary.validRefused).toEqual([]);
  });

  it('decides the acceptable ones as documented', () => {
    // rsa tcId 8 (acceptable): a DigestInfo missing its NULL parameter; OpenSSL refuses it, and so do we.
    expect(summarise(outcomes).acceptable).toEqual(name.startsWith('rsa') ? ['8:refused'] : []);
  });
});
