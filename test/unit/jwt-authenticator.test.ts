/**
 * JwtAuthenticator with real keys and a real HardenedJwksCache (keys added as a hydrated cache would hold them):
 * Cognito and generic issuers side by side, scope claims, lifetime limits.
 */
import { createSign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { base64url, generateSigningKey, signJwt, type SigningAlgorithm, type SigningKey } from '../../local/jwt-signer';
import { parseIssuers } from '../../lambda/config';
import { CredentialRejectedError, DependencyFaultError } from '../../lambda/errors';
import { HardenedJwksCache } from '../../lambda/jwks-cache';
import { JwtAuthenticator } from '../../lambda/jwt-authenticator';

const COGNITO_ISSUER = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Sample01';
const OIDC_ISSUER = 'https://idp.example.com';
const cognitoKey = generateSigningKey('RS256', 'cognito-kid');
const oidcKey = generateSigningKey('ES256', 'oidc-kid');
const now = () => Math.floor(Date.now() / 1000);

/** A JWKS cache holding both issuers' keys, as a hydrated one would; it cannot fetch. */
function hydratedJwksCache(): HardenedJwksCache {
  const jwksCache = new HardenedJwksCache({
    fetchDocument: () => Promise.reject(new Error('no network in this test')),
    refetchIntervalMs: 10_000,
    maxAgeMs: 3_600_000,
    nowMs: Date.now,
  });
  jwksCache.addJwks(`${COGNITO_ISSUER}/.well-known/jwks.json`, { keys: [cognitoKey.publicJwk as never] });
  jwksCache.addJwks(`${OIDC_ISSUER}/.well-known/jwks.json`, { keys: [oidcKey.publicJwk as never] });
  return jwksCache;
}

function authenticator(options: { maxTokenLifetimeSeconds?: number; scopeClaim?: 'scope' | 'scp' } = {}) {
  const jwksCache = hydratedJwksCache();
  return new JwtAuthenticator({
    issuers: parseIssuers([
      { cognitoUserPoolId: 'eu-west-1_Sample01', clientIds: ['app-client'], tokenUse: 'access' },
      { issuer: OIDC_ISSUER, audience: 'orders-api', scopeClaim: options.scopeClaim ?? 'scope' },
    ]),
    jwksCache,
    clockSkewSeconds: 30,
    maxTokenLifetimeSeconds: options.maxTokenLifetimeSeconds,
    verifiedTokenCacheTtlMs: 60_000,
    verifiedTokenCacheMaxEntries: 100,
    nowMs: Date.now,
  });
}

async function rejectionCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CredentialRejectedError) return error.code;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('JwtAuthenticator', () => {
  describe('happy flow', () => {
    it('verifies a Cognito client-credentials access token: principal from client_id, scopes from scope', async () => {
      const token = signJwt(cognitoKey, {
        iss: COGNITO_ISSUER,
        sub: 'app-client',
        client_id: 'app-client',
        token_use: 'access',
        scope: 'portcullis/items:read portcullis/items:write',
        iat: now(),
        exp: now() + 3600,
      });
      const { identity } = await authenticator().authenticate(token);
      expect(identity).toEqual({
        issuer: COGNITO_ISSUER,
        subject: 'app-client',
        clientId: 'app-client',
        principal: 'app-client',
        scopes: ['portcullis/items:read', 'portcullis/items:write'],
      });
    });

    it('reads scp arrays when the issuer is configured for them, and uses client_id when there is no sub', async () => {
      const token = signJwt(oidcKey, { iss: OIDC_ISSUER, aud: 'orders-api', client_id: 'svc', scp: ['a', 'b'], exp: now() + 60 });
      const { identity } = await authenticator({ scopeClaim: 'scp' }).authenticate(token);
      expect(identity.principal).toBe('svc');
      expect(identity.subject).toBeUndefined();
      expect(identity.scopes).toEqual(['a', 'b']);
    });
  });

  describe('error flow', () => {
    it('refuses a Cognito id token, another app client, and a missing client_id', async () => {
      const base = { iss: COGNITO_ISSUER, sub: 'u', token_use: 'access', client_id: 'app-client', exp: now() + 60 };
      const auth = authenticator();
      expect(await rejectionCode(auth.authenticate(signJwt(cognitoKey, { ...base, token_use: 'id' })))).toBe('invalid_claims');
      expect(await rejectionCode(auth.authenticate(signJwt(cognitoKey, { ...base, client_id: 'other' })))).toBe('invalid_claims');
      expect(await rejectionCode(auth.authenticate(signJwt(cognitoKey, { ...base, client_id: undefined })))).toBe('invalid_claims');
    });

    it('refuses a token signed by one issuer key but claiming the other issuer', async () => {
      const token = signJwt({ ...oidcKey, kid: 'cognito-kid' }, { iss: COGNITO_ISSUER, sub: 'u', token_use: 'access', client_id: 'app-client', exp: now() + 60 });
      expect(await rejectionCode(authenticator().authenticate(token))).toBe('unsupported_algorithm');
    });

    it('enforces the maximum token lifetime when configured', async () => {
      const auth = authenticator({ maxTokenLifetimeSeconds: 3600 });
      const claims = { iss: OIDC_ISSUER, aud: 'orders-api', sub: 'u' };
      await expect(auth.authenticate(signJwt(oidcKey, { ...claims, iat: now(), exp: now() + 3600 }))).resolves.toBeDefined();
      expect(await rejectionCode(auth.authenticate(signJwt(oidcKey, { ...claims, iat: now(), exp: now() + 3601 })))).toBe(
        'token_lifetime_exceeded',
      );
      expect(await rejectionCode(auth.authenticate(signJwt(oidcKey, { ...claims, exp: now() + 60 })))).toBe('token_lifetime_exceeded');
    });

    it('refuses an scp claim that is not a list of scope tokens', async () => {
      const token = signJwt(oidcKey, { iss: OIDC_ISSUER, aud: 'orders-api', sub: 'u', scp: [1, 2], exp: now() + 60 });
      expect(await rejectionCode(authenticator({ scopeClaim: 'scp' }).authenticate(token))).toBe('invalid_claims');
    });
  });
});

