/**
 * JwtAuthenticator with real keys and a real HardenedJwksCache (keys added as a hydrated cache would hold them):
 * Cognito and generic issuers side by side, scope claims, lifetime limits.
 */
import { describe, expect, it } from 'vitest';
import { generateSigningKey, signJwt } from '../../local/jwt-signer';
import { parseIssuers } from '../../lambda/config';
import { CredentialRejectedError } from '../../lambda/errors';
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
