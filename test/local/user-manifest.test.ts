/**
 * The local mode serving a user's API (`npm start -- --manifest api.yaml --issuers issuers.json --backend URL`): the
 * routes of a real-world-shaped OpenAPI file behind the real authorizer, in front of a backend this test starts,
 * checked end to end over HTTP: status codes, what the backend receives (method, path, query, headers, body, the
 * authorizer context in X-Portcullis-* headers) and what the client gets back.
 */
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startLocalMode, type LocalMode } from '../../local/mode';
import { parseStartArgs, StartUsageError } from '../../local/start-options';
import { mintAccessToken } from '../../local/access-token';
import { loadSigningKey } from '../../local/state';
import { SAMPLE_AUDIENCE } from '../../infra/sample-api';
import { createLocalKey, tempDataDir } from './local-helpers';

const FIXTURE = join(__dirname, '..', 'openapi', 'fixtures', 'orders-api.yaml');
const FREE_PORTS = { gateway: 0, issuer: 0, dynamodb: 0 };

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

let backend: Server;
let backendUrl: string;
let seen: Seen[] = [];
let dataDir: string;
let local: LocalMode;

beforeAll(async () => {
  backend = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(req.method === 'POST' ? 201 : 200, { 'Content-Type': 'application/json', 'X-Backend': 'orders', 'Keep-Alive': 'timeout=5' });
      res.end(JSON.stringify({ ok: true, path: req.url }));
    });
  });
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
  dataDir = tempDataDir();
  const issuersFile = join(dataDir, 'issuers.json');
  writeFileSync(issuersFile, JSON.stringify([{ issuer: 'https://shop.eu.auth0.com/', audience: ['orders-api'] }]));
  const options = parseStartArgs(['--manifest', FIXTURE, '--issuers', issuersFile, '--backend', backendUrl]);
  local = await startLocalMode({
    ports: FREE_PORTS,
    memory: true,
    dataDir,
    env: { AUTHORIZER_CACHE_TTL: '0', POWERTOOLS_METRICS_DISABLED: 'true' },
    logLevel: 'SILENT',
    api: options.api!,
    issuers: options.issuers!,
    backend: options.backend!,
  });
});

afterAll(async () => {
  await local?.stop();
  backend?.closeAllConnections();
  await new Promise((resolve) => backend?.close(resolve));
  rmSync(dataDir, { recursive: true, force: true });
});

beforeEach(() => {
  seen = [];
});

