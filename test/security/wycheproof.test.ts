/**
 * Wycheproof known-answer vectors (C2SP/wycheproof, Apache-2.0, test/fixtures/wycheproof/LICENSE) run through the
 * authorizer's production code.
 *
 * - JWS vectors (json_web_signature_test.json, json_web_key_test.json): each group's key set is published by a real
 *   HTTPS JWKS server, and each vector goes to the JwtAuthenticator of a handler built by `createAuthorizerHandler`
 *   from its environment, through `verifyJws`: shape, header, algorithm allow-list, JWKS fetch and key checks, key
 *   lookup, signature. (The vectors' payloads are not JWT claims sets, such as "foo", so the claim step is the part
 *   `verifyJws` leaves out.) Every answer is classified: verified, refused (a CredentialRejectedError: the 401), a
 *   dependency fault, or anything else thrown (a bug: a 500 that a forged token caused). No vector may throw.
 * - Raw signature vectors (ECDSA P-256/P-384 in P1363 form, RSA 2048 PKCS#1 v1.5, Ed25519): a message and a
 *   signature, not a JWS, so no token can carry them. Their keys go through the production JWKS loader (the checks
 *   and import on load) and their signatures through the production signature step, `verifyJwsSignature`.
 *
 * Decisions (also in SECURITY.md): `valid` vectors for the HS and PS families are refused (we accept RS, ES and EdDSA
 * only); tcId 372 and 373 (marked valid) use non-canonical base64url and are refused on purpose: one credential, one
 * spelling.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCEPTED_ALGORITHMS } from '../../lambda/compact-jws';
import { loadConfig } from '../../lambda/config';
import { createAuthorizerHandler } from '../../lambda/create-handler';
import { DecisionLog } from '../../lambda/decision-log';
import { CredentialRejectedError, DependencyFaultError } from '../../lambda/errors';
import { keyFitsAlgorithm, parseJwksDocument } from '../../lambda/jwks-document';
import { verifyJwsSignature } from '../../lambda/jws-signature';
import type { SigningKey } from '../../local/jwt-signer';
import { TEST_MANIFEST } from '../support/authorizer-harness';
import { startJwksServer, type JwksServer } from '../support/jwks-server';

const FIXTURES = join(__dirname, '../fixtures/wycheproof');
const load = (name: string) => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'));

const PRIVATE_FIELDS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];
/** What an issuer publishes of a key: its public members. */
const publicPart = (jwk: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(jwk).filter(([field]) => !PRIVATE_FIELDS.includes(field)));

/** How the production code answered one vector. */
type Verdict = 'verified' | `refused ${string}` | `fault ${string}` | `threw ${string}`;

function verdictOf(error: unknown): Verdict {
  if (error instanceof CredentialRejectedError) return `refused ${error.code}`;
  if (error instanceof DependencyFaultError) return `fault ${error.code}`;
  return `threw ${(error as Error)?.message ?? String(error)}`;
}

let server: JwksServer;
let caDir: string;

beforeAll(async () => {
  server = await startJwksServer([]);
  caDir = mkdtempSync(join(tmpdir(), 'portcullis-wycheproof-'));
  writeFileSync(join(caDir, 'ca.pem'), server.ca);
});

afterAll(async () => {
  await server.stop();
  rmSync(caDir, { recursive: true, force: true });
});

/**
 * The JwtAuthenticator of a freshly built production handler (a new container: empty caches) whose one issuer is the
 * JWKS server, now publishing `keys`.
 */
function authenticatorPublishing(keys: Record<string, unknown>[]) {
  server.keys = keys.map((jwk) => ({ publicJwk: jwk }) as unknown as SigningKey);
  const config = loadConfig({
    ROUTE_MANIFEST: JSON.stringify(TEST_MANIFEST),
    JWT_ISSUERS: JSON.stringify([{ issuer: server.issuer, audience: null, jwksUri: server.jwksUri }]),
    JWKS_EXTRA_CA_FILE: join(caDir, 'ca.pem'),
  });
  const log = new DecisionLog({ serviceName: 'wycheproof', level: 'SILENT', write: () => undefined });
  return createAuthorizerHandler(config, { log }).deps.jwt!;
}

interface JwsOutcome {
  readonly tcId: number | string;
  readonly result: 'valid' | 'invalid' | 'acceptable';
  readonly alg: string;
  readonly verdict: Verdict;
  /** Whether the group's published key set holds a key the production loader accepts. */
  readonly usableKeySet: boolean;
}

function headerAlg(jws: string): string {
  try {
    return String(JSON.parse(Buffer.from(jws.split('.')[0]!, 'base64url').toString()).alg);
  } catch {
    return '?';
  }
}

function usable(keys: Record<string, unknown>[]): boolean {
  try {
    return parseJwksDocument(Buffer.from(JSON.stringify({ keys }))).size > 0;
  } catch {
    return false;
  }
}

