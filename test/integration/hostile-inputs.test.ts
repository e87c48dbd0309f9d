/**
 * The hostile-input suite: every known way to forge, stretch or confuse a credential, through the real handler.
 * Each case names the attack; the expectation is the status API Gateway would answer. None may ever be 200.
 */
import { createHmac, createPublicKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base64url, generateSigningKey, signJwt, type SigningKey } from '../../local/jwt-signer';
import { generateApiKey } from '../../lambda/api-key-format';
import { createHarness, gatewayStatus, requestEvent, storeApiKey, type Harness } from '../support/authorizer-harness';
import { startJwksServer, type JwksServer } from '../support/jwks-server';
import { startLocalDynamoDb, type LocalDynamoDb } from '../support/local-dynamodb';

let dynamo: LocalDynamoDb;
let jwks: JwksServer;
let attackerJwks: JwksServer;
let rsa: SigningKey;
let ec: SigningKey;
let ed: SigningKey;
let attacker: SigningKey;
let harness: Harness;

const now = () => Math.floor(Date.now() / 1000);
const claims = (extra: Record<string, unknown> = {}) => ({
  iss: jwks.issuer,
  aud: 'portcullis-api',
  sub: 'user-1',
  iat: now(),
  exp: now() + 300,
  scope: 'items:read',
  ...extra,
});
const bearer = (token: string) => requestEvent({ method: 'GET', resource: '/items', authorization: `Bearer ${token}` });

/** Asserts the gateway would answer 401 and returns the reason code the authorizer logged. */
async function refusal(event: ReturnType<typeof requestEvent>): Promise<string | undefined> {
  expect(await gatewayStatus(harness, event)).toBe(401);
  return harness.lastReason();
}

/** A token with an arbitrary header and an arbitrary (or empty) signature. */
function forge(header: Record<string, unknown>, payload: Record<string, unknown>, signature = ''): string {
  return `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}.${signature}`;
}

beforeAll(async () => {
  rsa = generateSigningKey('RS256', 'rsa-1');
  ec = generateSigningKey('ES256', 'ec-1');
  ed = generateSigningKey('EdDSA', 'ed-1');
  attacker = generateSigningKey('RS256', 'rsa-1'); // same kid as the real key
  [dynamo, jwks, attackerJwks] = await Promise.all([startLocalDynamoDb(), startJwksServer([rsa, ec, ed]), startJwksServer([attacker])]);
  harness = createHarness({ issuers: [jwks], dynamo });
  // Warm the JWKS cache with a genuine token, as a running container would have.
  expect(await gatewayStatus(harness, bearer(signJwt(rsa, claims())))).toBe(200);
});

afterAll(async () => {
  await harness.deps.apiKeys?.flush();
  await Promise.all([dynamo.stop(), jwks.stop(), attackerJwks.stop()]);
});

