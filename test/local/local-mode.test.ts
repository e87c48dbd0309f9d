/**
 * The local mode end to end, in-process on free ports: the real authorizer handler (configured through loadConfig
 * like the stack), the local issuer over HTTPS, dynalite, the gateway and the sample backend, driven with fetch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintAccessToken } from '../../local/access-token';
import { localAuthorizerEnv, startLocalMode, type LocalMode } from '../../local/mode';
import { loadSigningKey } from '../../local/state';
import { USAGE_TIERS } from '../../infra/usage-tiers';
import { call, clientToken, createLocalKey, issuerRequest, tempDataDir, tokenRequest } from './local-helpers';
import { servedGatewayResponses } from '../../infra/gateway-responses';
import { DEFAULT_RESULT_CACHE_TTL_SECONDS } from '../../infra/sample-api';

/** The bodies the CDK stack deploys: the local gateway must answer with exactly these. */
const DEPLOYED = Object.fromEntries(
  Object.entries(servedGatewayResponses()).map(([type, response]) => [type, JSON.parse(response.body) as unknown]),
) as Record<keyof ReturnType<typeof servedGatewayResponses>, unknown>;

const FREE_PORTS = { gateway: 0, issuer: 0, dynamodb: 0 };
/** The stack's tiers plus a tiny one, so a quota can be used up in a test. */
const TIERS = { ...USAGE_TIERS, tiny: { rateLimit: 1000, burstLimit: 1000, quota: { limit: 3, period: 'DAY' as const }, description: 'test' } };

let local: LocalMode;

beforeAll(async () => {
  local = await startLocalMode({ ports: FREE_PORTS, memory: true, dataDir: tempDataDir(), env: {}, tiers: TIERS, logLevel: 'SILENT' });
});

afterAll(async () => {
  await local?.stop();
});

describe('Local issuer', () => {
  it('publishes its discovery document and JWKS over https', async () => {
    const discovery = JSON.parse((await issuerRequest(local, '/.well-known/openid-configuration')).text);
    expect(discovery).toMatchObject({
      issuer: local.issuerUrl,
      jwks_uri: `${local.issuerUrl}/.well-known/jwks.json`,
      token_endpoint: `${local.issuerUrl}/oauth2/token`,
      grant_types_supported: ['authorization_code', 'client_credentials', 'refresh_token'],
    });
    const jwks = JSON.parse((await issuerRequest(local, '/.well-known/jwks.json')).text);
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    expect(jwks.keys[0].d).toBeUndefined();
  });

  it('issues a client_credentials token with client auth by HTTP Basic or by the form body', async () => {
    const basic = await tokenRequest(local, { grant_type: 'client_credentials' }, {
      authorization: `Basic ${Buffer.from('local-reader:local-reader-secret').toString('base64')}`,
    });
    expect(basic.status).toBe(200);
    expect(basic.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'items:read' });
    expect(basic.headers['cache-control']).toBe('no-store');
    const post = await tokenRequest(local, {
      grant_type: 'client_credentials',
      client_id: 'local-admin',
      client_secret: 'local-admin-secret',
      scope: 'items:read items:admin',
    });
    expect(post.status).toBe(200);
    expect(post.body.scope).toBe('items:read items:admin');
    const claims = JSON.parse(Buffer.from((post.body.access_token as string).split('.')[1]!, 'base64url').toString());
    expect(claims).toMatchObject({ iss: local.issuerUrl, aud: 'portcullis-sample-api', client_id: 'local-admin', sub: 'local-admin', scope: 'items:read items:admin' });
    expect(claims.exp - claims.iat).toBe(3600);
  });

  it('refuses a wrong secret or unknown client with 401 invalid_client', async () => {
    for (const credentials of ['local-reader:wrong', 'nobody:local-reader-secret']) {
      const response = await tokenRequest(local, { grant_type: 'client_credentials' }, { authorization: `Basic ${Buffer.from(credentials).toString('base64')}` });
      expect(response.status).toBe(401);
      expect(response.body.error).toBe('invalid_client');
      expect(response.headers['www-authenticate']).toMatch(/^Basic /);
    }
    const none = await tokenRequest(local, { grant_type: 'client_credentials' });
    expect(none.status).toBe(401);
    expect(none.body.error).toBe('invalid_client');
  });

  it('refuses a scope the client does not hold with 400 invalid_scope', async () => {
    const response = await tokenRequest(local, { grant_type: 'client_credentials', client_id: 'local-reader', client_secret: 'local-reader-secret', scope: 'items:read items:admin' });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('invalid_scope');
  });

  it('refuses another grant type with 400 unsupported_grant_type, and a missing one with invalid_request', async () => {
    const auth = { client_id: 'local-reader', client_secret: 'local-reader-secret' };
    const password = await tokenRequest(local, { grant_type: 'password', ...auth });
    expect(password.status).toBe(400);
    expect(password.body.error).toBe('unsupported_grant_type');
    const missing = await tokenRequest(local, auth);
    expect(missing.status).toBe(400);
    expect(missing.body.error).toBe('invalid_request');
  });

  it('refuses two client authentication methods at once and repeated parameters (invalid_request)', async () => {
    const both = await tokenRequest(
      local,
      { grant_type: 'client_credentials', client_id: 'local-reader', client_secret: 'local-reader-secret' },
      { authorization: `Basic ${Buffer.from('local-reader:local-reader-secret').toString('base64')}` },
    );
    expect(both.body.error).toBe('invalid_request');
    const repeated = await tokenRequest(local, 'grant_type=client_credentials&grant_type=client_credentials&client_id=local-reader&client_secret=local-reader-secret');
    expect(repeated.status).toBe(400);
    expect(repeated.body.error).toBe('invalid_request');
  });
});