/** Runs every vector of a JWS file through the production authenticator, group by group (one JWKS per group). */
async function runJwsFile(name: string, keysOf: (group: Record<string, any>) => Record<string, unknown>[]): Promise<JwsOutcome[]> {
  const outcomes: JwsOutcome[] = [];
  for (const group of load(name).testGroups) {
    const keys = keysOf(group).map(publicPart);
    const jwt = authenticatorPublishing(keys);
    for (const test of group.tests) {
      let verdict: Verdict;
      try {
        await jwt.verifyJws(test.jws, server.issuer);
        verdict = 'verified';
      } catch (error) {
        verdict = verdictOf(error);
      }
      outcomes.push({ tcId: test.tcId, result: test.result, alg: headerAlg(test.jws), verdict, usableKeySet: usable(keys) });
    }
  }
  return outcomes;
}

const ids = (outcomes: JwsOutcome[]) => outcomes.map((o) => `${o.tcId}`);

describe('Wycheproof: compact JWS (json_web_signature_test.json) through the JwtAuthenticator', () => {
  let outcomes: JwsOutcome[];
  beforeAll(async () => {
    outcomes = await runJwsFile('json_web_signature_test.json', (group) => (group.public ? [group.public] : []));
  }, 60_000);

  it('answers every vector with a verification or a refusal: nothing a forged JWS holds makes it throw', () => {
    expect(outcomes).toHaveLength(load('json_web_signature_test.json').numberOfTests);
    expect(outcomes.filter((o) => o.verdict.startsWith('threw')).map((o) => `${o.tcId}: ${o.verdict}`)).toEqual([]);
  });

  it('is a dependency fault only where the issuer publishes no usable key, and only for an algorithm we accept', () => {
    const faults = outcomes.filter((o) => o.verdict.startsWith('fault'));
    for (const fault of faults) {
      expect(fault.usableKeySet, `tcId ${fault.tcId}`).toBe(false);
      expect(ACCEPTED_ALGORITHMS.has(fault.alg), `tcId ${fault.tcId}`).toBe(true);
    }
  });

  it('refuses every invalid vector', () => {
    expect(ids(outcomes.filter((o) => o.result === 'invalid' && o.verdict === 'verified'))).toEqual([]);
  });

  it('verifies every valid vector for an accepted algorithm, except the documented ones', () => {
    const refused = outcomes.filter((o) => o.result === 'valid' && ACCEPTED_ALGORITHMS.has(o.alg) && o.verdict !== 'verified');
    // 259, 264, 268: an empty payload; a token has three non-empty segments (and RFC 7519 needs a JSON claims set).
    // 347, 351: RFC 7520 figure 27, whose key says alg "ES521" while the token says ES512; a key's alg must fit, so
    // the key is dropped when the JWKS is loaded and the group's issuer publishes no usable key.
    expect(refused.map((o) => `${o.tcId} ${o.verdict}`)).toEqual([
      '259 refused malformed_token',
      '264 refused malformed_token',
      '268 refused malformed_token',
      '347 fault jwks_unavailable',
      '351 fault jwks_unavailable',
    ]);
  });

  it('refuses the non-canonical base64url vectors (372, 373) whatever their algorithm', () => {
    const spelled = outcomes.filter((o) => ['372', '373'].includes(String(o.tcId)));
    expect(spelled.map((o) => o.verdict)).toEqual(['refused malformed_token', 'refused malformed_token']);
  });

  it('refuses valid vectors of algorithms we do not accept (HS*, PS*): at the algorithm step, or earlier', () => {
    const others = outcomes.filter((o) => o.result === 'valid' && !ACCEPTED_ALGORITHMS.has(o.alg));
    expect(others.length).toBeGreaterThan(0);
    const verdicts = new Set(others.map((o) => o.verdict));
    expect([...verdicts].sort()).toEqual(['refused malformed_token', 'refused unsupported_algorithm']);
  });
});

describe('Wycheproof: JWK and key-set edge cases (json_web_key_test.json) through the JwtAuthenticator', () => {
  let outcomes: JwsOutcome[];
  beforeAll(async () => {
    outcomes = await runJwsFile('json_web_key_test.json', (group) => group.private?.keys ?? (group.private ? [group.private] : []));
  }, 60_000);

  it('answers every vector with a verification or a refusal, never a throw', () => {
    expect(outcomes).toHaveLength(load('json_web_key_test.json').numberOfTests);
    expect(outcomes.filter((o) => o.verdict.startsWith('threw')).map((o) => `${o.tcId}: ${o.verdict}`)).toEqual([]);
  });

  it('refuses every invalid vector (mixed symmetric key sets, wrong use and key_ops, off-curve and mismatched keys)', () => {
    expect(ids(outcomes.filter((o) => o.result === 'invalid' && o.verdict === 'verified'))).toEqual([]);
  });

  it('verifies the valid ones whose algorithm we accept', () => {
    const refused = outcomes.filter((o) => o.result === 'valid' && o.verdict !== 'verified');
    for (const o of refused) expect(ACCEPTED_ALGORITHMS.has(o.alg), `tcId ${o.tcId} (${o.alg}): ${o.verdict}`).toBe(false);
  });
});

