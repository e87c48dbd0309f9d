import { describe, expect, it } from 'vitest';
import { loadConfig, parseIssuers } from '../../lambda/config';
import { ConfigurationError } from '../../lambda/errors';

const MANIFEST = JSON.stringify({ routes: [{ method: 'GET', path: '/items', scopes: ['items:read'] }] });
const base = { ROUTE_MANIFEST: MANIFEST, KEY_TABLE_NAME: 'keys' };

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig(base);
    expect(config).toMatchObject({
      apiKeyPrefix: 'ptc_live_',
      keyCacheTtlSeconds: 30,
      keyNegativeCacheTtlSeconds: 5,
      keyCacheMaxEntries: 10_000,
      lastUsedIntervalSeconds: 300,
      clockSkewSeconds: 30,
      maxTokenLifetimeSeconds: undefined,
      jwksTimeoutMs: 2000,
      jwksMaxBytes: 131_072,
      jwksRefetchIntervalSeconds: 10,
      jwksMaxAgeSeconds: 3600,
      verifiedTokenCacheTtlSeconds: 60,
      verifiedTokenCacheMaxEntries: 2000,
      dynamoDbTimeoutMs: 1000,
      dynamoDbConnectTimeoutMs: 500,
      dynamoDbMaxAttempts: 2,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it.each([
    [{ ROUTE_MANIFEST: undefined }, 'ROUTE_MANIFEST'],
    [{ ROUTE_MANIFEST: '{not json' }, 'ROUTE_MANIFEST'],
    [{ KEY_CACHE_TTL: 'thirty' }, 'KEY_CACHE_TTL'],
    [{ KEY_CACHE_TTL: '-1' }, 'KEY_CACHE_TTL'],
    [{ CLOCK_SKEW: '3600' }, 'CLOCK_SKEW'],
    [{ API_KEY_PREFIX: 'PTC-LIVE' }, 'API_KEY_PREFIX'],
    [{ JWT_ISSUERS: '{}' }, 'JWT_ISSUERS'],
    [{ JWT_ISSUERS: '[{"issuer":"http://idp.example.com","audience":"a"}]' }, 'JWT_ISSUERS'],
    [{ JWKS_EXTRA_CA_FILE: '/nonexistent/ca.pem' }, 'JWKS_EXTRA_CA_FILE'],
    [{ DYNAMODB_MAX_ATTEMPTS: '0' }, 'DYNAMODB_MAX_ATTEMPTS'],
    [{ KEY_TABLE_NAME: undefined }, 'JWT_ISSUERS'],
  ])('fails with the setting name for a bad value (%j)', (overrides, setting) => {
    const env = { ...base, ...overrides } as Record<string, string | undefined>;
    let error: unknown;
    try {
      loadConfig(env);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).setting).toBe(setting);
    expect((error as Error).message.startsWith(`${setting}: `)).toBe(true);
  });
});

describe('parseIssuers', () => {
  it('reads generic OIDC issuers with a default JWKS URI', () => {
    const [issuer] = parseIssuers([{ issuer: 'https://idp.example.com/', audience: ['a', 'b'], scopeClaim: 'scp' }]);
    expect(issuer).toMatchObject({
      kind: 'oidc',
      issuer: 'https://idp.example.com/',
      audience: ['a', 'b'],
      jwksUri: 'https://idp.example.com/.well-known/jwks.json',
      scopeClaim: 'scp',
    });
  });

  it('derives a Cognito issuer and JWKS URI from the pool id', () => {
    const [issuer] = parseIssuers([{ cognitoUserPoolId: 'eu-west-1_AbC123', clientIds: 'client-1' }]);
    expect(issuer).toMatchObject({
      kind: 'cognito',
      issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123',
      jwksUri: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123/.well-known/jwks.json',
      clientIds: ['client-1'],
      tokenUse: 'access',
    });
  });

  it.each([
    [[{ issuer: 'https://a.example.com' }], /audience is required/],
    [[{ issuer: 'https://a.example.com', audience: 'x', jwksUri: 'http://a.example.com/jwks' }], /must use https/],
    [[{ issuer: 'https://a.example.com', audience: [] }], /non-empty/],
    [[{ issuer: 'https://a.example.com', audience: 'x', extra: 1 }], /unknown field/],
    [[{ cognitoUserPoolId: 'nope' }], /not a user pool id/],
    [[{ cognitoUserPoolId: 'eu-west-1_A', tokenUse: 'refresh' }], /tokenUse/],
    [[{ issuer: 'https://a.example.com', audience: 'x' }, { issuer: 'https://a.example.com', audience: 'y' }], /listed twice/],
  ])('rejects an invalid issuer list (%#)', (issuers, message) => {
    expect(() => parseIssuers(issuers)).toThrow(message);
  });
});