describe('Gateway with the real authorizer', () => {
  it('serves /health without credentials', async () => {
    const response = await call(local, 'GET', '/health');
    expect(response.status).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });

  it('answers 401 without a credential and with a bad token, with the gateway response body', async () => {
    const none = await call(local, 'GET', '/items');
    expect(none.status).toBe(401);
    expect(none.json()).toEqual(DEPLOYED.UNAUTHORIZED);
    expect((await call(local, 'GET', '/items', 'Bearer not.a.token')).status).toBe(401);
  });

  it('lets a JWT client from /oauth2/token call /whoami and receive its context as strings', async () => {
    const token = await clientToken(local, 'local-reader');
    const response = await call(local, 'GET', '/whoami', `Bearer ${token}`);
    expect(response.status).toBe(200);
    const context = response.json() as Record<string, unknown>;
    expect(context).toMatchObject({
      principalId: 'local-reader',
      authMethod: 'jwt',
      issuer: local.issuerUrl,
      clientId: 'local-reader',
      sub: 'local-reader',
      scopes: 'items:read',
      plan: 'pro',
    });
    for (const [key, value] of Object.entries(context)) {
      if (key !== 'integrationLatency') expect(typeof value, key).toBe('string');
    }
  });

  it('meters JWT clients without a binding under the default plan shared key (registered on start)', async () => {
    const token = await clientToken(local, 'local-reader');
    expect((await call(local, 'GET', '/items', `Bearer ${token}`)).status).toBe(200);
  });

  it('answers 403 for a route the scopes do not allow, and items CRUD for one that holds them', async () => {
    const reader = await clientToken(local, 'local-reader');
    const denied = await call(local, 'POST', '/items', `Bearer ${reader}`, { name: 'x' });
    expect(denied.status).toBe(403);
    expect(denied.json()).toEqual(DEPLOYED.ACCESS_DENIED);

    const admin = await clientToken(local, 'local-admin');
    const created = await call(local, 'POST', '/items', `Bearer ${admin}`, { name: 'widget' });
    expect(created.status).toBe(201);
    const item = created.json() as { id: string; createdBy: string };
    expect(item.createdBy).toBe('local-admin');
    expect((await call(local, 'GET', '/items', `Bearer ${admin}`)).json()).toMatchObject({ items: [{ id: item.id, name: 'widget' }] });
    expect((await call(local, 'DELETE', `/items/${item.id}`, `Bearer ${admin}`)).status).toBe(204);
    expect((await call(local, 'DELETE', `/items/${item.id}`, `Bearer ${reader}`)).status).toBe(403);
  });

  it('answers a cached Allow for another route correctly: allowed routes 200, others 403', async () => {
    const writer = await clientToken(local, 'local-writer');
    expect((await call(local, 'GET', '/whoami', `Bearer ${writer}`)).status).toBe(200);
    // Same identity, other routes: answered from the cached policy.
    expect((await call(local, 'POST', '/items', `Bearer ${writer}`, { name: 'y' })).status).toBe(201);
    expect((await call(local, 'DELETE', '/items/1', `Bearer ${writer}`)).status).toBe(403);
  });

  it('lets an API key through ApiKey and Basic (curl -u keyId:key), counted against its own plan', async () => {
    const created = await createLocalKey(local, { scopes: ['items:read'], plan: 'free' });
    const viaApiKey = await call(local, 'GET', '/whoami', `ApiKey ${created.key}`);
    expect(viaApiKey.status).toBe(200);
    expect(viaApiKey.json()).toMatchObject({ principalId: created.keyId, authMethod: 'apiKey', keyId: created.keyId, owner: 'acme', plan: 'free' });
    expect((await call(local, 'GET', '/items', created.basic)).status).toBe(200);
    expect((await call(local, 'POST', '/items', created.basic, { name: 'z' })).status).toBe(403);
  });

  it('answers 403 Forbidden on a metered route when the key usage key is disabled or in no plan', async () => {
    const disabled = await createLocalKey(local, { scopes: ['items:read'], usageKeyEnabled: false });
    const forbidden = await call(local, 'GET', '/items', `ApiKey ${disabled.key}`);
    expect(forbidden.status).toBe(403);
    expect(forbidden.json()).toEqual(DEPLOYED.INVALID_API_KEY);
    expect((await call(local, 'GET', '/whoami', `ApiKey ${disabled.key}`)).status).toBe(200);
    const unregistered = await createLocalKey(local, { scopes: ['items:read'], registerUsageKey: false });
    expect((await call(local, 'GET', '/items', `ApiKey ${unregistered.key}`)).status).toBe(403);
  });

  it('throttles a key beyond its plan burst with 429 Too Many Requests', async () => {
    const { key } = await createLocalKey(local, { scopes: ['items:read'], plan: 'free' });
    expect((await call(local, 'GET', '/items', `ApiKey ${key}`)).status).toBe(200); // authorizer result now cached
    const statuses = await Promise.all(Array.from({ length: USAGE_TIERS.free.burstLimit + 5 }, () => call(local, 'GET', '/items', `ApiKey ${key}`)));
    const throttled = statuses.filter((response) => response.status === 429);
    expect(throttled.length).toBeGreaterThanOrEqual(4);
    expect(throttled[0]!.json()).toEqual(DEPLOYED.THROTTLED);
    expect((throttled[0]!.json() as { message: string }).message).toBe('Too Many Requests');
    expect(statuses.filter((response) => response.status === 200).length).toBeLessThanOrEqual(USAGE_TIERS.free.burstLimit + 1);
  });

  it('answers 429 Limit Exceeded once the plan quota is used', async () => {
    const { key } = await createLocalKey(local, { scopes: ['items:read'], plan: 'tiny' });
    for (let i = 0; i < 3; i++) expect((await call(local, 'GET', '/items', `ApiKey ${key}`)).status).toBe(200);
    const over = await call(local, 'GET', '/items', `ApiKey ${key}`);
    expect(over.status).toBe(429);
    expect(over.json()).toEqual(DEPLOYED.QUOTA_EXCEEDED);
    expect((over.json() as { message: string }).message).toBe('Limit Exceeded');
    expect((await call(local, 'GET', '/whoami', `ApiKey ${key}`)).status).toBe(200); // not metered
  });

  it('refuses an expired token from the issuer key (401)', async () => {
    const token = mintAccessToken(loadSigningKey(local.paths)!, {
      issuer: local.issuerUrl,
      audience: 'portcullis-sample-api',
      clientId: 'local-admin',
      scopes: ['items:read'],
      ttlSeconds: -300,
    });
    expect((await call(local, 'GET', '/whoami', `Bearer ${token}`)).status).toBe(401);
  });
});