/** aws-jwt-verify's own signature primitive (node-web-compat-node), loaded from the installed package: the oracle. */
const requireFromHere = createRequire(__filename);
const libraryCompat = requireFromHere(join(dirname(requireFromHere.resolve('aws-jwt-verify')), 'node-web-compat-node.js'))
  .nodeWebCompat as {
  transformJwkToKeyObjectSync(jwk: unknown): KeyObject;
  verifySignatureSync(args: { alg: string; keyObject: KeyObject; jwsSigningInput: string; signature: string }): boolean;
};

describe('The production signature step agrees with aws-jwt-verify on every JWS vector', () => {
  it('verifies exactly what the library verifies, and answers false where the library throws', () => {
    let compared = 0;
    for (const group of load('json_web_signature_test.json').testGroups) {
      if (!group.public) continue;
      const jwk = publicPart(group.public);
      for (const test of group.tests) {
        const [h, p, s] = test.jws.split('.') as string[];
        const alg = headerAlg(test.jws);
        if (s === undefined || !ACCEPTED_ALGORITHMS.has(alg) || !/^[A-Za-z0-9_-]*$/.test(s)) continue;
        let keyObject: KeyObject;
        try {
          keyObject = libraryCompat.transformJwkToKeyObjectSync(jwk);
        } catch {
          continue;
        }
        let library: boolean;
        try {
          library = libraryCompat.verifySignatureSync({ alg, keyObject, jwsSigningInput: `${h}.${p}`, signature: s });
        } catch {
          library = false; // the library throws on some malformed signatures: that is the bug we answer with false
        }
        expect(verifyJwsSignature(alg, keyObject, `${h}.${p}`, s), `tcId ${test.tcId}`).toBe(library);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(50);
  });
});

/** Some EC groups give the key only as an uncompressed point: the same key as a JWK. */
function jwkFromUncompressedPoint(publicKey: { curve: string; uncompressed: string }): Record<string, unknown> {
  const point = Buffer.from(publicKey.uncompressed, 'hex').subarray(1);
  const half = point.length / 2;
  const crv = { secp256r1: 'P-256', secp384r1: 'P-384' }[publicKey.curve];
  return { kty: 'EC', crv, x: point.subarray(0, half).toString('base64url'), y: point.subarray(half).toString('base64url') };
}

describe.each([
  ['ES256', 'ecdsa_secp256r1_sha256_p1363_test.json'],
  ['ES384', 'ecdsa_secp384r1_sha384_p1363_test.json'],
  ['RS256', 'rsa_signature_2048_sha256_test.json'],
  ['EdDSA', 'ed25519_test.json'],
])('Wycheproof: %s signatures (%s) through the production key loader and signature step', (alg, name) => {
  const file = load(name);
  const outcomes: Array<{ tcId: number; result: string; verdict: 'verified' | 'false' | 'no key' | `threw ${string}` }> = [];
  for (const group of file.testGroups) {
    const jwk = { ...(group.publicKeyJwk ?? group.keyJwk ?? jwkFromUncompressedPoint(group.publicKey)), kid: 'k' };
    const key = (() => {
      try {
        return parseJwksDocument(Buffer.from(JSON.stringify({ keys: [jwk] }))).get('k');
      } catch {
        return undefined;
      }
    })();
    for (const test of group.tests) {
      let verdict: (typeof outcomes)[number]['verdict'];
      if (key === undefined || !keyFitsAlgorithm(key, alg)) verdict = 'no key';
      else {
        try {
          const signature = Buffer.from(test.sig, 'hex').toString('base64url');
          verdict = verifyJwsSignature(alg, key.keyObject, Buffer.from(test.msg, 'hex'), signature) ? 'verified' : 'false';
        } catch (error) {
          verdict = `threw ${(error as Error).message}`;
        }
      }
      outcomes.push({ tcId: test.tcId, result: test.result, verdict });
    }
  }

  it('answers every signature true or false, never with an exception', () => {
    expect(outcomes).toHaveLength(file.numberOfTests);
    expect(outcomes.filter((o) => o.verdict.startsWith('threw'))).toEqual([]);
  });

  it('refuses every invalid signature and verifies every valid one', () => {
    expect(outcomes.filter((o) => o.result === 'invalid' && o.verdict === 'verified').map((o) => o.tcId)).toEqual([]);
    expect(outcomes.filter((o) => o.result === 'valid' && o.verdict !== 'verified').map((o) => `${o.tcId} ${o.verdict}`)).toEqual([]);
  });

  it('decides the acceptable ones as documented', () => {
    // rsa tcId 8 (acceptable): a DigestInfo missing its NULL parameter; OpenSSL refuses it, and so do we.
    const acceptable = outcomes.filter((o) => o.result === 'acceptable').map((o) => `${o.tcId}:${o.verdict}`);
    expect(acceptable).toEqual(name.startsWith('rsa') ? ['8:false'] : []);
  });
});
