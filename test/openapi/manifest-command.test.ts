/**
 * `manifest from-openapi` and `manifest from-api` (GetExport through the fake control plane).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runManifestCli } from '../../cli/manifest/main';
import { FakeApiGateway } from '../attach/fake-api-gateway';
import { clientsFor, fakeClock, tempDir } from '../attach/support';
import type { LocalDynamoDb } from '../support/local-dynamodb';

const FIXTURE = join(__dirname, 'fixtures', 'orders-api.yaml');
const files = tempDir();
afterAll(() => files.remove());

// from-api touches no table: a client factory whose DynamoDB endpoint is never used.
const clients = clientsFor({ endpoint: 'http://127.0.0.1:9' } as LocalDynamoDb);

async function run(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runManifestCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), clients, clock: fakeClock() });
  return { code, stdout, stderr };
}

describe('manifest from-openapi', () => {
  it('prints the manifest on stdout and the public operations on stderr', async () => {
    const result = await run(['from-openapi', FIXTURE]);
    expect(result.code).toBe(0);
    const manifest = JSON.parse(result.stdout);
    expect(manifest.routes).toHaveLength(7);
    expect(manifest.routes[1]).toEqual({ method: 'POST', path: '/v1/orders', anyOf: [['orders:write'], ['shop-api/orders.write']], metered: true });
    expect(result.stderr).toContain('OpenAPI 3.0.1: 7 protected route(s)');
    expect(result.stderr).toContain('Public (left out of the authorizer): GET /health [security: []], GET /v1/catalog [security: []]');
    expect(result.stderr).toContain('OPTIONS (CORS preflight, never authorized): /v1/catalog, /v1/orders');
  });

  it('--out writes the file', async () => {
    const out = join(files.dir, 'routes.json');
    const result = await run(['from-openapi', FIXTURE, '--out', out]);
    expect(result.code).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8')).publicRoutes).toHaveLength(2);
  });

  it('a bad spec is exit 2 with the path and operation named', async () => {
    const spec = files.file('bad.json', {
      openapi: '3.0.3',
      info: { title: 't', version: '1' },
      paths: { '/x': { get: { operationId: 'getX', security: [{ nope: [] }] } } },
    });
    const result = await run(['from-openapi', spec]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`error: ${spec}: GET /x (operationId getX): unknown security scheme "nope" (defined: none)\n`);
    expect(result.stdout).toBe('');
  });

  it('a missing file and an unknown command are exit 2', async () => {
    expect((await run(['from-openapi', join(files.dir, 'absent.yaml')])).stderr).toContain('cannot read: ENOENT');
    expect((await run(['from-graphql'])).code).toBe(2);
  });
});

describe('manifest from-api', () => {
  let fake: FakeApiGateway;
  beforeEach(() => {
    fake = new FakeApiGateway(() => Date.now());
  });
  afterEach(() => fake.restore());

  it('converts the stage export (oas30 with extensions): Cognito scopes, API keys as metered, custom authorizers without scopes', async () => {
    fake.addResource('/health', { GET: {}, OPTIONS: {} });
    fake.addResource('/orders', { GET: { authorizationType: 'COGNITO_USER_POOLS', authorizerId: 'cog123', authorizationScopes: ['orders/read'] } });
    fake.addResource('/orders/{orderId}', { PUT: { authorizationType: 'COGNITO_USER_POOLS', authorizerId: 'cog123', authorizationScopes: ['orders/write'], apiKeyRequired: true } });
    fake.addResource('/files/{proxy+}', { ANY: { authorizationType: 'CUSTOM', authorizerId: fake.authorizerId } });
    const result = await run(['from-api', '--rest-api-id', fake.restApiId, '--stage', 'prod']);
    expect(result.stderr).toContain('warning: GetExport k3x9q2w7ab/prod: ANY /files/{proxy+}: its security schemes carry no scopes');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      routes: [
        { method: 'GET', path: '/orders', scopes: ['orders/read'] },
        { method: 'PUT', path: '/orders/{orderId}', scopes: ['orders/write'], metered: true },
        { method: 'ANY', path: '/files/{proxy+}', scopes: [] },
      ],
      publicRoutes: [{ method: 'GET', path: '/health', reason: 'no security' }],
    });
    const exportCall = fake.stub.commandCalls((await import('@aws-sdk/client-api-gateway')).GetExportCommand)[0]!.args[0].input;
    expect(exportCall).toMatchObject({ exportType: 'oas30', parameters: { extensions: 'apigateway' }, stageName: 'prod' });
  });

  it('an unknown stage (NotFoundException) is exit 2', async () => {
    const result = await run(['from-api', '--rest-api-id', fake.restApiId, '--stage', 'staging']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('not found (a stage exists once deployed)');
  });
});
