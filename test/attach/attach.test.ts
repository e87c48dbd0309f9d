/**
 * `attach plan|apply|check|detach` against the fake API Gateway control plane and a real key table (dynalite).
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startLocalDynamoDb, type LocalDynamoDb } from '../support/local-dynamodb';
import { newKeyTable } from '../cli/support';
import { badRequest, conflict, FakeApiGateway, tooManyRequests } from './fake-api-gateway';
import { fakeClock, runAttach, storedRecord, tempDir, type FakeClock } from './support';

let dynamo: LocalDynamoDb;
let files: ReturnType<typeof tempDir>;
beforeAll(async () => {
  dynamo = await startLocalDynamoDb();
  files = tempDir();
});
afterAll(async () => {
  await dynamo.stop();
  files.remove();
});

let fake: FakeApiGateway;
let clock: FakeClock;
let table: string;
beforeEach(async () => {
  clock = fakeClock();
  fake = new FakeApiGateway(clock.now);
  table = await newKeyTable(dynamo);
});
afterEach(() => fake.restore());

const MANIFEST = {
  routes: [
    { method: 'GET', path: '/items', scopes: ['items:read'], metered: true },
    { method: 'POST', path: '/items', scopes: ['items:write'], metered: true },
    { method: 'DELETE', path: '/items/{id}', scopes: ['items:admin'] },
    { method: 'GET', path: '/admin', scopes: ['admin'] },
  ],
};

/** An API like one built in the console: public health, IAM and Cognito methods, CORS preflights. */
function shopApi(): void {
  fake.addResource('/health', { GET: {} });
  fake.addResource('/items', { GET: {}, POST: {}, OPTIONS: {} });
  fake.addResource('/items/{id}', { DELETE: { authorizationType: 'AWS_IAM' }, GET: {} });
  fake.addResource('/admin', { GET: { authorizationType: 'COGNITO_USER_POOLS', authorizerId: 'cog123', authorizationScopes: ['admin'] } });
}

const WRITES = ['UpdateMethod', 'UpdateRestApi', 'PutGatewayResponse', 'DeleteGatewayResponse', 'CreateDeployment'];
const writes = () => Object.fromEntries(WRITES.map((op) => [op, fake.count(op)]));
const NO_WRITES = Object.fromEntries(WRITES.map((op) => [op, 0]));

function target(extra: string[] = []): string[] {
  return ['--rest-api-id', fake.restApiId, '--authorizer-id', fake.authorizerId, '--stage', fake.stageName, '--table', table, ...extra];
}

const attach = (argv: string[]) => runAttach(argv, { dynamo, clock });

