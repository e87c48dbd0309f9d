/**
 * Property-based and fuzz tests (fast-check) through the real handler. Seeded and bounded (test/support/property-run.ts:
 * a fixed seed, printed; FC_SEED=<seed> runs another). Properties:
 *   - nothing but the genuine credential, spelled exactly, is ever allowed;
 *   - bad input only ever produces `Unauthorized` (never a 500, never a crash);
 *   - every call settles within a bound (no hang).
 */
import fc from 'fast-check';
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base64url, generateSigningKey, signJwt, type SigningKey } from '../../local/jwt-signer';
import { evaluatePolicy } from '../../local/iam-policy-evaluator';
import { generateApiKey, hashApiKey } from '../../lambda/api-key-format';
import { apiKeyItem, type ApiKeyRecord, type Item } from '../../lambda/key-table-schema';
import { createHarness, requestEvent, storeApiKey, type Harness } from '../support/authorizer-harness';
import { startJwksServer, type JwksServer } from '../support/jwks-server';
import { startLocalDynamoDb, type LocalDynamoDb } from '../support/local-dynamodb';
import { checkProperty } from '../support/property-run';

/** A run stopped by the time limit must have run a quarter of its cases (property-run.ts's default minimum). */
const RUN = { numRuns: 300, timeLimitMs: 15_000 };

let dynamo: LocalDynamoDb;
let jwks: JwksServer;
let rsa: SigningKey;
/** The issuer's JWKS holds RSA, EC (all three curves) and OKP keys; the mutation properties use a token of each. */
let signingKeys: SigningKey[];
let genuineTokens: string[];
let harness: Harness;
let genuineToken: string;
let genuineKey: string;
let genuineKeyId: string;

type Outcome = 'allow' | 'deny' | 'unauthorized' | 'error' | 'timeout';

/** Runs the handler with a time bound and classifies the answer as API Gateway would. */
async function outcome(event: APIGatewayRequestAuthorizerEvent): Promise<Outcome> {
  const timeout = new Promise<Outcome>((resolve) => setTimeout(() => resolve('timeout'), 3_000).unref());
  const run = harness.handler(event).then(
    (result) => (evaluatePolicy(result.policyDocument, event.methodArn) === 'allow' ? 'allow' : 'deny') as Outcome,
    (error: Error) => (error.message === 'Unauthorized' ? 'unauthorized' : 'error') as Outcome,
  );
  return Promise.race([run, timeout]);
}

const bearer = (token: string) => requestEvent({ authorization: `Bearer ${token}` });
const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  rsa = generateSigningKey('RS256', 'rsa-1');
  signingKeys = [
    rsa,
    generateSigningKey('ES256', 'ec-256'),
    generateSigningKey('ES384', 'ec-384'),
    generateSigningKey('ES512', 'ec-521'),
    generateSigningKey('EdDSA', 'okp-1'),
  ];
  [dynamo, jwks] = await Promise.all([startLocalDynamoDb(), startJwksServer(signingKeys)]);
  harness = createHarness({ issuers: [jwks], dynamo, env: { VERIFIED_TOKEN_CACHE_TTL: '0' } });
  genuineTokens = signingKeys.map((key) =>
    signJwt(key, { iss: jwks.issuer, aud: 'portcullis-api', sub: 'u', iat: now(), exp: now() + 3600, scope: 'items:read' }),
  );
  genuineToken = genuineTokens[0]!;
  const stored = await storeApiKey(dynamo);
  genuineKey = stored.key;
  genuineKeyId = stored.record.keyId;
  for (const token of genuineTokens) expect(await outcome(bearer(token))).toBe('allow');
  expect(await outcome(requestEvent({ authorization: `ApiKey ${genuineKey}` }))).toBe('allow');
});

afterAll(async () => {
  await harness.deps.apiKeys?.flush();
  await Promise.all([dynamo.stop(), jwks.stop()]);
});

/** Printable ASCII, control characters, non-ASCII and the separators tokens are made of. */
const hostileChar = fc.oneof(
  fc.constantFrom('.', '-', '_', '=', ' ', ':', '+', '/', '\t', '\u0000', '\u00a0', '\u200b', 'е', 'Ａ', '\n'),
  fc.string({ minLength: 1, maxLength: 1 }),
  fc.integer({ min: 0, max: 0x10ffff }).map((code) => String.fromCodePoint(code)),
);
const hostileString = (maxLength: number) => fc.array(hostileChar, { maxLength }).map((chars) => chars.join(''));