describe('Hostile JWTs', () => {
  it('accepts genuine RS256, ES256 and EdDSA tokens (the control group)', async () => {
    for (const key of [rsa, ec, ed]) expect(await gatewayStatus(harness, bearer(signJwt(key, claims())))).toBe(200);
  });

  it.each(['none', 'None', 'NONE', 'nOnE'])('refuses alg "%s", with an empty or a made-up signature', async (alg) => {
    expect(await refusal(bearer(forge({ alg, typ: 'JWT', kid: 'rsa-1' }, claims())))).toBe('malformed_token');
    expect(await refusal(bearer(forge({ alg, typ: 'JWT', kid: 'rsa-1' }, claims(), 'AAAA')))).toBe('unsupported_algorithm');
    expect(await refusal(bearer(forge({ alg, typ: 'JWT' }, claims(), 'AAAA')))).toBe('unsupported_algorithm');
  });

  it('refuses HS256 signed with the issuer public key as HMAC secret', async () => {
    const pem = createPublicKey(rsa.privateKey).export({ format: 'pem', type: 'spki' });
    for (const secret of [pem, JSON.stringify(rsa.publicJwk)]) {
      const input = `${base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: 'rsa-1' }))}.${base64url(JSON.stringify(claims()))}`;
      const token = `${input}.${base64url(createHmac('sha256', secret).update(input).digest())}`;
      expect(await refusal(bearer(token))).toBe('unsupported_algorithm');
    }
  });

  it('ignores an embedded jwk header: a token signed by the key it carries is refused', async () => {
    const token = signJwt(attacker, claims(), { jwk: attacker.publicJwk });
    expect(await refusal(bearer(token))).toBe('invalid_signature');
    const withOwnKid = signJwt(generateSigningKey('RS256', 'attacker-kid'), claims(), { jwk: attacker.publicJwk, kid: 'attacker-kid' });
    expect(await refusal(bearer(withOwnKid))).toBe('unknown_kid');
  });

  it('never follows a jku or x5u header to another key set', async () => {
    const before = attackerJwks.requests;
    const token = signJwt(attacker, claims(), { jku: attackerJwks.jwksUri, x5u: attackerJwks.jwksUri });
    expect(await refusal(bearer(token))).toBe('invalid_signature');
    expect(attackerJwks.requests).toBe(before);
  });

  it('refuses an unknown kid', async () => {
    expect(await refusal(bearer(signJwt(generateSigningKey('ES256', 'who-is-this'), claims())))).toBe('unknown_kid');
  });

  it('refuses a token whose kid names a key of another algorithm', async () => {
    const token = signJwt({ ...ec, kid: 'rsa-1' }, claims());
    expect(await refusal(bearer(token))).toBe('unsupported_algorithm');
  });

  it('refuses a tampered payload (scope escalation in the claims)', async () => {
    const [header, , signature] = signJwt(rsa, claims()).split('.');
    const escalated = base64url(JSON.stringify(claims({ scope: 'items:read items:admin' })));
    expect(await refusal(bearer(`${header}.${escalated}.${signature}`))).toBe('invalid_signature');
  });

  it('refuses a flipped signature bit and swapped segments', async () => {
    const token = signJwt(rsa, claims());
    const [h, p, s] = token.split('.') as [string, string, string];
    const bytes = Buffer.from(s, 'base64url');
    bytes[10]! ^= 0x01;
    expect(await refusal(bearer(`${h}.${p}.${base64url(bytes)}`))).toBe('invalid_signature');
    expect(await gatewayStatus(harness, bearer(`${p}.${h}.${s}`))).toBe(401);
    expect(await gatewayStatus(harness, bearer(`${h}.${p}`))).toBe(401);
    expect(await gatewayStatus(harness, bearer(`${h}.${p}.${s}.${s}`))).toBe(401);
  });

  it('refuses a token without exp', async () => {
    const { exp: _exp, ...noExp } = claims();
    expect(await refusal(bearer(signJwt(rsa, noExp)))).toBe('invalid_claims');
  });

  it('refuses a future nbf and a future iat beyond the clock skew', async () => {
    expect(await refusal(bearer(signJwt(rsa, claims({ nbf: now() + 600 }))))).toBe('token_not_yet_valid');
    expect(await refusal(bearer(signJwt(rsa, claims({ iat: now() + 600, exp: now() + 900 }))))).toBe('token_issued_in_future');
    // Within the 30 s skew: accepted.
    expect(await gatewayStatus(harness, bearer(signJwt(rsa, claims({ iat: now() + 10 }))))).toBe(200);
  });

  it('refuses an expired token beyond the skew', async () => {
    expect(await refusal(bearer(signJwt(rsa, claims({ iat: now() - 600, exp: now() - 60 }))))).toBe('token_expired');
  });

  it('refuses a wrong issuer and a wrong audience', async () => {
    expect(await refusal(bearer(signJwt(rsa, claims({ iss: 'https://evil.example.com' }))))).toBe('unknown_issuer');
    expect(await refusal(bearer(signJwt(rsa, claims({ iss: `${jwks.issuer}/` }))))).toBe('unknown_issuer');
    expect(await refusal(bearer(signJwt(rsa, claims({ aud: 'another-api' }))))).toBe('invalid_claims');
    expect(await refusal(bearer(signJwt(rsa, claims({ aud: undefined }))))).toBe('invalid_claims');
  });

  it('refuses a crit header', async () => {
    expect(await refusal(bearer(signJwt(rsa, claims(), { crit: ['exp'] })))).toBe('crit_header');
    expect(await refusal(bearer(signJwt(rsa, claims(), { crit: [] })))).toBe('crit_header');
  });

  it('refuses scope escalation: a read token cannot delete (403, not 200)', async () => {
    const event = requestEvent({ method: 'DELETE', resource: '/items/{id}', authorization: `Bearer ${signJwt(rsa, claims())}` });
    expect(await gatewayStatus(harness, event)).toBe(403);
  });

  it('refuses malformed identity claims (a huge sub, a non-string scope)', async () => {
    expect(await refusal(bearer(signJwt(rsa, claims({ sub: 'x'.repeat(5000) }))))).toBe('invalid_claims');
    expect(await refusal(bearer(signJwt(rsa, claims({ scope: ['items:read'] }))))).toBe('malformed_token');
  });

  it('refuses a token in an over-long header and garbage tokens', async () => {
    expect(await refusal(bearer(signJwt(rsa, claims({ pad: 'x'.repeat(9000) }))))).toBe('malformed_header');
    for (const garbage of ['a.b.c', '...', 'eyJ.eyJ.', '%%%.%%%.%%%', 'null.null.null']) {
      expect(await gatewayStatus(harness, bearer(garbage))).toBe(401);
    }
  });
});