describe('Local mode settings', () => {
  it('with AUTHORIZER_CACHE_TTL=0 asks the authorizer on every request, so a cached answer never outlives a change', async () => {
    let calls = 0;
    const uncached = await startLocalMode({
      ports: FREE_PORTS,
      memory: true,
      dataDir: tempDataDir(),
      env: { AUTHORIZER_CACHE_TTL: '0' },
      logLevel: 'SILENT',
      wrapAuthorizer: (authorizer) => (event, context) => {
        calls++;
        return authorizer(event, context);
      },
    });
    try {
      const token = await clientToken(uncached, 'local-reader');
      for (let i = 0; i < 3; i++) expect((await call(uncached, 'GET', '/whoami', `Bearer ${token}`)).status).toBe(200);
      expect(calls).toBe(3);
    } finally {
      await uncached.stop();
    }
  });

  it('answers 500 (not 401, not 403) when the store is down and the authorizer cannot decide', async () => {
    const fragile = await startLocalMode({ ports: FREE_PORTS, memory: true, dataDir: tempDataDir(), env: { AUTHORIZER_CACHE_TTL: '0', DYNAMODB_TIMEOUT_MS: '200', DYNAMODB_MAX_ATTEMPTS: '1' }, logLevel: 'SILENT' });
    try {
      const { key } = await createLocalKey(fragile, { scopes: ['items:read'] });
      await fragile.store.stop();
      const response = await call(fragile, 'GET', '/whoami', `ApiKey ${key}`);
      expect(response.status).toBe(500);
      expect([DEPLOYED.AUTHORIZER_FAILURE, DEPLOYED.AUTHORIZER_CONFIGURATION_ERROR]).toContainEqual(response.json());
    } finally {
      await fragile.stop();
    }
  });

  it('keeps keys across a restart with the same data directory, and nothing with --memory', async () => {
    const dataDir = tempDataDir();
    const first = await startLocalMode({ ports: FREE_PORTS, dataDir, env: {}, logLevel: 'SILENT' });
    const { key } = await createLocalKey(first, { scopes: ['items:read'] });
    const firstKid = JSON.parse((await issuerRequest(first, '/.well-known/jwks.json')).text).keys[0].kid;
    await first.stop();

    const second = await startLocalMode({ ports: FREE_PORTS, dataDir, env: {}, logLevel: 'SILENT' });
    try {
      expect((await call(second, 'GET', '/items', `ApiKey ${key}`)).status).toBe(200);
      // The issuer's signing key is kept too: tokens minted before the restart still verify.
      expect(JSON.parse((await issuerRequest(second, '/.well-known/jwks.json')).text).keys[0].kid).toBe(firstKid);
    } finally {
      await second.stop();
    }

    const volatile = await startLocalMode({ ports: FREE_PORTS, dataDir, memory: true, env: {}, logLevel: 'SILENT' });
    try {
      expect((await call(volatile, 'GET', '/items', `ApiKey ${key}`)).status).toBe(401);
    } finally {
      await volatile.stop();
    }
  });
});

describe('Function: localAuthorizerEnv', () => {
  it('passes the decision log settings through, as the Lambda runtime would (npm start turns the metrics off)', () => {
    const env = localAuthorizerEnv({
      issuerUrl: 'https://127.0.0.1:3001',
      caFile: '/tmp/ca.pem',
      env: { POWERTOOLS_LOG_LEVEL: 'WARN', POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_SERVICE_NAME: 'svc', UNRELATED: 'x' },
    });
    expect(env).toMatchObject({ POWERTOOLS_LOG_LEVEL: 'WARN', POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_SERVICE_NAME: 'svc' });
    expect(env).not.toHaveProperty('UNRELATED');
  });
});

describe('Local defaults', () => {
  it('caches authorizer results as long as the deployed stack does by default', () => {
    expect(local.authorizerCacheTtlSeconds).toBe(DEFAULT_RESULT_CACHE_TTL_SECONDS);
  });
});