describe('Arbitrary Authorization headers', () => {
  it('never allow, and fail only with Unauthorized', async () => {
    const scheme = fc.constantFrom('Bearer ', 'bearer ', 'ApiKey ', 'Basic ', 'Digest ', '', 'Bearer  ', 'BEARER\t');
    await checkProperty(
      fc.asyncProperty(scheme, hostileString(300), async (prefix, body) => {
        const result = await outcome(requestEvent({ authorization: prefix + body }));
        expect(['unauthorized']).toContain(result);
      }),
      RUN,
    );
  });

  it('never allow with arbitrary header maps (duplicates, casing, nulls)', async () => {
    const name = fc.constantFrom('Authorization', 'authorization', 'AUTHORIZATION', 'X-Api-Key', 'Cookie');
    const value = fc.oneof(fc.constant(`Bearer ${'x'}`), hostileString(40), fc.constant(''));
    await checkProperty(
      fc.asyncProperty(
        fc.dictionary(name, value, { maxKeys: 4 }),
        fc.dictionary(name, fc.array(value, { maxLength: 3 }), { maxKeys: 4 }),
        fc.boolean(),
        async (headers, multiValueHeaders, nullMulti) => {
          const event = requestEvent({ headers, multiValueHeaders: nullMulti ? (null as never) : multiValueHeaders });
          expect(await outcome(event)).toBe('unauthorized');
        },
      ),
      RUN,
    );
  });
});

