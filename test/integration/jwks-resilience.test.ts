/**
 * The JWKS endpoint misbehaving, for real: a live HTTPS server that goes down, hangs, answers HTML, an empty key set or
 * an oversized body, publishes keys that cannot verify anything, and rotates keys. Good cached keys must keep working,
 * bad answers must never replace them, and unknown kids must not turn into a flood of fetches. The handler prefetches
 * the JWKS when it is built (cold start); a failed prefetch changes nothing for the request path.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateSigningKey, signJwt, type SigningKey } from '../../local/jwt-signer';
import { createHarness, gatewayStatus, requestEvent, type Harness } from '../support/authorizer-harness';
import { startJwksServer, type JwksServer } from '../support/jwks-server';
import { eventually } from '../support/eventually';

// RSA keys are made once per file (160 ms of CPU each): every test starts its own JWKS server and handler, so no
// test sees another's state through them. A test that needs other key material makes it.
const rsa = generateSigningKey('RS256', 'rsa-1');
const keyOutsideTheSet = generateSigningKey('RS256', 'new-kid');
const keyToSpoil = generateSigningKey('RS256', 'spoiled');

let jwks: JwksServer;
let clock: number;
let harness: Harness;

const seconds = () => Math.floor(Date.now() / 1000);
function tokenFor(key: SigningKey, extra: Record<string, unknown> = {}): string {
  return signJwt(key, { iss: jwks.issuer, aud: 'portcullis-api', sub: 'u', iat: seconds(), exp: seconds() + 300, scope: 'items:read', ...extra });
}
const status = (token: string) => gatewayStatus(harness, requestEvent({ authorization: `Bearer ${token}` }));

/** Polls `condition` until it holds, failing after `timeoutMs` (no fixed sleeps). */
async function waitFor(condition: () => boolean, what: string, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const warned = (message: string) => () => harness.warnings.some((line) => line.message === message);

function build(env: Record<string, string> = {}): Harness {
  return createHarness({
    issuers: [jwks],
    nowMs: () => clock,
    env: { VERIFIED_TOKEN_CACHE_TTL: '0', JWKS_TIMEOUT_MS: '500', ...env },
  });
}

beforeEach(async () => {
  jwks = await startJwksServer([rsa]);
  clock = Date.now();
  harness = build();
});

afterEach(async () => {
  await jwks.stop();
});

describe('JWKS endpoint faults', () => {
  it('prefetches the JWKS at cold start: the first request is verified without a fetch of its own', async () => {
    await waitFor(() => jwks.requests === 1, 'the prefetch');
    expect(await status(tokenFor(rsa))).toBe(200);
    expect(jwks.requests).toBe(1);
  });

  it('a failed prefetch does not fail the cold start, and the request path fetches as it would have', async () => {
    await jwks.stop();
    jwks = await startJwksServer([rsa]);
    jwks.behaviour = { kind: 'status', status: 503 };
    harness = build(); // does not throw
    await waitFor(warned('JWKS prefetch at cold start failed'), 'the prefetch warning');
    expect(jwks.requests).toBe(1);
    // The first request fetches at once (the prefetch did not start the refetch interval)...
    expect(await status(tokenFor(rsa))).toBe(500);
    expect(harness.lastReason()).toBe('jwks_unavailable');
    expect(jwks.requests).toBe(2);
    // ...and from then on, as without a prefetch: within the refetch interval, still a 500 and no new fetch.
    expect(await status(tokenFor(rsa))).toBe(500);
    expect(jwks.requests).toBe(2);
    jwks.behaviour = { kind: 'keys' };
    clock += 10_000;
    expect(await status(tokenFor(rsa))).toBe(200);
  });

  it('a prefetch that fails before the endpoint recovers: the first request after recovery gets its 200', async () => {
    await jwks.stop();
    jwks = await startJwksServer([rsa]);
    jwks.behaviour = { kind: 'html' };
    harness = build();
    await waitFor(warned('JWKS prefetch at cold start failed'), 'the prefetch warning');
    jwks.behaviour = { kind: 'keys' };
    expect(await status(tokenFor(rsa))).toBe(200);
  });

  it.each([
    ['HTML', { kind: 'html' } as const],
    ['an empty key set', { kind: 'empty' } as const],
    ['an oversized body', { kind: 'oversized', bytes: 200_000 } as const],
    ['HTTP 500', { kind: 'status', status: 500 } as const],
    ['a hang', { kind: 'hang' } as const],
  ])('keeps verifying with cached keys when the endpoint answers %s', async (_name, behaviour) => {
    expect(await status(tokenFor(rsa))).toBe(200);
    jwks.behaviour = behaviour;
    clock += 10_000;
    // An unknown kid forces a fetch, which fails: a 500 for that token (we cannot know), not a 401...
    const unknownKidToken = tokenFor(keyOutsideTheSet);
    const started = Date.now();
    expect(await status(unknownKidToken)).toBe(500);
    expect(Date.now() - started).toBeLessThan(2_000);
    // ...and the bad answer did not replace the good keys.
    expect(await status(tokenFor(rsa))).toBe(200);
  });

  it('gives up on a hanging endpoint within JWKS_TIMEOUT_MS', async () => {
    jwks.behaviour = { kind: 'hang' };
    const started = Date.now();
    expect(await status(tokenFor(rsa))).toBe(500);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(450);
    expect(elapsed).toBeLessThan(1_500);
  });

  it('refuses a flood of unknown kids with at most one fetch per refetch interval', async () => {
    expect(await status(tokenFor(rsa))).toBe(200);
    const before = jwks.requests;
    clock += 10_000;
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => status(tokenFor(generateSigningKey('ES256', `forged-${i}`)))),
    );
    expect(results.every((code) => code === 401)).toBe(true);
    expect(jwks.requests - before).toBe(1);
    for (let i = 0; i < 20; i++) expect(await status(tokenFor(generateSigningKey('ES256', `later-${i}`)))).toBe(401);
    expect(jwks.requests - before).toBe(1);
    expect(harness.lastReason()).toBe('unknown_kid');
  });

  it('picks up a rotated-in key on first sight once the refetch interval allows', async () => {
    expect(await status(tokenFor(rsa))).toBe(200);
    const next = generateSigningKey('ES256', 'rotated-in');
    jwks.keys = [rsa, next];
    clock += 10_000;
    expect(await status(tokenFor(next))).toBe(200);
  });

  it('stops accepting a key the issuer removed once the cached set is older than JWKS_MAX_AGE', async () => {
    harness = build({ JWKS_MAX_AGE: '60' });
    const next = generateSigningKey('ES256', 'successor');
    jwks.keys = [rsa, next];
    expect(await status(tokenFor(rsa))).toBe(200);
    jwks.keys = [next];
    clock += 61_000;
    // Served from cache while a background refresh starts...
    expect(await status(tokenFor(rsa))).toBe(200);
    // ...after which the removed key no longer verifies.
    await eventually(async () => expect(await status(tokenFor(rsa))).toBe(401));
    expect(await status(tokenFor(next))).toBe(200);
  });
});