describe('attach plan', () => {
  it('lists every method it would change from what to what, the key source, gateway responses, OPTIONS untouched', async () => {
    shopApi();
    const manifest = files.file('plan.json', MANIFEST);
    const result = await attach(['plan', '--manifest', manifest, ...target()]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines).toContain('Methods to change (4):');
    expect(lines.find((l) => /^\s+GET\s+\/items\s/.test(l))).toMatch(/NONE\s+CUSTOM x1y2z3, API key required$/);
    expect(lines.find((l) => /^\s+DELETE\s+\/items\/\{id\}/.test(l))).toMatch(/AWS_IAM\s+CUSTOM x1y2z3$/);
    expect(lines.find((l) => /^\s+GET\s+\/admin/.test(l))).toMatch(/COGNITO_USER_POOLS cog123\s+CUSTOM x1y2z3$/);
    expect(result.stdout).toContain('API key source: HEADER -> AUTHORIZER');
    expect(result.stdout).toContain('Gateway responses to install (10): UNAUTHORIZED 401, ACCESS_DENIED 403,');
    expect(result.stdout).toContain('OPTIONS methods, never touched (1): OPTIONS /items');
    expect(result.stdout).toContain('Not in the manifest, left as they are (2): GET /health [NONE], GET /items/{id} [NONE]');
    expect(writes()).toEqual(NO_WRITES);
  });

  it('--json gives the same plan for scripts', async () => {
    shopApi();
    const result = await attach(['--manifest', files.file('json.json', MANIFEST), '--json', ...target()]);
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout);
    expect(plan.inSync).toBe(false);
    expect(plan.methodChanges).toContainEqual({
      method: 'POST',
      path: '/items',
      resourceId: expect.any(String),
      from: { authorizationType: 'NONE', apiKeyRequired: false },
      to: { authorizationType: 'CUSTOM', authorizerId: 'x1y2z3', apiKeyRequired: true },
    });
    expect(plan.keySource).toEqual({ current: 'HEADER', desired: 'AUTHORIZER', change: true });
    expect(plan.gatewayResponses).toHaveLength(10);
    expect(plan.optionsMethods).toEqual([{ method: 'OPTIONS', path: '/items' }]);
    expect(plan.errors).toEqual({ missing: [], drift: [] });
  });

  it('a manifest route the API lacks and a method on the authorizer the manifest lacks are errors (exit 1)', async () => {
    shopApi();
    fake.addResource('/legacy', { GET: { authorizationType: 'CUSTOM', authorizerId: fake.authorizerId } });
    const manifest = files.file('errors.json', {
      routes: [...MANIFEST.routes, { method: 'GET', path: '/orders', scopes: [] }, { method: 'PUT', path: '/items/{itemId}', scopes: [] }],
    });
    const result = await attach(['plan', '--manifest', manifest, ...target()]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('missing: GET /orders: no resource /orders in the API');
    expect(result.stdout).toContain("missing: PUT /items/{itemId}: the API names this resource /items/{id}: the manifest must use the API's template");
    expect(result.stdout).toContain('drift: GET /legacy uses the authorizer but is not in the manifest');
    const check = await attach(['check', '--manifest', manifest, ...target()]);
    expect(check.code).toBe(1);
    const apply = await attach(['apply', '--manifest', manifest, ...target()]);
    expect(apply.code).toBe(1);
    expect(apply.stderr).toContain('nothing was changed');
    expect(writes()).toEqual(NO_WRITES);
  });

  it('takes the manifest from an OpenAPI file', async () => {
    fake.addResource('/v1/orders', { GET: {} });
    const spec = files.file('spec.yaml', [
      'openapi: 3.0.1',
      'info: {title: t, version: "1"}',
      'components: {securitySchemes: {oauth: {type: oauth2, flows: {clientCredentials: {tokenUrl: "https://idp.example/t", scopes: {}}}}}}',
      'paths:',
      '  /v1/orders:',
      '    get: {security: [{oauth: [orders:read]}]}',
      '',
    ].join('\n'));
    const result = await attach(['plan', '--manifest', spec, '--json', ...target()]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).methodChanges.map((c: { method: string; path: string }) => `${c.method} ${c.path}`)).toEqual(['GET /v1/orders']);
  });
});