describe('JwtAuthenticator: Cognito resource-server scopes', () => {
  it('reads <identifier>/<scope> as <scope> when the issuer has a scopePrefix, and leaves other scopes alone', async () => {
    const auth = new JwtAuthenticator({
      issuers: parseIssuers([{ cognitoUserPoolId: 'eu-west-1_Sample01', clientIds: ['app'], scopePrefix: 'orders-api/' }]),
      jwksCache: hydratedJwksCache(),
      clockSkewSeconds: 30,
      verifiedTokenCacheTtlMs: 0,
      verifiedTokenCacheMaxEntries: 10,
      nowMs: Date.now,
    });
    const token = signJwt(cognitoKey, {
      iss: COGNITO_ISSUER,
      sub: 'app',
      client_id: 'app',
      token_use: 'access',
      scope: 'orders-api/items:read other-api/items:write orders-api/ openid',
      exp: now() + 60,
    });
    const { identity } = await auth.authenticate(token);
    expect(identity.scopes).toEqual(['items:read', 'other-api/items:write', 'orders-api/', 'openid']);
  });
});

/** How the authenticator answered: the identity's principal, a refusal code (401), or what else it threw (500). */
async function answer(auth: JwtAuthenticator, token: string): Promise<string> {
  try {
    return `allowed ${(await auth.verify(token)).principal}`;
  } catch (error) {
    if (error instanceof CredentialRejectedError) return `refused ${error.code}`;
    if (error instanceof DependencyFaultError) return `fault ${error.code}`;
    return `threw ${(error as Error).message}`;
  }
}