describe('Key material replaced under the same kid', () => {
  it('stops verifying tokens of the old key material once the key set is refreshed, and accepts the new one', async () => {
    harness = build({ JWKS_MAX_AGE: '60' });
    expect(await status(tokenFor(rsa))).toBe(200);
    // The issuer replaces the key behind kid "rsa-1" (it should not reuse kids, but must not be trusted not to).
    const replacement = generateSigningKey('RS256', 'rsa-1');
    jwks.keys = [replacement];
    clock += 61_000;
    expect(await status(tokenFor(rsa))).toBe(200); // served from the cached set while the refresh starts
    await eventually(async () => expect(await status(tokenFor(rsa))).toBe(401));
    expect(await status(tokenFor(replacement))).toBe(200);
  });
});

describe('Verified-token cache', () => {
  it('serves a repeated token without verifying again, but never past its exp', async () => {
    harness = build({ VERIFIED_TOKEN_CACHE_TTL: '60' });
    const token = tokenFor(rsa, { exp: seconds() + 20 });
    expect(await status(token)).toBe(200);
    jwks.behaviour = { kind: 'status', status: 503 };
    expect(await status(token)).toBe(200);
    expect(harness.decisions.at(-1)?.cacheHit).toBe(true);
    clock += 21_000;
    // Past exp the cache no longer answers: the token is verified again (still within the 30 s clock skew)...
    expect(await status(token)).toBe(200);
    expect(harness.decisions.at(-1)?.cacheHit).toBe(false);
    // ...and refused once past exp plus the skew.
    clock += 30_000;
    expect(await status(token)).toBe(401);
    expect(harness.lastReason()).toBe('token_expired');
  });

  it('keeps a bounded number of tokens', async () => {
    harness = build({ VERIFIED_TOKEN_CACHE_TTL: '60', VERIFIED_TOKEN_CACHE_MAX_ENTRIES: '5' });
    for (let i = 0; i < 20; i++) expect(await status(tokenFor(rsa, { sub: `user-${i}` }))).toBe(200);
    expect(harness.deps.jwt?.verifiedTokenCount).toBe(5);
  });
});