describe('attach apply', () => {
  it('makes exactly the plan, deploys once, and a second apply changes nothing', async () => {
    shopApi();
    const manifest = files.file('apply.json', MANIFEST);
    const before = fake.authorizations();
    const first = await attach(['apply', '--manifest', manifest, ...target()]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('Applied: 4 method(s) changed, key source set to AUTHORIZER, 10 gateway response(s) installed, deployed (dep001)');
    expect(fake.authorizations()).toEqual({
      ...before,
      'GET /items': 'CUSTOM x1y2z3 key',
      'POST /items': 'CUSTOM x1y2z3 key',
      'DELETE /items/{id}': 'CUSTOM x1y2z3',
      'GET /admin': 'CUSTOM x1y2z3',
    });
    expect(fake.apiKeySource).toBe('AUTHORIZER');
    expect(fake.gatewayResponse('UNAUTHORIZED')).toMatchObject({ statusCode: '401', defaultResponse: false });
    expect(fake.deployments).toHaveLength(1);
    expect(fake.deployments[0]!.methods['GET /items']).toBe('CUSTOM x1y2z3 key');
    expect(writes()).toEqual({ UpdateMethod: 4, UpdateRestApi: 1, PutGatewayResponse: 10, DeleteGatewayResponse: 0, CreateDeployment: 1 });

    const second = await attach(['apply', '--manifest', manifest, ...target()]);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('Applied: 0 method(s) changed, 0 gateway response(s) installed, nothing to deploy');
    expect(writes()).toEqual({ UpdateMethod: 4, UpdateRestApi: 1, PutGatewayResponse: 10, DeleteGatewayResponse: 0, CreateDeployment: 1 });
    expect((await attach(['check', '--manifest', manifest, ...target()])).code).toBe(0);
  });

  it('records what each method had before in the key table, under attach#<restApiId>', async () => {
    shopApi();
    await attach(['apply', '--manifest', files.file('record.json', MANIFEST), ...target()]);
    const record = await storedRecord(dynamo, table, fake.restApiId);
    expect(record).toMatchObject({
      type: 'attachState',
      authorizerId: 'x1y2z3',
      keySource: 'HEADER',
      methods: {
        'GET /items': { authorizationType: 'NONE', apiKeyRequired: false },
        'DELETE /items/{id}': { authorizationType: 'AWS_IAM', apiKeyRequired: false },
        'GET /admin': { authorizationType: 'COGNITO_USER_POOLS', authorizerId: 'cog123', authorizationScopes: ['admin'] },
      },
    });
    expect(record).not.toHaveProperty('pendingDeployment');
    expect(Object.keys(record!.gatewayResponses as object)).toHaveLength(10);
  });

  it('pages through an API of 300 resources and paces the calls under the fixed quotas', async () => {
    const routes = [];
    for (let i = 0; i < 300; i++) {
      fake.addResource(`/r${i}`, { GET: {} });
      routes.push({ method: 'GET', path: `/r${i}`, scopes: ['read'] });
    }
    const manifest = files.file('big.json', { routes });
    const result = await attach(['apply', '--manifest', manifest, '--keep-gateway-responses', ...target()]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(fake.count('GetResources')).toBe(4); // 301 resources (the root too), 100 a page
    expect(fake.count('UpdateMethod')).toBe(300);
    expect(fake.methodsReferencing(fake.authorizerId)).toHaveLength(300);
    // "Other operations": 10 per second per account; UpdateMethod calls were spaced at least 100 ms apart.
    expect(clock.slept).toBeGreaterThanOrEqual(299 * 100);
    const check = await attach(['check', '--manifest', manifest, '--keep-gateway-responses', ...target()]);
    expect(check.code).toBe(0);
  });

  it('retries TooManyRequestsException (honouring retryAfterSeconds) and ConflictException, then completes', async () => {
    shopApi();
    fake.inject('UpdateMethod', (call) => (call === 2 || call === 3 ? tooManyRequests('2') : undefined));
    fake.inject('CreateDeployment', (call) => (call === 1 ? conflict() : undefined));
    fake.inject('GetResources', (call) => (call === 1 ? tooManyRequests() : undefined));
    const result = await attach(['apply', '--manifest', files.file('retry.json', MANIFEST), ...target()]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('UpdateMethod: TooManyRequestsException, retrying in 2.0 s');
    expect(result.stderr).toContain('CreateDeployment: ConflictException, retrying in');
    expect(fake.methodsReferencing(fake.authorizerId)).toHaveLength(4);
    expect(fake.deployments).toHaveLength(1);
  });

  it('gives up after the retry budget with exit 1, and the rerun completes', async () => {
    shopApi();
    fake.inject('UpdateMethod', () => tooManyRequests());
    const manifest = files.file('budget.json', MANIFEST);
    const result = await attach(['apply', '--manifest', manifest, ...target()]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('UpdateMethod (GET /items) still failed after 8 attempts: TooManyRequestsException');
    fake.clearFaults();
    expect((await attach(['apply', '--manifest', manifest, ...target()])).code).toBe(0);
    expect(fake.methodsReferencing(fake.authorizerId)).toHaveLength(4);
  });

  it('a failure after k UpdateMethod calls leaves a state the rerun completes, and detach still restores the originals', async () => {
    shopApi();
    const original = fake.authorizations();
    const manifest = files.file('partial.json', MANIFEST);
    fake.inject('UpdateMethod', (call) => (call > 2 ? badRequest('Internal error injected') : undefined));
    const failed = await attach(['apply', '--manifest', manifest, ...target()]);
    expect(failed.code).toBe(1);
    expect(fake.methodsReferencing(fake.authorizerId)).toHaveLength(2);
    expect(fake.deployments).toHaveLength(0);
    expect(await storedRecord(dynamo, table, fake.restApiId)).toMatchObject({ pendingDeployment: 'prod' });

    fake.clearFaults();
    const rerun = await attach(['apply', '--manifest', manifest, ...target()]);
    expect(rerun.code).toBe(0);
    expect(rerun.stdout).toContain('Applied: 2 method(s) changed');
    expect(fake.methodsReferencing(fake.authorizerId)).toHaveLength(4);
    expect(fake.deployments).toHaveLength(1);

    const detach = await attach(['detach', ...target()]);
    expect(detach.code).toBe(0);
    expect(fake.authorizations()).toEqual(original);
  });

  it.each([0, 1, 3])('stopped after %i UpdateMethod calls: the rerun completes, deploys once, and detach restores the originals', async (k) => {
    shopApi();
    const original = fake.authorizations();
    const manifest = files.file(`stop-${k}.json`, MANIFEST);
    fake.inject('UpdateMethod', (call) => (call > k ? badRequest('injected: the process died here') : undefined));
    expect((await attach(['apply', '--manifest', manifest, ...target()])).code).toBe(1);
    expect(fake.methodsReferencing(fake.authorizerId)).toHaveLength(k);
    fake.clearFaults();
    expect((await attach(['apply', '--manifest', manifest, ...target()])).code).toBe(0);
    expect(fake.deployments).toHaveLength(1);
    expect((await attach(['check', '--manifest', manifest, ...target()])).code).toBe(0);
    clock.sleep(6000);
    expect((await attach(['detach', ...target()])).code).toBe(0);
    expect(fake.authorizations()).toEqual(original);
  });

  it('a crash after the changes but before the deployment is completed by a rerun that only deploys', async () => {
    shopApi();
    const manifest = files.file('crash.json', MANIFEST);
    fake.inject('CreateDeployment', () => badRequest('injected: the process died here'));
    expect((await attach(['apply', '--manifest', manifest, ...target()])).code).toBe(1);
    expect(fake.deployments).toHaveLength(0);
    // The API now matches the manifest, but the stage still serves the old deployment.
    fake.clearFaults();
    const rerun = await attach(['apply', '--manifest', manifest, ...target()]);
    expect(rerun.code).toBe(0);
    expect(rerun.stdout).toContain('Applied: 0 method(s) changed, 0 gateway response(s) installed, deployed (dep001)');
    expect(fake.deployments).toHaveLength(1);
    expect(fake.deployments[0]!.methods['POST /items']).toBe('CUSTOM x1y2z3 key');
  });

  it('keeps the first "before" when a rerun sees methods a stopped run already changed', async () => {
    shopApi();
    const manifest = files.file('keep-before.json', MANIFEST);
    fake.inject('UpdateMethod', (call) => (call === 4 ? badRequest('injected') : undefined));
    await attach(['apply', '--manifest', manifest, ...target()]);
    fake.clearFaults();
    await attach(['apply', '--manifest', manifest, ...target()]);
    const record = await storedRecord(dynamo, table, fake.restApiId);
    expect((record!.methods as Record<string, unknown>)['DELETE /items/{id}']).toMatchObject({ authorizationType: 'AWS_IAM' });
  });
});

describe('detach', () => {
  it('restores every method, the key source and the gateway responses, redeploys, and leaves no reference to the authorizer', async () => {
    shopApi();
    const original = fake.authorizations();
    const manifest = files.file('detach.json', MANIFEST);
    await attach(['apply', '--manifest', manifest, ...target()]);
    clock.sleep(6000);
    const result = await attach(['detach', ...target()]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Detached: 4 method(s) restored, key source restored, 10 gateway response(s) restored, deployed (dep002)');
    expect(fake.authorizations()).toEqual(original);
    expect(fake.method('GET', '/admin')).toMatchObject({ authorizationType: 'COGNITO_USER_POOLS', authorizerId: 'cog123', authorizationScopes: ['admin'] });
    expect(fake.apiKeySource).toBe('HEADER');
    expect(fake.gatewayResponse('UNAUTHORIZED')).toMatchObject({ defaultResponse: true });
    // What `cdk destroy` needs: API Gateway deletes an authorizer only when no method references it.
    expect(fake.methodsReferencing(fake.authorizerId)).toEqual([]);
    expect(fake.deployments.at(-1)!.methods['GET /items']).toBe('NONE');
    expect(await storedRecord(dynamo, table, fake.restApiId)).toBeUndefined();

    const again = await attach(['detach', ...target()]);
    expect(again.code).toBe(0);
    expect(fake.deployments).toHaveLength(2);
  });

  it('refuses methods attached by hand (no record) unless told what they become', async () => {
    fake.addResource('/hand', { GET: { authorizationType: 'CUSTOM', authorizerId: fake.authorizerId } });
    const refused = await attach(['detach', ...target()]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('GET /hand');
    expect(fake.methodsReferencing(fake.authorizerId)).toEqual(['GET /hand']);
    const forced = await attach(['detach', '--unrecorded-as', 'AWS_IAM', ...target()]);
    expect(forced.code).toBe(0);
    expect(fake.method('GET', '/hand')).toMatchObject({ authorizationType: 'AWS_IAM' });
    expect(fake.methodsReferencing(fake.authorizerId)).toEqual([]);
  });

  it('a detach stopped part-way is completed by a rerun', async () => {
    shopApi();
    const original = fake.authorizations();
    await attach(['apply', '--manifest', files.file('detach-partial.json', MANIFEST), ...target()]);
    clock.sleep(6000);
    fake.inject('UpdateMethod', (call) => (call === 6 ? badRequest('injected') : undefined));
    expect((await attach(['detach', ...target()])).code).toBe(1);
    fake.clearFaults();
    expect((await attach(['detach', ...target()])).code).toBe(0);
    expect(fake.authorizations()).toEqual(original);
    expect(fake.methodsReferencing(fake.authorizerId)).toEqual([]);
  });
});

describe('targets and input errors (exit 2)', () => {
  it('an unknown REST API (NotFoundException) names the flag to check', async () => {
    const result = await attach(['plan', '--manifest', files.file('nf.json', MANIFEST), ...target(['--rest-api-id', 'zzzzzzzzzz'])]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('REST API zzzzzzzzzz not found in this account and region');
  });

  it('an unknown authorizer or stage', async () => {
    const manifest = files.file('nf2.json', MANIFEST);
    const noAuthorizer = await attach(['plan', '--manifest', manifest, ...target(['--authorizer-id', 'aaaaaa'])]);
    expect(noAuthorizer.code).toBe(2);
    expect(noAuthorizer.stderr).toContain('authorizer aaaaaa not found on API k3x9q2w7ab');
    const noStage = await attach(['plan', '--manifest', manifest, ...target(['--stage', 'dev'])]);
    expect(noStage.code).toBe(2);
    expect(noStage.stderr).toContain('stage dev not found');
  });

  it('a bad manifest, a missing --manifest, --local and an unknown command', async () => {
    expect((await attach(['plan', '--manifest', files.file('bad.json', { routes: [{ method: 'GET', path: 'x' }] }), ...target()])).code).toBe(2);
    expect((await attach(['plan', ...target()])).stderr).toContain('plan needs --manifest FILE');
    const local = await attach(['plan', '--local', '--manifest', files.file('l.json', MANIFEST)]);
    expect(local.code).toBe(2);
    expect(local.stderr).toContain('npm start -- --manifest');
    expect((await attach(['frobnicate'])).code).toBe(2);
  });

  it('apply without a key table says where the record would go', async () => {
    shopApi();
    const result = await attach(['apply', '--manifest', files.file('nt.json', MANIFEST), '--rest-api-id', fake.restApiId, '--authorizer-id', fake.authorizerId, '--stage', 'prod']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('pass --table');
    expect(writes()).toEqual(NO_WRITES);
  });

  it('an access failure of the control plane is exit 1', async () => {
    fake.inject('GetRestApi', () => Object.assign(new Error('User is not authorized to perform: apigateway:GET'), { name: 'AccessDeniedException' }));
    const result = await attach(['plan', '--manifest', files.file('ad.json', MANIFEST), ...target()]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('error: GetRestApi (k3x9q2w7ab) failed: AccessDeniedException: User is not authorized to perform: apigateway:GET\n');
  });
});

describe('detach --dry-run', () => {
  it('prints what detach would restore and changes nothing', async () => {
    shopApi();
    await attach(['apply', '--manifest', files.file('dry.json', MANIFEST), ...target()]);
    const before = writes();
    const result = await attach(['detach', '--dry-run', ...target()]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Methods to restore (4):');
    expect(result.stdout.split('\n').find((l) => /^\s+DELETE\s+\/items\/\{id\}/.test(l))).toMatch(/CUSTOM x1y2z3\s+AWS_IAM$/);
    expect(result.stdout).toContain('API key source: AUTHORIZER -> HEADER');
    expect(writes()).toEqual(before);
  });
});

describe('quotas across runs', () => {
  it('a detach right after an apply waits out the 5 s CreateDeployment quota instead of failing', async () => {
    shopApi();
    await attach(['apply', '--manifest', files.file('quota.json', MANIFEST), ...target()]);
    const result = await attach(['detach', ...target()]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('CreateDeployment: TooManyRequestsException, retrying in 5.0 s\n');
    expect(fake.deployments.map((d) => d.id)).toEqual(['dep001', 'dep002']);
    expect(fake.deployments[1]!.at - fake.deployments[0]!.at).toBeGreaterThanOrEqual(5000);
  });
});

describe('the existing-API stack as the target', () => {
  const cloudFormation = mockClient(CloudFormationClient);
  afterAll(() => cloudFormation.restore());

  it('reads RestApiId, AuthorizerId, StageName and KeyTableName from the stack outputs', async () => {
    shopApi();
    cloudFormation.on(DescribeStacksCommand, { StackName: 'PortcullisExistingApi' }).resolves({
      Stacks: [
        {
          StackName: 'PortcullisExistingApi',
          StackStatus: 'CREATE_COMPLETE',
          CreationTime: new Date(),
          Outputs: [
            { OutputKey: 'RestApiId', OutputValue: fake.restApiId },
            { OutputKey: 'AuthorizerId', OutputValue: fake.authorizerId },
            { OutputKey: 'StageName', OutputValue: fake.stageName },
            { OutputKey: 'KeyTableName', OutputValue: table },
          ],
        },
      ],
    });
    const result = await attach(['apply', '--manifest', files.file('stack.json', MANIFEST)]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(fake.methodsReferencing(fake.authorizerId)).toHaveLength(4);
    expect(await storedRecord(dynamo, table, fake.restApiId)).toMatchObject({ authorizerId: fake.authorizerId });
  });
});