describe('Mutated genuine tokens', () => {
  it('flipped bits, swapped or dropped segments: allowed only if the token is unchanged', async () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), index: fc.nat(), bit: fc.integer({ min: 0, max: 6 }) }),
      fc.record({ kind: fc.constant('swap' as const), a: fc.nat(2), b: fc.nat(2) }),
      fc.record({ kind: fc.constant('drop' as const), at: fc.nat(2) }),
      fc.record({ kind: fc.constant('insert' as const), index: fc.nat(), text: hostileString(3) }),
    );
    await checkProperty(
      fc.asyncProperty(fc.nat(4), fc.array(mutation, { minLength: 1, maxLength: 3 }), async (which, mutations) => {
        const genuine = genuineTokens[which % genuineTokens.length]!;
        let token = genuine;
        for (const m of mutations) {
          if (m.kind === 'flip') {
            const i = m.index % token.length;
            token = token.slice(0, i) + String.fromCharCode(token.charCodeAt(i) ^ (1 << m.bit)) + token.slice(i + 1);
          } else if (m.kind === 'swap') {
            const parts = token.split('.');
            [parts[m.a], parts[m.b]] = [parts[m.b]!, parts[m.a]!];
            token = parts.join('.');
          } else if (m.kind === 'drop') {
            const parts = token.split('.');
            parts.splice(m.at, 1);
            token = parts.join('.');
          } else {
            const i = m.index % (token.length + 1);
            token = token.slice(0, i) + m.text + token.slice(i);
          }
        }
        const result = await outcome(bearer(token));
        if (token === genuine) expect(result).toBe('allow');
        else expect(result).toBe('unauthorized');
      }),
      RUN,
    );
  });

  it('any signature bytes of any length under any of the issuer\'s keys are a 401, never a 500', async () => {
    await checkProperty(
      fc.asyncProperty(fc.nat(4), fc.uint8Array({ maxLength: 600 }), async (which, signature) => {
        const genuine = genuineTokens[which % genuineTokens.length]!;
        const token = `${genuine.slice(0, genuine.lastIndexOf('.'))}.${base64url(Buffer.from(signature))}`;
        expect(await outcome(bearer(token))).toBe(token === genuine ? 'allow' : 'unauthorized');
      }),
      RUN,
    );
  });

  it('re-encoded headers (other alg, kid, crit, jku, jwk, duplicate keys, deep nesting, huge values) are refused', async () => {
    const [, payload, signature] = genuineToken.split('.') as [string, string, string];
    const headerText = fc.oneof(
      fc.record({
        alg: fc.constantFrom('RS256', 'HS256', 'none', 'ES256', 'PS256', 'EdDSA', 'rs256', ''),
        kid: fc.constantFrom('rsa-1', 'other', '', '../../etc/passwd'),
        extra: fc.constantFrom({}, { crit: ['exp'] }, { jku: 'https://evil.example/jwks' }, { jwk: rsa.publicJwk }, { typ: 'at+jwt' }, { b64: false }),
      }).map(({ alg, kid, extra }) => JSON.stringify({ alg, typ: 'JWT', kid, ...extra })),
      fc.constant('{"alg":"RS256","alg":"none","kid":"rsa-1"}'),
      fc.constant('{"alg":"none","alg":"RS256","kid":"rsa-1","typ":"JWT"}'),
      fc.integer({ min: 10, max: 2000 }).map((depth) => `{"alg":"RS256","kid":"rsa-1","x":${'['.repeat(depth)}${']'.repeat(depth)}}`),
      fc.integer({ min: 1000, max: 6000 }).map((size) => JSON.stringify({ alg: 'RS256', kid: 'rsa-1', pad: 'x'.repeat(size) })),
      hostileString(60),
    );
    await checkProperty(
      fc.asyncProperty(headerText, async (header) => {
        const token = `${base64url(header)}.${payload}.${signature}`;
        const result = await outcome(bearer(token));
        if (token === genuineToken) expect(result).toBe('allow');
        else expect(result).toBe('unauthorized');
      }),
      RUN,
    );
  });

  it('claims and header members of any JSON type, signed by any of the issuer\'s keys, never make the authorizer fail (500)', async () => {
    const anyJson = fc.jsonValue({ maxDepth: 3 });
    const claimValue = fc.oneof(anyJson, fc.constantFrom(jwks.issuer, 'portcullis-api', now() + 600, now() - 600, 'items:read'));
    const claims = fc.record(
      { iss: fc.oneof(fc.constant(jwks.issuer), claimValue), aud: claimValue, exp: claimValue, nbf: claimValue, iat: claimValue, sub: claimValue, scope: claimValue, scp: claimValue, client_id: claimValue, azp: claimValue, jti: claimValue },
      { requiredKeys: ['iss'] },
    );
    const headerExtras = fc.record({ kid: anyJson, typ: anyJson, cty: anyJson, x5t: anyJson }, { requiredKeys: [] });
    await checkProperty(
      fc.asyncProperty(fc.nat(4), claims, headerExtras, fc.boolean(), async (which, payload, extras, keepKid) => {
        const key = signingKeys[which % signingKeys.length]!;
        const header = keepKid ? { ...extras, kid: key.kid } : extras;
        const result = await outcome(bearer(signJwt(key, payload as Record<string, unknown>, header)));
        expect(['allow', 'deny', 'unauthorized']).toContain(result);
      }),
      RUN,
    );
  });

  it('tokens signed by the real key but with hostile claims never allow beyond their scopes', async () => {
    const claims = fc.record({
      iss: fc.constantFrom(jwks.issuer, `${jwks.issuer}/`, 'https://evil.example', undefined),
      aud: fc.constantFrom('portcullis-api', ['portcullis-api', 'x'], 'other', undefined),
      exp: fc.oneof(fc.integer({ min: -7200, max: 7200 }).map((d) => now() + d), fc.constant(undefined), fc.constant('soon')),
      nbf: fc.oneof(fc.integer({ min: -7200, max: 7200 }).map((d) => now() + d), fc.constant(undefined)),
      iat: fc.oneof(fc.integer({ min: -7200, max: 7200 }).map((d) => now() + d), fc.constant(undefined)),
      scope: fc.oneof(fc.constantFrom('items:read', 'items:admin', '', ' items:read  '), hostileString(20)),
      sub: fc.oneof(fc.constant('u'), hostileString(20), fc.constant(undefined)),
    });
    await checkProperty(
      fc.asyncProperty(claims, async (c) => {
        const token = signJwt(rsa, c as Record<string, unknown>);
        const result = await outcome(bearer(token));
        const t = now();
        const valid =
          c.iss === jwks.issuer &&
          (c.aud === 'portcullis-api' || Array.isArray(c.aud)) &&
          typeof c.exp === 'number' && c.exp + 30 > t &&
          (c.nbf === undefined || c.nbf - 30 <= t) &&
          (c.iat === undefined || c.iat - 30 <= t);
        expect(result).not.toBe('error');
        expect(result).not.toBe('timeout');
        if (result === 'allow') {
          expect(valid).toBe(true);
          expect(c.scope.split(' ')).toContain('items:read');
        }
        if (!valid) expect(result).toBe('unauthorized');
      }),
      { ...RUN, numRuns: 200 },
    );
  });
});