describe('Keys the JWKS publishes', () => {
  /** The same key with its public point moved off the curve (y changed by one bit). */
  function offCurve(key: SigningKey): SigningKey {
    const y = Buffer.from(key.publicJwk.y!, 'base64url');
    y[y.length - 1]! ^= 1;
    return { ...key, publicJwk: { ...key.publicJwk, y: y.toString('base64url') } };
  }

  it('regression: an off-curve EC key is dropped when the JWKS is loaded, with a warning naming only its kid, and its tokens get 401', async () => {
    const good = generateSigningKey('ES256', 'good');
    const bad = generateSigningKey('ES256', 'off-curve');
    jwks.keys = [offCurve(bad), good];
    harness = build();
    expect(await status(tokenFor(good))).toBe(200);
    const dropped = harness.warnings.filter((line) => line.message === 'JWKS key dropped: it cannot verify tokens');
    expect(dropped).toEqual([expect.objectContaining({ kid: 'off-curve', index: 0, jwksUri: jwks.jwksUri, reason: expect.stringContaining('imported') })]);
    expect(JSON.stringify(dropped)).not.toContain(bad.publicJwk.x);
    // A token naming the dropped key: the key is not there (401), never a failure at use (500).
    expect(await status(tokenFor(bad))).toBe(401);
    expect(harness.lastReason()).toBe('unknown_kid');
  });

  it.each([
    ['a private key', (key: SigningKey) => ({ ...key.publicJwk, d: 'AAAA' })],
    ['an RSA exponent of 1', (key: SigningKey) => ({ ...key.publicJwk, e: 'AQ' })],
    ['use "enc"', (key: SigningKey) => ({ ...key.publicJwk, use: 'enc' })],
    ['an alg it cannot do', (key: SigningKey) => ({ ...key.publicJwk, alg: 'ES256' })],
    ['an unknown kty', (key: SigningKey) => ({ ...key.publicJwk, kty: 'oct' })],
  ])('drops %s at load, keeps the other keys, and refuses its tokens with 401', async (_name, spoil) => {
    const spoiled = keyToSpoil;
    jwks.keys = [rsa, { ...spoiled, publicJwk: spoil(spoiled) as Record<string, string> }];
    harness = build();
    expect(await status(tokenFor(rsa))).toBe(200);
    expect(harness.warnings.map((line) => line.kid)).toContain('spoiled');
    expect(await status(tokenFor(spoiled))).toBe(401);
  });

  it('honours every key within the byte cap: a signing key at entry 101 and later verifies (no count cap)', async () => {
    const keys = Array.from({ length: 150 }, (_, i) => generateSigningKey('ES256', `k-${i}`));
    jwks.keys = keys;
    harness = build();
    for (const index of [0, 100, 149]) expect(await status(tokenFor(keys[index]!))).toBe(200);
    expect(harness.warnings).toEqual([]);
  });

  it('refuses a JWKS over the byte cap loudly: a 500 and a warning, never a silently partial key set', async () => {
    jwks.keys = Array.from({ length: 20 }, (_, i) => generateSigningKey('ES256', `k-${i}`));
    harness = build({ JWKS_MAX_BYTES: '2048' });
    await waitFor(warned('JWKS prefetch at cold start failed'), 'the prefetch warning');
    expect(harness.warnings.find((line) => line.message === 'JWKS prefetch at cold start failed')?.reason).toMatch(/byte cap/);
    expect(await status(tokenFor(jwks.keys[0]!))).toBe(500);
    expect(harness.lastReason()).toBe('jwks_unavailable');
  });
});
