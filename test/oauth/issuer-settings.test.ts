/**
 * Issuer settings as users write them in JWT_ISSUERS (or the construct writes them): provider presets filled from each
 * provider's documented layout (the expected URLs are copied from the providers' documentation), tenant templates,
 * claim sources, and the errors that name the bad field.
 */
import { describe, expect, it } from 'vitest';
import { ClaimMapping } from '../../lambda/claim-mapping';
import { parseIssuers } from '../../lambda/config';
import { CredentialRejectedError } from '../../lambda/errors';

const one = (entry: Record<string, unknown>) => parseIssuers([entry])[0]!;

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof CredentialRejectedError) return error.code;
    throw error;
  }
  return 'accepted';
}

describe('Provider presets: key sets where each provider publishes them', () => {
  it.each([
    ['okta', 'https://dev-123456.okta.com/oauth2/default', 'https://dev-123456.okta.com/oauth2/default/v1/keys'],
    ['okta', 'https://dev-123456.okta.com', 'https://dev-123456.okta.com/oauth2/v1/keys'],
    [
      'entra-v2',
      'https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0',
      'https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/discovery/v2.0/keys',
    ],
    [
      'entra-v1',
      'https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/',
      'https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/discovery/keys',
    ],
    ['auth0', 'https://example.eu.auth0.com/', 'https://example.eu.auth0.com/.well-known/jwks.json'],
    ['keycloak', 'https://sso.example.com/realms/shop', 'https://sso.example.com/realms/shop/protocol/openid-connect/certs'],
    [
      'cognito',
      'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Ab12Cd34E',
      'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Ab12Cd34E/.well-known/jwks.json',
    ],
    [
      'cognito',
      'https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Ab12Cd34E',
      'https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Ab12Cd34E/.well-known/jwks.json',
    ],
  ])('%s issuer %s -> %s', (provider, issuer, jwksUri) => {
    expect(one({ provider, issuer, audience: 'api', clientIds: null }).jwksUri).toBe(jwksUri);
  });

  it('an Entra ID preset checks the tenant of its issuer, and reads scp and roles with oid as the principal', () => {
    const config = one({ provider: 'entra-v2', issuer: 'https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0', audience: 'api' });
    expect(config).toMatchObject({ tenantIds: ['72f988bf-86f1-41af-91ab-2d7cd011db47'], principalClaim: 'oid', clientIdClaims: ['azp'] });
    expect(config.scopeSources.map((source) => source.label)).toEqual(['scp', 'roles']);
  });

  it('a Keycloak preset reads the client roles of the configured audience only', () => {
    const config = one({ provider: 'keycloak', issuer: 'https://sso.example.com/realms/shop', audience: ['orders-api'] });
    expect(config.scopeSources.map((source) => source.path)).toEqual([['scope'], ['realm_access', 'roles'], ['resource_access', 'orders-api', 'roles']]);
  });

  it('fields written in the entry win over the preset', () => {
    const config = one({ provider: 'okta', issuer: 'https://dev-1.okta.com/oauth2/default', audience: 'a', jwksUri: 'https://keys.example.com/k', principalClaim: 'uid' });
    expect(config).toMatchObject({ jwksUri: 'https://keys.example.com/k', principalClaim: 'uid', clientIdClaims: ['cid'] });
  });

  it('refuses an issuer that does not have the provider\'s documented form, naming both', () => {
    expect(() => one({ provider: 'entra-v2', issuer: 'https://login.microsoftonline.com/common', audience: 'a' })).toThrow(
      'JWT_ISSUERS: [0].issuer "https://login.microsoftonline.com/common" is not a entra-v2 issuer',
    );
    expect(() => one({ provider: 'auth0', issuer: 'https://example.auth0.com', audience: 'a' })).toThrow('with the trailing slash');
    expect(() => one({ provider: 'ping', issuer: 'https://example.com', audience: 'a' })).toThrow('[0].provider must be one of okta, entra-v1');
  });

  it('requires clientIds for Cognito access tokens, which carry no aud', () => {
    expect(() => one({ provider: 'cognito', issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Ab12Cd34E' })).toThrow('[0].clientIds is required');
  });
});

describe('Multi-tenant issuers', () => {
  it('expands {tenantid} into one issuer per listed tenant, each accepting its own tid only', () => {
    const issuers = parseIssuers([
      { provider: 'entra-v2', issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0', audience: 'api', tenantIds: ['tenant-a', 'tenant-b'] },
    ]);
    expect(issuers.map((issuer) => [issuer.issuer, issuer.jwksUri, issuer.tenantIds])).toEqual([
      ['https://login.microsoftonline.com/tenant-a/v2.0', 'https://login.microsoftonline.com/tenant-a/discovery/v2.0/keys', ['tenant-a']],
      ['https://login.microsoftonline.com/tenant-b/v2.0', 'https://login.microsoftonline.com/tenant-b/discovery/v2.0/keys', ['tenant-b']],
    ]);
  });

  it('refuses a {tenantid} template without tenantIds', () => {
    expect(() => parseIssuers([{ issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0', audience: 'a' }])).toThrow('tenantIds (required by the {tenantid} issuer template)');
  });
});

describe('Claim mapping', () => {
  const mapping = (entry: Record<string, unknown>) => new ClaimMapping(one({ issuer: 'https://idp.example.com', audience: null, ...entry }));
  const base = { iss: 'https://idp.example.com', sub: 'alice', exp: 2e9 };

  it('merges strings and arrays from several claims, nested paths and dotted claim names, with prefixes', () => {
    const claims = mapping({
      scopeClaims: [
        'scope',
        { claim: 'realm_access.roles', prefix: 'role:' },
        { claim: ['https://orders.example.com/roles'], prefix: 'role:' },
        { claim: 'scp', stripPrefix: 'api://orders/' },
      ],
    }).map({ ...base, scope: 'a b', realm_access: { roles: ['admin'] }, 'https://orders.example.com/roles': ['auditor'], scp: ['api://orders/c', 'd'] }, undefined);
    expect(claims.scopes).toEqual(['a', 'b', 'role:admin', 'role:auditor', 'c', 'd']);
  });

  it('returns the same frozen list for the same claim values (routes are decided once per list)', () => {
    const m = mapping({ scopeClaims: ['scope', 'scp'] });
    const first = m.map({ ...base, scope: 'a', scp: 'b' }, undefined).scopes;
    expect(m.map({ ...base, scope: 'a', scp: 'b' }, undefined).scopes).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
  });

  it('interns array claims too, and never lets a string claim reuse an array\'s list', () => {
    const m = mapping({ scopeClaims: ['scp'] });
    const first = m.map({ ...base, scp: ['a', 'b'] }, undefined).scopes;
    expect(m.map({ ...base, scp: ['a', 'b'] }, undefined).scopes).toBe(first);
    // The JSON text of that array, sent as a string, is parsed (and refused) on its own.
    expect(refusal(() => m.map({ ...base, scp: '["a","b"]' }, undefined))).toBe('invalid_claims');
  });

  it('refuses a claim of the wrong shape rather than skipping it', () => {
    expect(refusal(() => mapping({ scopeClaims: ['roles'] }).map({ ...base, roles: { admin: true } }, undefined))).toBe('invalid_claims');
    expect(refusal(() => mapping({ scopeClaims: ['roles'] }).map({ ...base, roles: ['has space'] }, undefined))).toBe('invalid_claims');
  });

  it('uses the configured principal claim and requires it', () => {
    expect(mapping({ principalClaim: 'oid' }).map({ ...base, oid: 'o-1' }, undefined).principal).toBe('o-1');
    expect(refusal(() => mapping({ principalClaim: 'oid' }).map(base, undefined))).toBe('invalid_claims');
  });

  it('takes the client from client_id, azp or appid, and checks clientIds when given', () => {
    expect(mapping({}).map({ ...base, appid: 'app-1' }, undefined).clientId).toBe('app-1');
    expect(refusal(() => mapping({ clientIds: ['web'] }).map({ ...base, azp: 'mobile' }, undefined))).toBe('invalid_claims');
    expect(mapping({ clientIds: ['web'] }).map({ ...base, azp: 'web' }, undefined).clientId).toBe('web');
  });

  it('RFC 9068 profile: typ at+jwt (or application/at+jwt) and every required claim', () => {
    const m = mapping({ profile: 'rfc9068' });
    const full = { ...base, aud: 'api', client_id: 'web', iat: 1e9, jti: 'j-1' };
    expect(m.map(full, { typ: 'at+jwt' }).principal).toBe('alice');
    expect(m.map(full, { typ: 'application/AT+JWT' }).principal).toBe('alice');
    expect(refusal(() => m.map(full, { typ: 'JWT' }))).toBe('invalid_claims');
    expect(refusal(() => m.map(full, {}))).toBe('invalid_claims');
    for (const claim of ['aud', 'client_id', 'iat', 'jti', 'sub']) {
      const partial: Record<string, unknown> = { ...full };
      delete partial[claim];
      expect(refusal(() => m.map(partial, { typ: 'at+jwt' }))).toBe('invalid_claims');
    }
  });

  it('required claim values must match exactly', () => {
    expect(refusal(() => mapping({ requiredClaims: { token_use: 'access' } }).map({ ...base, token_use: 'id' }, undefined))).toBe('invalid_claims');
    expect(refusal(() => mapping({ requiredClaims: { token_use: 'access' } }).map(base, undefined))).toBe('invalid_claims');
  });
});

describe('Claim settings errors name the field', () => {
  it.each([
    [{ scopeClaims: [] }, '[0].scopeClaims must be a non-empty array'],
    [{ scopeClaims: [{ claim: 'roles', prefx: 'r:' }] }, '[0].scopeClaims[0] has unknown field(s): prefx'],
    [{ scopeClaims: ['scope'], scopeClaim: 'scp' }, 'give scopeClaims or scopeClaim/scopePrefix, not both'],
    [{ scopeClaims: [{ claim: 'roles', prefix: 'has space' }] }, '[0].scopeClaims[0].prefix must be a short string'],
    [{ profile: 'jwt' }, '[0].profile must be "rfc9068"'],
    [{ requireBoundToken: 'yes' }, '[0].requireBoundToken must be true or false'],
    [{ discovery: 'webfinger' }, '[0].discovery must be true'],
  ])('%j', (fields, message) => {
    expect(() => one({ issuer: 'https://idp.example.com', audience: null, ...fields })).toThrow(message);
  });
});