describe('JwtAuthenticator: forged signatures are refused, never an error', () => {
  const P1363_BYTES: Record<string, number> = { ES256: 64, ES384: 96, ES512: 132 };
  const keys = (['ES256', 'ES384', 'ES512'] as const).map((alg) => generateSigningKey(alg, `${alg}-kid`));

  function authenticatorFor(key: SigningKey) {
    const jwksCache = new HardenedJwksCache({
      fetchDocument: () => Promise.reject(new Error('no network in this test')),
      refetchIntervalMs: 10_000,
      maxAgeMs: 3_600_000,
      nowMs: Date.now,
    });
    jwksCache.addJwks(`${OIDC_ISSUER}/.well-known/jwks.json`, { keys: [key.publicJwk] });
    return new JwtAuthenticator({
      issuers: parseIssuers([{ issuer: OIDC_ISSUER, audience: 'orders-api' }]),
      jwksCache,
      clockSkewSeconds: 30,
      verifiedTokenCacheTtlMs: 0,
      verifiedTokenCacheMaxEntries: 1,
      nowMs: Date.now,
    });
  }

  /** The same claims signed by the real key, with the signature re-spelled by `respell`. */
  function withSignature(key: SigningKey, respell: (signingInput: string, p1363: Buffer) => Buffer): string {
    const token = signJwt(key, { iss: OIDC_ISSUER, aud: 'orders-api', sub: 'u', exp: now() + 60 });
    const signingInput = token.slice(0, token.lastIndexOf('.'));
    return `${signingInput}.${base64url(respell(signingInput, Buffer.from(token.slice(token.lastIndexOf('.') + 1), 'base64url')))}`;
  }

  const DIGEST: Record<string, string> = { ES256: 'sha256', ES384: 'sha384', ES512: 'sha512' };
  const spellings: Array<[string, (key: SigningKey) => (input: string, p1363: Buffer) => Buffer]> = [
    ['DER-encoded (a valid signature, in the wrong form)', (key) => (input) => createSign(DIGEST[key.alg]!).update(input).sign(key.privateKey)],
    ['truncated by one byte', () => (_input, p1363) => p1363.subarray(0, p1363.length - 1)],
    ['one byte longer', () => (_input, p1363) => Buffer.concat([p1363, Buffer.from([0])])],
    ['half its length', () => (_input, p1363) => p1363.subarray(0, p1363.length / 2)],
    ['one byte', () => () => Buffer.from([1])],
    ['twice its length', () => (_input, p1363) => Buffer.concat([p1363, p1363])],
  ];

  it.each(keys.flatMap((key) => spellings.map(([name, respell]) => [key.alg as SigningAlgorithm, name, key, respell] as const)))(
    'regression: a forged %s token whose signature is %s is a 401 invalid_signature, not a 500',
    async (_alg, _name, key, respell) => {
      const token = withSignature(key, respell(key));
      expect(await answer(authenticatorFor(key), token)).toBe('refused invalid_signature');
    },
  );

  it('every ES signature length but the curve\'s P1363 one is refused, and the right length with wrong bytes too', async () => {
    for (const key of keys) {
      const auth = authenticatorFor(key);
      const lengths = new Set<string>();
      for (let length = 1; length <= 200; length++) {
        lengths.add(await answer(auth, withSignature(key, () => Buffer.alloc(length, 0x5a))));
      }
      expect([...lengths], key.alg).toEqual(['refused invalid_signature']);
      expect(await answer(auth, withSignature(key, (_input, p1363) => p1363))).toBe('allowed u');
      expect(P1363_BYTES[key.alg]).toBe(Buffer.from(signJwt(key, {}).split('.')[2]!, 'base64url').length);
    }
  });
});

