/**
 * The local gateway and request targets that are not URLs: the client's error, answered 400 with an access-log line
 * (it was a 500 without one).
 */
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthorizerResultCache } from '../../local/authorizer-cache';
import { LOCAL_STAGE } from '../../local/constants';
import { LocalGateway, type AccessLogEntry } from '../../local/gateway-server';
import { closeServer } from '../../local/listen';
import { sampleRouteDefinitions } from '../../local/mode';
import { RouteTable } from '../../local/route-table';
import { createSampleBackend } from '../../local/sample-backend';
import { UsagePlanMeter } from '../../local/usage-plans';
import type { Server } from 'node:http';

let server: Server;
let port: number;
const accessLog: AccessLogEntry[] = [];
let authorizerCalls = 0;

beforeAll(async () => {
  const gateway = new LocalGateway({
    routes: new RouteTable(sampleRouteDefinitions()),
    stage: LOCAL_STAGE,
    authorizer: async () => {
      authorizerCalls++;
      throw new Error('Unauthorized');
    },
    cache: new AuthorizerResultCache(0),
    usageKeys: { get: async () => undefined },
    meter: new UsagePlanMeter({}),
    backend: createSampleBackend(),
    onRequest: (entry) => accessLog.push(entry),
  });
  server = gateway.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await closeServer(server);
});

/** Sends `target` verbatim as the request target (fetch would normalise or refuse it). */
function send(target: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'GET', path: target }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('Class: LocalGateway, malformed request targets', () => {
  it.each(['http://[bad/items', 'https://[::1/items', 'http://exa%mple/items'])(
    'regression: answers %s with 400 and an access-log line, without the authorizer',
    async (target) => {
      const before = accessLog.length;
      const response = await send(target);
      expect(response.status).toBe(400);
      expect(JSON.parse(response.body)).toEqual({ message: 'Bad Request' });
      expect(accessLog.slice(before)).toEqual([expect.objectContaining({ method: 'GET', status: 400, error: 'MalformedRequestTarget' })]);
      expect(authorizerCalls).toBe(0);
    },
  );

  it('still answers a well-formed absolute-form target by its path', async () => {
    const response = await send(`http://127.0.0.1:${port}/items`);
    expect(response.status).toBe(401);
  });
});