describe('Hostile API keys and headers', () => {
  it('refuses a key with a wrong checksum without any DynamoDB call', async () => {
    const { key } = await storeApiKey(dynamo);
    const before = dynamo.count('GetItem');
    const last = key.at(-1) === 'A' ? 'B' : 'A';
    expect(await refusal(requestEvent({ authorization: `ApiKey ${key.slice(0, -1)}${last}` }))).toBe('malformed_api_key');
    expect(await refusal(requestEvent({ authorization: `ApiKey ${generateApiKey('ptc_live_')}` }))).toBe('malformed_api_key');
    expect(await refusal(requestEvent({ authorization: `ApiKey ${key}\u00a0` }))).toBe('malformed_header');
    expect(dynamo.count('GetItem')).toBe(before);
  });

  it('refuses a valid key sent twice, or with a token beside it', async () => {
    const { key } = await storeApiKey(dynamo);
    const twice = requestEvent({
      headers: { Authorization: `ApiKey ${key}` },
      multiValueHeaders: { Authorization: [`ApiKey ${key}`, `ApiKey ${key}`] },
    });
    expect(await refusal(twice)).toBe('ambiguous_credential');
    const mixed = requestEvent({
      headers: { Authorization: `ApiKey ${key}`, authorization: `Bearer ${signJwt(rsa, claims())}` },
      multiValueHeaders: {},
    });
    expect(await refusal(mixed)).toBe('ambiguous_credential');
  });

  it('refuses a key of another environment even when its hash is stored', async () => {
    const { key } = await storeApiKey(dynamo, {}, 'ptc_live_');
    expect(await refusal(requestEvent({ authorization: `ApiKey ${key}` }))).toBe('malformed_api_key');
  });
});

describe('Dependency faults never Allow', () => {
  it('answers 500 (not 401, not Allow) for a key when DynamoDB is down', async () => {
    const store = await startLocalDynamoDb();
    const isolated = createHarness({ issuers: [jwks], dynamo: store });
    const { key } = await storeApiKey(store);
    await store.stop();
    const started = Date.now();
    expect(await gatewayStatus(isolated, requestEvent({ authorization: `ApiKey ${key}` }))).toBe(500);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