describe('JwtAuthenticator: Cognito issuer forms', () => {
  const GLOBAL_ISSUER = 'https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Sample01';
  const claims = { sub: 'app-client', client_id: 'app-client', token_use: 'access', scope: 'items:read', exp: now() + 60 };

  it('accepts the global form issuer-cognito-idp.<region>.amazonaws.com/<pool> for the configured pool, verified with the same JWKS', async () => {
    const auth = authenticator();
    const { identity } = await auth.authenticate(signJwt(cognitoKey, { ...claims, iss: GLOBAL_ISSUER }));
    // The identity names the configured issuer, so client bindings and logs see one issuer whichever form was used.
    expect(identity.issuer).toBe(COGNITO_ISSUER);
    expect(identity.scopes).toEqual(['items:read']);
  });

  it('refuses the global form of another pool or region, and lookalike spellings', async () => {
    const auth = authenticator();
    for (const iss of [
      'https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other01',
      'https://issuer-cognito-idp.us-east-1.amazonaws.com/eu-west-1_Sample01',
      'https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Sample01/',
      'http://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Sample01',
      'https://evil.example/issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Sample01',
    ]) {
      expect(await answer(auth, signJwt(cognitoKey, { ...claims, iss })), iss).toBe('refused unknown_issuer');
    }
  });

  it('still applies the pool\'s Cognito checks to the global form', async () => {
    const token = signJwt(cognitoKey, { ...claims, iss: GLOBAL_ISSUER, client_id: 'another-client' });
    expect(await answer(authenticator(), token)).toBe('refused invalid_claims');
  });
});

describe('JwtAuthenticator: cold-start prefetch', () => {
  it('hydrate() reports the JWKS it could not fetch, and never rejects', async () => {
    const auth = authenticator();
    // Both JWKS are held already: nothing to fetch, nothing failed.
    expect(await auth.hydrate()).toEqual([]);
    let fetches = 0;
    const empty = new JwtAuthenticator({
      issuers: parseIssuers([{ issuer: OIDC_ISSUER, audience: null }]),
      jwksCache: new HardenedJwksCache({
        fetchDocument: () => {
          fetches++;
          return Promise.reject(new Error('unreachable'));
        },
        refetchIntervalMs: 10_000,
        maxAgeMs: 3_600_000,
        nowMs: Date.now,
      }),
      clockSkewSeconds: 30,
      verifiedTokenCacheTtlMs: 0,
      verifiedTokenCacheMaxEntries: 1,
      nowMs: Date.now,
    });
    const failures = await empty.hydrate();
    expect(failures.map((failure) => failure.jwksUri)).toEqual([`${OIDC_ISSUER}/.well-known/jwks.json`]);
    expect(failures[0]!.error).toBeInstanceOf(DependencyFaultError);
    // The request path fetches as it would have: the refetch interval has not started.
    expect(fetches).toBe(1);
    expect(await answer(empty, signJwt(oidcKey, { iss: OIDC_ISSUER, sub: 'u', exp: now() + 60 }))).toBe('fault jwks_unavailable');
    expect(fetches).toBe(2);
  });
});

describe('JwtAuthenticator: the verified-token cache', () => {
  const claims = () => ({ iss: OIDC_ISSUER, aud: 'orders-api', sub: 'alice', scope: 'orders:read', iat: now(), exp: now() + 300 });

  it('gives a remembered identity only to the very token verified: a token ending the same way (its signature reused) is verified, and refused', async () => {
    const auth = authenticator();
    const token = signJwt(oidcKey, claims());
    expect((await auth.authenticate(token)).cacheHit).toBe(false);
    expect((await auth.authenticate(token)).cacheHit).toBe(true);
    const [header, , signature] = token.split('.');
    const forgedPayload = base64url(Buffer.from(JSON.stringify({ ...claims(), sub: 'mallory', scope: 'orders:admin' })));
    const forged = `${header}.${forgedPayload}.${signature}`;
    expect(forged.slice(-64)).toBe(token.slice(-64));
    expect(await rejectionCode(auth.authenticate(forged))).toBe('invalid_signature');
    // The remembered identity is still the genuine token's.
    expect((await auth.authenticate(token)).identity.principal).toBe('alice');
  });

  it('remembers distinct tokens of one caller separately, each with its own identity', async () => {
    const auth = authenticator();
    const first = signJwt(oidcKey, { ...claims(), sub: 'first' });
    const second = signJwt(oidcKey, { ...claims(), sub: 'second' });
    expect((await auth.authenticate(first)).identity.principal).toBe('first');
    expect((await auth.authenticate(second)).identity.principal).toBe('second');
    expect((await auth.authenticate(first)).cacheHit).toBe(true);
    expect((await auth.authenticate(second)).cacheHit).toBe(true);
    expect(auth.verifiedTokenCount).toBe(2);
  });
});
