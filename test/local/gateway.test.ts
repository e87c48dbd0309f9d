/**
 * The local gateway's API Gateway behaviour, over a real socket, with stand-in Lambda authorizers (API Gateway calls
 * whatever function is configured; these return the outputs, valid and invalid, a real one could).
 */
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthorizerResultCache } from '../../local/authorizer-cache';
import { LocalGateway, type AuthorizerFunction } from '../../local/gateway-server';
import { closeServer } from '../../local/listen';
import { LOCAL_STAGE } from '../../local/constants';
import { sampleRouteDefinitions } from '../../local/mode';
import { RouteTable } from '../../local/route-table';
import { createSampleBackend } from '../../local/sample-backend';
import { UsagePlanMeter } from '../../local/usage-plans';

const STAGE_ARN = `arn:aws:execute-api:${LOCAL_STAGE.region}:${LOCAL_STAGE.accountId}:${LOCAL_STAGE.apiId}/${LOCAL_STAGE.stage}`;

const allow = (...routes: string[]) => ({
  principalId: 'user-1',
  policyDocument: {
    Version: '2012-10-17',
    Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: routes.map((route) => `${STAGE_ARN}/${route}`) }],
  },
  context: { authMethod: 'jwt', scopes: 'items:read' },
  usageIdentifierKey: 'usage-key-1',
});

interface Running {
  url: string;
  invocations: Parameters<AuthorizerFunction>[0][];
  server: Server;
}

let running: Running | undefined;

async function startGateway(
  authorize: (event: Parameters<AuthorizerFunction>[0]) => unknown,
  options: { ttlSeconds?: number; usageKeys?: Record<string, { plan: string; enabled: boolean }> } = {},
): Promise<Running> {
  const invocations: Running['invocations'] = [];
  const usageKeys = options.usageKeys ?? { 'usage-key-1': { plan: 'pro', enabled: true } };
  const gateway = new LocalGateway({
    routes: new RouteTable(sampleRouteDefinitions()),
    stage: LOCAL_STAGE,
    authorizer: async (event) => {
      invocations.push(event);
      return authorize(event);
    },
    cache: new AuthorizerResultCache(options.ttlSeconds ?? 300),
    usageKeys: { get: async (value) => usageKeys[value] },
    meter: new UsagePlanMeter({ pro: { rateLimit: 1000, burstLimit: 1000, quota: { limit: 1000, period: 'DAY' }, description: '' } }),
    backend: createSampleBackend(),
  });
  const server = gateway.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  running = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, invocations, server };
  return running;
}

afterEach(async () => {
  if (running) await closeServer(running.server);
  running = undefined;
});

async function get(path: string, authorization?: string, method = 'GET') {
  const response = await fetch(`${running!.url}${path}`, { method, headers: authorization ? { authorization } : {} });
  return { status: response.status, body: await response.text(), headers: response.headers };
}