/** An HTTP request with exactly these headers (fetch would refuse Connection and friends). */
function send(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; headers: IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method, headers: { ...headers, ...(body ? { 'Content-Length': String(Buffer.byteLength(body)) } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const gateway = (method: string, path: string, headers?: Record<string, string>, body?: string) => send(local.gatewayUrl, method, path, headers, body);

function token(scopes: string[]): string {
  return `Bearer ${mintAccessToken(loadSigningKey(local.paths)!, { issuer: local.issuerUrl, audience: SAMPLE_AUDIENCE, clientId: 'shop-web', scopes })}`;
}

describe('your routes behind the authorizer, proxied to your backend', () => {
  it('an authorized request reaches the backend as an HTTP proxy integration sends it, with the context in headers', async () => {
    const key = await createLocalKey(local, { scopes: ['orders:read'] });
    const response = await gateway('GET', '/v1/orders/o-17?expand=items&expand=customer', {
      Authorization: key.basic,
      Accept: 'application/json',
      Connection: 'keep-alive, X-Drop-Me',
      'X-Drop-Me': 'hop-by-hop',
      'X-Portcullis-Owner': 'forged-by-the-client',
      'X-Request-Tag': 'kept',
    });
    expect(response.status).toBe(200);
    expect(JSON.parse(response.text)).toEqual({ ok: true, path: '/v1/orders/o-17?expand=items&expand=customer' });
    expect(response.headers['x-backend']).toBe('orders');
    expect(seen).toHaveLength(1);
    const [request] = seen;
    expect(request!.method).toBe('GET');
    expect(request!.url).toBe('/v1/orders/o-17?expand=items&expand=customer');
    expect(request!.headers).toMatchObject({
      accept: 'application/json',
      'x-request-tag': 'kept',
      authorization: key.basic,
      'x-forwarded-for': '127.0.0.1',
      'x-forwarded-proto': 'http',
      'x-portcullis-auth-method': 'apiKey',
      'x-portcullis-key-id': key.keyId,
      'x-portcullis-owner': 'acme',
      'x-portcullis-scopes': 'orders:read',
      'x-portcullis-plan': 'free',
    });
    expect(request!.headers['x-portcullis-principal']).toMatch(/\S/);
    expect(request!.headers).not.toHaveProperty('x-drop-me');
  });

  it('a metered POST with an anyOf requirement forwards the body and answers with the backend status', async () => {
    const key = await createLocalKey(local, { scopes: ['shop-api/orders.write'] });
    const body = JSON.stringify({ sku: 'A-1', quantity: 2 });
    const response = await gateway('POST', '/v1/orders', { Authorization: key.basic, 'Content-Type': 'application/json' }, body);
    expect(response.status).toBe(201);
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/v1/orders', body });
    expect(seen[0]!.headers['content-type']).toBe('application/json');
    expect(seen[0]!.headers['content-length']).toBe(String(body.length));
  });

  it('ANY /files/{proxy+} takes every method and the whole rest of the path, for a JWT with the scope', async () => {
    const response = await gateway('DELETE', '/files/reports/2026/q3.pdf', { Authorization: token(['files:read']) });
    expect(response.status).toBe(200);
    expect(seen[0]).toMatchObject({ method: 'DELETE', url: '/files/reports/2026/q3.pdf' });
    expect(seen[0]!.headers).toMatchObject({ 'x-portcullis-auth-method': 'jwt', 'x-portcullis-client-id': 'shop-web', 'x-portcullis-scopes': 'files:read' });
  });

  it('no credential is 401, a credential without the scope is 403, and neither reaches the backend', async () => {
    expect((await gateway('GET', '/v1/orders')).status).toBe(401);
    const reader = await createLocalKey(local, { scopes: ['orders:read'] });
    const denied = await gateway('DELETE', '/v1/orders/o-17', { Authorization: reader.basic });
    expect(denied.status).toBe(403);
    expect(JSON.parse(denied.text).message).toBe('User is not authorized to access this resource');
    expect(seen).toEqual([]);
  });

  it('a path the API does not have is 403 Missing Authentication Token, as API Gateway answers', async () => {
    const response = await gateway('GET', '/v2/orders', { Authorization: token(['orders:read']) });
    expect(response.status).toBe(403);
    expect(JSON.parse(response.text).message).toBe('Missing Authentication Token');
    expect(seen).toEqual([]);
  });

  it('public operations (security: []) reach the backend without a credential and without context headers', async () => {
    const response = await gateway('GET', '/health', { 'X-Portcullis-Principal': 'forged' });
    expect(response.status).toBe(200);
    expect(Object.keys(seen[0]!.headers).filter((name) => name.startsWith('x-portcullis-'))).toEqual([]);
  });

  it('OPTIONS is answered as a CORS preflight without the authorizer', async () => {
    const response = await gateway('OPTIONS', '/v1/orders');
    expect(response.status).toBe(204);
    expect(response.headers['access-control-allow-methods']).toContain('POST');
    expect(seen).toEqual([]);
  });
});

describe('without --backend', () => {
  it('echoes the request and the authorizer context, as /whoami does', async () => {
    const options = parseStartArgs(['--manifest', FIXTURE]);
    const echoDir = tempDataDir();
    const echo = await startLocalMode({ ports: FREE_PORTS, memory: true, dataDir: echoDir, env: { POWERTOOLS_METRICS_DISABLED: 'true' }, logLevel: 'SILENT', api: options.api! });
    try {
      const jwt = `Bearer ${mintAccessToken(loadSigningKey(echo.paths)!, { issuer: echo.issuerUrl, audience: SAMPLE_AUDIENCE, clientId: 'shop-web', scopes: ['profile'] })}`;
      const response = await send(echo.gatewayUrl, 'GET', '/v1/me?x=1', { Authorization: jwt });
      expect(response.status).toBe(200);
      const body = JSON.parse(response.text);
      expect(body).toMatchObject({
        method: 'GET',
        path: '/v1/me',
        resource: '/v1/me',
        query: { x: ['1'] },
        authorizer: { principalId: expect.any(String), authMethod: 'jwt', clientId: 'shop-web' },
        contextHeaders: { 'X-Portcullis-Auth-Method': 'jwt', 'X-Portcullis-Client-Id': 'shop-web' },
      });
    } finally {
      await echo.stop();
      rmSync(echoDir, { recursive: true, force: true });
    }
  });
});

describe('npm start arguments', () => {
  it('bad arguments name the flag', () => {
    expect(() => parseStartArgs(['--backend', 'http://127.0.0.1:8080'])).toThrow(new StartUsageError('--issuers and --backend go with --manifest (your routes)'));
    expect(() => parseStartArgs(['--manifest', FIXTURE, '--backend', 'ftp://x'])).toThrow(/^--backend must be an http\(s\) URL/);
    expect(() => parseStartArgs(['--manifest', join(__dirname, 'absent.json')])).toThrow(/^--manifest: .*cannot read: ENOENT/);
  });
});
