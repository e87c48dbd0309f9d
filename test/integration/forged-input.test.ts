/**
 * Forged input is a 401 (or, for a genuine credential, a policy), never a 500: the cases an outside review found
 * answered 500, through the real handler, a real HTTPS JWKS and real API Gateway event shapes. Only a dependency
 * fault (the JWKS unreachable or unusable) may be a 500.
 */
import { createSign } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base64url, generateSigningKey, signJwt, type SigningKey } from '../../local/jwt-signer';
import { createHarness, gatewayStatus, requestEvent, STAGE_ARN, type Harness } from '../support/authorizer-harness';
import { startJwksServer, type JwksServer } from '../support/jwks-server';

let jwks: JwksServer;
let harness: Harness;
let keys: SigningKey[];

const seconds = () => Math.floor(Date.now() / 1000);
const tokenFor = (key: SigningKey) =>
  signJwt(key, { iss: jwks.issuer, aud: 'portcullis-api', sub: 'u', iat: seconds(), exp: seconds() + 300, scope: 'items:read' });

beforeAll(async () => {
  keys = [generateSigningKey('ES256', 'es256'), generateSigningKey('ES384', 'es384'), generateSigningKey('ES512', 'es512')];
  jwks = await startJwksServer(keys);
  harness = createHarness({ issuers: [jwks] });
});

afterAll(async () => {
  await jwks.stop();
});

describe('ECDSA signatures not in P1363 form', () => {
  const DIGEST: Record<string, string> = { ES256: 'sha256', ES384: 'sha384', ES512: 'sha512' };

  it.each(['ES256', 'ES384', 'ES512'])('regression: a %s token with a DER signature, or a truncated one, is a 401, not a 500', async (alg) => {
    const key = keys.find((k) => k.alg === alg)!;
    const genuine = tokenFor(key);
    const signingInput = genuine.slice(0, genuine.lastIndexOf('.'));
    const p1363 = Buffer.from(genuine.slice(genuine.lastIndexOf('.') + 1), 'base64url');
    const der = createSign(DIGEST[alg]!).update(signingInput).sign(key.privateKey);
    for (const signature of [der, p1363.subarray(0, p1363.length - 1), Buffer.concat([p1363, Buffer.from([0])])]) {
      expect(await gatewayStatus(harness, requestEvent({ authorization: `Bearer ${signingInput}.${base64url(signature)}` }))).toBe(401);
      expect(harness.lastReason()).toBe('invalid_signature');
    }
    expect(await gatewayStatus(harness, requestEvent({ authorization: `Bearer ${genuine}` }))).toBe(200);
  });
});

describe('methodArn with line terminators', () => {
  it.each([
    ['a line feed', '\n'],
    ['a carriage return', '\r'],
    ['U+2028', '\u2028'],
    ['U+2029', '\u2029'],
  ])('regression: a request whose methodArn path holds %s gets a decision, never a 500', async (_name, terminator) => {
    const methodArn = `${STAGE_ARN}/GET/items/a${terminator}b`;
    const withToken = { ...requestEvent({ resource: '/items/{id}', authorization: `Bearer ${tokenFor(keys[0]!)}` }), methodArn };
    const result = await harness.handler(withToken);
    expect(result.principalId).toBe('u');
    expect(harness.lastReason()).toBe('authorized');
    const withoutToken = { ...requestEvent({ resource: '/items/{id}' }), methodArn };
    await expect(harness.handler(withoutToken)).rejects.toThrow(/^Unauthorized$/);
  });
});