describe('Class: LocalGateway', () => {
  describe('routes', () => {
    it('answers an unknown route or method with 403 Missing Authentication Token, without the authorizer', async () => {
      const gw = await startGateway(() => allow('*'));
      for (const [method, path] of [['GET', '/nope'], ['PUT', '/items'], ['GET', '/items/1']]) {
        const response = await get(path!, 'Bearer t', method);
        expect(response.status).toBe(403);
        expect(JSON.parse(response.body)).toEqual({ message: 'Missing Authentication Token' });
        expect(response.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
      }
      expect(gw.invocations).toHaveLength(0);
    });

    it('answers an OPTIONS preflight with CORS headers, without the authorizer', async () => {
      const gw = await startGateway(() => allow('*'));
      const response = await get('/items', undefined, 'OPTIONS');
      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
      expect(response.headers.get('access-control-allow-methods')).toBe('OPTIONS,GET,POST');
      expect(response.headers.get('access-control-allow-headers')).toContain('Authorization');
      expect(gw.invocations).toHaveLength(0);
    });

    it('serves public routes without the authorizer', async () => {
      const gw = await startGateway(() => allow('*'));
      expect((await get('/health')).status).toBe(200);
      expect(gw.invocations).toHaveLength(0);
    });
  });

  describe('identity source', () => {
    it('answers 401 without invoking the authorizer when Authorization is missing or empty', async () => {
      const gw = await startGateway(() => allow('*'));
      const missing = await get('/whoami');
      expect(missing.status).toBe(401);
      expect(JSON.parse(missing.body)).toEqual({ message: 'Unauthorized' });
      expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer /);
      expect((await get('/whoami', ' ')).status).toBe(401);
      expect(gw.invocations).toHaveLength(0);
    });

    it('passes duplicate Authorization headers to the authorizer in multiValueHeaders', async () => {
      const gw = await startGateway(() => {
        throw new Error('Unauthorized');
      });
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(`${gw.url}/whoami`, { headers: ['Host', '127.0.0.1', 'Authorization', 'Bearer one', 'Authorization', 'Bearer two'] }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
      expect(status).toBe(401);
      expect(gw.invocations[0]!.multiValueHeaders).toMatchObject({ Authorization: ['Bearer one', 'Bearer two'] });
      expect(gw.invocations[0]!.headers).toMatchObject({ Authorization: 'Bearer two' });
    });
  });

  describe('authorizer outcomes', () => {
    it('maps the Unauthorized error to 401 and does not cache it', async () => {
      const gw = await startGateway(() => {
        throw new Error('Unauthorized');
      });
      expect((await get('/whoami', 'Bearer bad')).status).toBe(401);
      expect((await get('/whoami', 'Bearer bad')).status).toBe(401);
      expect(gw.invocations).toHaveLength(2);
    });

    it('maps any other authorizer error to 500 and does not cache it', async () => {
      const gw = await startGateway(() => {
        throw new Error('Authorizer could not decide (key_store_unavailable)');
      });
      const response = await get('/whoami', 'Bearer t');
      expect(response.status).toBe(500);
      expect(JSON.parse(response.body)).toEqual({ message: 'Internal server error' });
      expect((await get('/whoami', 'Bearer t')).status).toBe(500);
      expect(gw.invocations).toHaveLength(2);
    });

    it.each([
      ['a nested object in context', { ...allow('GET/whoami'), context: { nested: { a: 1 } } }],
      ['an array in context', { ...allow('GET/whoami'), context: { list: ['a'] } }],
      ['no principalId', { ...allow('GET/whoami'), principalId: undefined }],
      ['no policyDocument', { principalId: 'p' }],
      ['a statement without Effect', { principalId: 'p', policyDocument: { Statement: [{ Action: 'execute-api:Invoke', Resource: '*' }] } }],
      ['a non-object result', 'Allow'],
    ])('answers 500 for an invalid authorizer result (%s), never Allow, and does not cache it', async (_name, result) => {
      const gw = await startGateway(() => result);
      expect((await get('/whoami', 'Bearer t')).status).toBe(500);
      expect((await get('/whoami', 'Bearer t')).status).toBe(500);
      expect(gw.invocations).toHaveLength(2);
    });

    it('answers 403 for a Deny, with the explicit-deny message', async () => {
      await startGateway(() => ({
        ...allow(),
        policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: `${STAGE_ARN}/GET/whoami` }] },
      }));
      const response = await get('/whoami', 'Bearer t');
      expect(response.status).toBe(403);
      expect(JSON.parse(response.body)).toEqual({ message: 'User is not authorized to access this resource with an explicit deny' });
    });

    it('answers 403 when no statement allows the request (implicit deny)', async () => {
      await startGateway(() => allow('GET/items'));
      const response = await get('/whoami', 'Bearer t');
      expect(response.status).toBe(403);
      expect(JSON.parse(response.body)).toEqual({ message: 'User is not authorized to access this resource' });
    });

    it('delivers the context to the backend as strings, with principalId and integrationLatency', async () => {
      await startGateway(() => ({ ...allow('GET/whoami'), context: { s: 'x', n: 42, b: true } }));
      const response = await get('/whoami', 'Bearer t');
      expect(response.status).toBe(200);
      const body = JSON.parse(response.body);
      expect(body).toMatchObject({ principalId: 'user-1', s: 'x', n: '42', b: 'true' });
      expect(typeof body.integrationLatency).toBe('number');
    });
  });

  describe('result cache', () => {
    it('reuses a cached Allow for every route of the identity, evaluating each request against the policy', async () => {
      const gw = await startGateway(() => allow('GET/whoami', 'GET/items'));
      expect((await get('/whoami', 'Bearer t')).status).toBe(200);
      expect((await get('/items', 'Bearer t')).status).toBe(200);
      expect((await get('/items', 'Bearer t', 'POST')).status).toBe(403);
      expect(gw.invocations).toHaveLength(1);
      expect(gw.invocations[0]!.resource).toBe('/whoami');
    });

    it('caches a Deny like an Allow', async () => {
      const gw = await startGateway(() => ({
        ...allow('GET/items'),
        policyDocument: {
          Version: '2012-10-17',
          Statement: [
            { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: `${STAGE_ARN}/GET/items` },
            { Action: 'execute-api:Invoke', Effect: 'Deny', Resource: `${STAGE_ARN}/GET/whoami` },
          ],
        },
      }));
      expect((await get('/whoami', 'Bearer t')).status).toBe(403);
      expect((await get('/whoami', 'Bearer t')).status).toBe(403);
      expect((await get('/items', 'Bearer t')).status).toBe(200);
      expect(gw.invocations).toHaveLength(1);
    });

    it('keys the cache by the identity source value', async () => {
      const gw = await startGateway(() => allow('GET/whoami'));
      await get('/whoami', 'Bearer a');
      await get('/whoami', 'Bearer b');
      await get('/whoami', 'Bearer a');
      expect(gw.invocations).toHaveLength(2);
    });

    it('invokes the authorizer on every request when the TTL is 0', async () => {
      const gw = await startGateway(() => allow('GET/whoami'), { ttlSeconds: 0 });
      await get('/whoami', 'Bearer t');
      await get('/whoami', 'Bearer t');
      expect(gw.invocations).toHaveLength(2);
    });

    it('reports integrationLatency 0 for a cached result', async () => {
      await startGateway(() => allow('GET/whoami'));
      await get('/whoami', 'Bearer t');
      expect(JSON.parse((await get('/whoami', 'Bearer t')).body).integrationLatency).toBe(0);
    });
  });

  describe('usage plans on metered routes', () => {
    it('answers 403 Forbidden without a usageIdentifierKey, or with one that is unknown, disabled or of no plan', async () => {
      const usageKeys = { disabled: { plan: 'pro', enabled: false }, orphan: { plan: 'gold', enabled: true } };
      for (const usageIdentifierKey of [undefined, 'unknown', 'disabled', 'orphan']) {
        await startGateway(() => ({ ...allow('GET/items'), usageIdentifierKey }), { usageKeys });
        const response = await get('/items', 'Bearer t');
        expect(response.status).toBe(403);
        expect(JSON.parse(response.body)).toEqual({ message: 'Forbidden' });
        await closeServer(running!.server);
        running = undefined;
      }
    });

    it('does not require a usage key on routes that are not metered', async () => {
      await startGateway(() => ({ ...allow('GET/whoami'), usageIdentifierKey: undefined }));
      expect((await get('/whoami', 'Bearer t')).status).toBe(200);
    });

  });
});
