/**
 * Path spellings through the local gateway and the real authorizer (dynalite for keys): a literal segment spelled
 * with a percent-escape runs its route (routing decodes segments) while the methodArn keeps the escape, as API Gateway
 * REST does; a cached policy must never let such a request through a route it refuses.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chooseCacheKeyMode, type CacheKeyMode } from '../../lambda/cache-key-mode';
import { compileManifest } from '../../lambda/route-manifest';
import { policyForRequest } from '../../lambda/policy';
import { AuthorizerResultCache } from '../../local/authorizer-cache';
import { LOCAL_STAGE } from '../../local/constants';
import { LocalGateway, type AccessLogEntry } from '../../local/gateway-server';
import { closeServer } from '../../local/listen';
import { RouteTable } from '../../local/route-table';
import { UsagePlanMeter } from '../../local/usage-plans';
import { createHarness, gatewayStatus, requestEvent, STAGE_ARN, storeApiKey, TEST_MANIFEST } from '../support/authorizer-harness';
import { startLocalDynamoDb, type LocalDynamoDb } from '../support/local-dynamodb';

let dynamo: LocalDynamoDb;
let server: Server | undefined;

beforeAll(async () => {
  dynamo = await startLocalDynamoDb();
});
afterAll(async () => {
  await dynamo.stop();
});
afterEach(async () => {
  if (server) await closeServer(server);
  server = undefined;
});

async function startGateway(mode: CacheKeyMode) {
  const harness = createHarness({ dynamo, env: { CACHE_KEY_MODE: mode } });
  const log: AccessLogEntry[] = [];
  const gateway = new LocalGateway({
    routes: new RouteTable(TEST_MANIFEST.routes.map((route) => ({ method: route.method, path: route.path, authorized: true, metered: false }))),
    stage: LOCAL_STAGE,
    authorizer: (event, context) => harness.handler(event, context),
    cache: new AuthorizerResultCache(300),
    cacheKeyMode: mode,
    usageKeys: { get: async () => undefined },
    meter: new UsagePlanMeter({}),
    backend: async () => ({ statusCode: 200, body: 'ok' }),
    onRequest: (entry) => log.push(entry),
  });
  server = gateway.createServer();
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const get = async (path: string, key: string) => (await fetch(`${url}${path}`, { headers: { authorization: `ApiKey ${key}` } })).status;
  return { get, log };
}

describe('Local gateway: path spellings', () => {
  it('chooses the route key for the nested manifest (its parameter route pattern covers the audit route)', () => {
    expect(chooseCacheKeyMode(compileManifest(TEST_MANIFEST)).mode).toBe('route');
  });

  for (const mode of ['route', 'identity'] as const) {
    it(`does not answer GET /items/1/%61udit from a cached reader policy (${mode} key)`, async () => {
      const reader = await storeApiKey(dynamo, { scopes: ['items:read'] }, 'ptc_test_');
      const { get } = await startGateway(mode);
      expect(await get('/items/1', reader.key)).toBe(200);
      expect(await get('/items/1/%61udit', reader.key)).toBe(403);
      expect(await get('/items/1/audit', reader.key)).toBe(403);
      // Under a forced identity key the reader's GET /items/{id} pattern would also cover the audit route, so it is
      // withheld: other items answer 403 from the cache (never 200) until the entry expires.
      expect(await get('/items/2', reader.key)).toBe(mode === 'route' ? 200 : 403);
    });
  }

  it('allows the audit route in any spelling to a caller whose scopes allow it (route key)', async () => {
    const auditor = await storeApiKey(dynamo, { scopes: ['audit:read'] }, 'ptc_test_');
    const { get, log } = await startGateway('route');
    expect(await get('/items/1/audit', auditor.key)).toBe(200);
    expect(await get('/items/2/%61udit', auditor.key)).toBe(200);
    expect(log.at(-1)?.authorizerCache).toBe('hit');
    expect(await get('/items/1', auditor.key)).toBe(403);
  });
});

describe('methodArn with line breaks', () => {
  it('a methodArn containing a line break or U+2028 gets a decision, never a 500', async () => {
    const harness = createHarness({ dynamo });
    const reader = await storeApiKey(dynamo, { scopes: ['items:read'] }, 'ptc_test_');
    for (const separator of ['\n', '\r\n', '\u2028', '\u2029']) {
      const event = requestEvent({ method: 'GET', resource: '/items/{id}', authorization: `ApiKey ${reader.key}` });
      event.methodArn = `${STAGE_ARN}/GET/items/a${separator}b`;
      expect(await gatewayStatus(harness, event)).toBe(200);
      const refused = requestEvent({ method: 'DELETE', resource: '/items/{id}', authorization: `ApiKey ${reader.key}` });
      refused.methodArn = `${STAGE_ARN}/DELETE/items/a${separator}b`;
      expect(await gatewayStatus(harness, refused)).toBe(403);
      const anonymous = requestEvent({ method: 'GET', resource: '/items/{id}', authorization: 'ApiKey ptc_test_nope' });
      anonymous.methodArn = `${STAGE_ARN}/GET/items/a${separator}b`;
      expect(await gatewayStatus(harness, anonymous)).toBe(401);
    }
  });
});

describe('The handler\'s memoised policies', () => {
  it('are the same documents as the policy built fresh for each request, under both keys', async () => {
    const manifest = compileManifest(TEST_MANIFEST);
    const requests = [
      { method: 'GET', resource: '/items', path: '/items' },
      { method: 'GET', resource: '/items/{id}', path: '/items/7' },
      { method: 'GET', resource: '/items/{id}/audit', path: '/items/7/audit' },
      { method: 'GET', resource: '/items/{id}/audit', path: '/items/7/%61udit' },
      { method: 'DELETE', resource: '/items/{id}', path: '/items/*' },
      { method: 'POST', resource: '/items', path: '/items' },
      { method: 'GET', resource: '/whoami', path: '/whoami' },
    ];
    for (const mode of ['identity', 'route'] as const) {
      const harness = createHarness({ dynamo, env: { CACHE_KEY_MODE: mode } });
      for (const scopes of [['items:read'], ['audit:read'], ['items:admin', 'items:read']]) {
        const key = await storeApiKey(dynamo, { scopes }, 'ptc_test_');
        // Twice: the second round is answered from the handler's caches and memos.
        for (let round = 0; round < 2; round++) {
          for (const request of requests) {
            const event = requestEvent({ ...request, authorization: `ApiKey ${key.key}` });
            const result = await harness.handler(event);
            const fresh = policyForRequest({ manifest, mode, held: new Set(scopes), methodArn: event.methodArn, httpMethod: request.method, resource: request.resource });
            expect(result.policyDocument).toEqual(fresh);
          }
        }
      }
    }
  });
});