describe('Mutated API keys and records', () => {
  it('homoglyphs, whitespace, substitutions and overlong keys are refused', async () => {
    const edit = fc.oneof(
      fc.record({ kind: fc.constant('replace' as const), index: fc.nat(), char: hostileChar }),
      fc.record({ kind: fc.constant('append' as const), text: hostileString(5) }),
      fc.record({ kind: fc.constant('case' as const), index: fc.nat() }),
      fc.record({ kind: fc.constant('repeat' as const), times: fc.integer({ min: 2, max: 300 }) }),
    );
    await checkProperty(
      fc.asyncProperty(edit, fc.constantFrom('ApiKey', 'Basic'), async (e, scheme) => {
        let key = genuineKey;
        if (e.kind === 'replace') {
          const i = e.index % key.length;
          key = key.slice(0, i) + e.char + key.slice(i + 1);
        } else if (e.kind === 'append') key += e.text;
        else if (e.kind === 'case') {
          const i = e.index % key.length;
          const ch = key[i]!;
          key = key.slice(0, i) + (ch === ch.toUpperCase() ? ch.toLowerCase() : ch.toUpperCase()) + key.slice(i + 1);
        } else key = key.repeat(e.times);
        const authorization =
          scheme === 'ApiKey' ? `ApiKey ${key}` : `Basic ${Buffer.from(`${genuineKeyId}:${key}`, 'utf8').toString('base64')}`;
        const result = await outcome(requestEvent({ authorization }));
        // Trailing spaces of a header value are not part of it (RFC 9110 5.5): the same key, spelled the same.
        const sameCredential = scheme === 'ApiKey' ? key.replace(/ +$/, '') === genuineKey : key === genuineKey;
        expect(result).toBe(sameCredential ? 'allow' : 'unauthorized');
      }),
      RUN,
    );
  });

  it('a corrupted key record is never honoured', async () => {
    const base = (): ApiKeyRecord => ({
      keyId: genuineKeyId,
      owner: 'acme',
      scopes: ['items:read'],
      status: 'active',
      createdAt: now() - 100,
      usageIdentifierKey: 'usage-key-00000000000000000000',
    });
    const corruption = fc.constantFrom(
      (item: Item) => void delete item.owner,
      (item: Item) => void delete item.scopes,
      (item: Item) => void delete item.status,
      (item: Item) => void delete item.createdAt,
      (item: Item) => void (item.status = { S: 'ACTIVE' }),
      (item: Item) => void (item.status = { S: 'revoked' }),
      (item: Item) => void (item.revokedAt = { N: String(now() - 1) }),
      (item: Item) => void (item.expiresAt = { N: String(now() - 1) }),
      (item: Item) => void (item.notBefore = { N: String(now() + 600) }),
      (item: Item) => void (item.scopes = { S: 'items:read' }),
      (item: Item) => void (item.scopes = { L: [{ S: 'items read' }] }),
      (item: Item) => void (item.scopes = { L: [{ N: '1' }] }),
      (item: Item) => void (item.type = { S: 'clientBinding' }),
      (item: Item) => void (item.keyId = { S: 'not-a-key-id' }),
      (item: Item) => void (item.owner = { S: 'x'.repeat(300) }),
      // (An owner of another type cannot be stored at all: the byOwner index key must be a string.)
    );
    await checkProperty(
      fc.asyncProperty(fc.array(corruption, { minLength: 1, maxLength: 3 }), async (corruptions) => {
        const key = generateApiKey('ptc_test_');
        const item = apiKeyItem(hashApiKey(key), base());
        for (const corrupt of corruptions) corrupt(item);
        await dynamo.putItem(item);
        expect(await outcome(requestEvent({ authorization: `ApiKey ${key}` }))).toBe('unauthorized');
      }),
      { ...RUN, numRuns: 100 },
    );
  });
});
