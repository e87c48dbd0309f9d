/**
 * The key CLI against a deployed stack's parts: DynamoDB through dynalite (real protocol, faults injected at the
 * socket), the API Gateway control plane through aws-sdk-client-mock, asserting the calls made and the
 * compensation when a step fails.
 */
import {
  APIGatewayClient,
  CreateApiKeyCommand,
  CreateUsagePlanKeyCommand,
  DeleteApiKeyCommand,
  FlushStageAuthorizersCacheCommand,
  GetApiKeysCommand,
  UpdateApiKeyCommand,
} from '@aws-sdk/client-api-gateway';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KeyManager } from '../../cli/keys/key-manager';
import { STALE_AFTER_SECONDS, type CrashPoint } from '../../cli/keys/intents';
import { ApiGatewayUsageKeys } from '../../cli/keys/usage-keys';
import { apiKeyRecordFromItem, clientBindingFromItem, clientBindingItem, type Item } from '../../lambda/key-table-schema';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { startLocalDynamoDb, type LocalDynamoDb } from '../support/local-dynamodb';
import { startTcpFaultProxy, type TcpFaultProxy } from '../support/tcp-fault-proxy';
import { dynamoClient, manualClock, newKeyTable, scanAll } from './support';

const apiGateway = mockClient(APIGatewayClient);
const PLAN_IDS = { free: 'planfree1', pro: 'planpro01' };
const API_KEY_ID = 'k3yid0001';

let dynamo: LocalDynamoDb;
let tableName: string;

function serviceError(name: string, message = name): Error {
  const error = new Error(message);
  error.name = name;
  return Object.assign(error, { $fault: 'client', $metadata: { httpStatusCode: 400 } });
}

function manager(
  options: {
    restApiId?: string;
    stageName?: string;
    usagePlanIds?: Record<string, string>;
    dynamodb?: LocalDynamoDb['client'];
    holderIsGone?: () => boolean;
    nowSeconds?: () => number;
    checkpoint?: (point: CrashPoint) => void | Promise<void>;
    sleep?: (ms: number) => Promise<void>;
  } = {},
): KeyManager {
  return new KeyManager({
    dynamodb: options.dynamodb ?? dynamo.client,
    tableName,
    keyPrefix: 'ptc_live_',
    usageKeys: new ApiGatewayUsageKeys({
      client: new APIGatewayClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }),
      usagePlanIds: options.usagePlanIds ?? PLAN_IDS,
      restApiId: 'restapi01' in options ? options.restApiId : 'restapi01',
      stageName: 'stageName' in options ? options.stageName : 'prod',
    }),
    nowSeconds: options.nowSeconds ?? manualClock().nowSeconds,
    holderIsGone: options.holderIsGone,
    checkpoint: options.checkpoint,
    sleep: options.sleep,
  });
}

function inputsOf<T>(command: new (...args: never[]) => { input: T }): T[] {
  return apiGateway.commandCalls(command as never).map((call) => call.args[0].input as T);
}

beforeAll(async () => {
  dynamo = await startLocalDynamoDb();
});

afterAll(async () => {
  apiGateway.restore();
  await dynamo.stop();
});

beforeEach(async () => {
  tableName = await newKeyTable(dynamo);
  apiGateway.reset();
  apiGateway.on(CreateApiKeyCommand).resolves({ id: API_KEY_ID, enabled: true });
  apiGateway.on(CreateUsagePlanKeyCommand).resolves({ id: API_KEY_ID, type: 'API_KEY' });
  apiGateway.on(DeleteApiKeyCommand).resolves({});
  apiGateway.on(UpdateApiKeyCommand).resolves({ id: API_KEY_ID, enabled: false });
  apiGateway.on(FlushStageAuthorizersCacheCommand).resolves({});
  apiGateway.on(GetApiKeysCommand).resolves({ items: [] });
});

describe('create on AWS', () => {
  it('creates an enabled hidden API key named after the key id, adds it to the plan, and records its value and id', async () => {
    const issued = await manager().create({ owner: 'acme', scopes: ['items:read'], plan: 'pro' });

    const [createKey] = inputsOf(CreateApiKeyCommand);
    expect(createKey).toMatchObject({ name: issued.keyId, enabled: true });
    expect(createKey!.value).toMatch(/^[0-9A-Za-z]{40}$/);
    expect(inputsOf(CreateUsagePlanKeyCommand)).toEqual([{ usagePlanId: PLAN_IDS.pro, keyId: API_KEY_ID, keyType: 'API_KEY' }]);
    const [item] = await scanAll(dynamo.client, tableName);
    expect(apiKeyRecordFromItem(item as Item)).toMatchObject({ usageIdentifierKey: createKey!.value, usageKeyId: API_KEY_ID, plan: 'pro' });
    // The caller's secret never reaches API Gateway.
    expect(JSON.stringify(apiGateway.calls().map((call) => call.args[0].input))).not.toContain(issued.key);
    expect(inputsOf(DeleteApiKeyCommand)).toEqual([]);
  });

  it('deletes the API key again when adding it to the usage plan fails, and writes no record', async () => {
    apiGateway.on(CreateUsagePlanKeyCommand).rejects(serviceError('NotFoundException', 'Invalid Usage Plan ID specified'));

    const failure = await manager().create({ owner: 'acme', scopes: ['items:read'] }).catch((error: unknown) => error);

    expect(failure).toMatchObject({ exitCode: 1, message: expect.stringContaining('Invalid Usage Plan ID') });
    expect(inputsOf(DeleteApiKeyCommand)).toEqual([{ apiKey: API_KEY_ID }]);
    expect(await scanAll(dynamo.client, tableName)).toHaveLength(0);
  });

  it('names the orphaned API key and the command to delete it when the compensation fails too', async () => {
    apiGateway.on(CreateUsagePlanKeyCommand).rejects(serviceError('TooManyRequestsException'));
    apiGateway.on(DeleteApiKeyCommand).rejects(serviceError('AccessDeniedException'));

    const failure = await manager().create({ owner: 'acme', scopes: ['items:read'] }).catch((error: unknown) => error);

    expect((failure as Error).message).toContain(`aws apigateway delete-api-key --api-key ${API_KEY_ID}`);
    expect(await scanAll(dynamo.client, tableName)).toHaveLength(0);
  });

  it('explains the per-region API key quota when API Gateway answers LimitExceeded, and goes no further', async () => {
    apiGateway.on(CreateApiKeyCommand).rejects(serviceError('LimitExceededException', 'API Key limit exceeded'));

    const failure = await manager().create({ owner: 'acme', scopes: ['items:read'] }).catch((error: unknown) => error);

    expect(failure).toMatchObject({ code: 'api_key_quota_exceeded', exitCode: 1 });
    expect((failure as Error).message).toMatch(/10,000, which cannot be raised.*delete-api-key/s);
    expect(inputsOf(CreateUsagePlanKeyCommand)).toEqual([]);
    expect(await scanAll(dynamo.client, tableName)).toHaveLength(0);
  });

  it('leaves a pending record and the API key when DynamoDB fails at the commit; the next run deletes both, finding the key by name', async () => {
    const proxy: TcpFaultProxy = await startTcpFaultProxy(dynamo.port);
    const viaProxy = dynamoClient(`http://127.0.0.1:${proxy.port}`);
    try {
      // DynamoDB goes down right after the usage plan accepted the key: the commit may or may not have landed, so the
      // hidden key must stay until a later run can tell.
      apiGateway.on(CreateUsagePlanKeyCommand).callsFake(async () => {
        proxy.setMode({ kind: 'down' });
        return { id: API_KEY_ID };
      });

      const failure = await manager({ dynamodb: viaProxy }).create({ owner: 'acme', scopes: ['items:read'] }).catch((error: unknown) => error);

      expect(failure).toMatchObject({ exitCode: 1, message: expect.stringMatching(/DynamoDB UpdateItem \(complete the create\).*next keys command undoes it/s) });
      expect(inputsOf(DeleteApiKeyCommand)).toEqual([]);
      const [pending] = await scanAll(dynamo.client, tableName);
      expect(pending).toMatchObject({ status: { S: 'pending' }, keyId: { S: '~intent' } });
      expect(() => apiKeyRecordFromItem(pending as Item)).toThrow(/malformed/);
    } finally {
      viaProxy.destroy();
      await proxy.stop();
    }
    const [createKey] = inputsOf(CreateApiKeyCommand);
    apiGateway.on(GetApiKeysCommand).resolves({
      items: [
        { id: 'otherkey1', name: `${createKey!.name}-not-this-one`, value: 'x'.repeat(40) },
        { id: API_KEY_ID, name: createKey!.name, value: createKey!.value },
      ],
    });

    const report = await manager({ holderIsGone: () => true }).reconcile();

    expect(report.entries).toMatchObject([{ intent: { operation: 'create', subject: createKey!.name }, outcome: 'rolled_back' }]);
    expect(inputsOf(GetApiKeysCommand)).toEqual([{ nameQuery: createKey!.name, includeValues: true, limit: 500, position: undefined }]);
    expect(inputsOf(DeleteApiKeyCommand)).toEqual([{ apiKey: API_KEY_ID }]);
    expect(await scanAll(dynamo.client, tableName)).toHaveLength(0);
  });

  it('refuses a plan that has no usage plan id before calling anything', async () => {
    const failure = await manager({ usagePlanIds: { free: PLAN_IDS.free } })
      .create({ owner: 'acme', scopes: ['items:read'], plan: 'pro' })
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'missing_target', exitCode: 2, message: expect.stringContaining('plan pro') });
    expect(apiGateway.calls()).toHaveLength(0);
    expect(await scanAll(dynamo.client, tableName)).toHaveLength(0);
  });
});

describe('interrupted commands on AWS: the next run finds the hidden key by name and deletes it', () => {
  /** Never settles: the command stops at `point` for good, as a killed process would. */
  const freezeAt = (point: CrashPoint) => (reached: CrashPoint) => (reached === point ? new Promise<void>(() => {}) : undefined);

  async function until(condition: () => boolean): Promise<void> {
    for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 2));
    if (!condition()) throw new Error('condition not reached');
  }

  it('create killed after its usage key: GetApiKeys by the key id, DeleteApiKey of the exact match, record deleted', async () => {
    const clock = manualClock();
    void manager({ nowSeconds: clock.nowSeconds, checkpoint: freezeAt('create:usage-key-created') }).create({ owner: 'acme', scopes: ['items:read'] });
    await until(() => inputsOf(CreateUsagePlanKeyCommand).length === 1);
    const [createKey] = inputsOf(CreateApiKeyCommand);
    apiGateway.on(GetApiKeysCommand).resolves({
      items: [
        // A key whose name starts the same (nameQuery is not an exact match) and one with another value: not ours.
        { id: 'longer001', name: `${createKey!.name}x`, value: createKey!.value },
        { id: 'othervalu', name: createKey!.name, value: 'v'.repeat(40) },
        { id: API_KEY_ID, name: createKey!.name, value: createKey!.value },
      ],
    });

    // Another run on another host: the intent is stale once STALE_AFTER_SECONDS have passed.
    const other = manager({ nowSeconds: clock.nowSeconds, holderIsGone: () => false });
    expect(await other.reconcile()).toEqual({ entries: [], inProgress: 1 });
    expect(inputsOf(GetApiKeysCommand)).toEqual([]);
    clock.advance(STALE_AFTER_SECONDS);
    const report = await other.reconcile();

    expect(report.entries).toMatchObject([{ intent: { operation: 'create', subject: createKey!.name }, outcome: 'rolled_back' }]);
    expect(inputsOf(GetApiKeysCommand)).toEqual([{ nameQuery: createKey!.name, includeValues: true, limit: 500, position: undefined }]);
    expect(inputsOf(DeleteApiKeyCommand)).toEqual([{ apiKey: API_KEY_ID }]);
    expect(await scanAll(dynamo.client, tableName)).toEqual([]);
  });

  it('follows GetApiKeys pages', async () => {
    void manager({ checkpoint: freezeAt('create:usage-key-created') }).create({ owner: 'acme', scopes: ['items:read'] });
    await until(() => inputsOf(CreateUsagePlanKeyCommand).length === 1);
    const [createKey] = inputsOf(CreateApiKeyCommand);
    apiGateway
      .on(GetApiKeysCommand)
      .resolvesOnce({ items: [], position: 'page2' })
      .resolvesOnce({ items: [{ id: API_KEY_ID, name: createKey!.name, value: createKey!.value }] });

    await manager({ holderIsGone: () => true }).reconcile();

    expect(inputsOf(GetApiKeysCommand).map((input) => input.position)).toEqual([undefined, 'page2']);
    expect(inputsOf(DeleteApiKeyCommand)).toEqual([{ apiKey: API_KEY_ID }]);
  });

  it('keeps the intent, and says so, when the orphan cannot be deleted yet; a later run finishes', async () => {
    void manager({ checkpoint: freezeAt('create:usage-key-created') }).create({ owner: 'acme', scopes: ['items:read'] });
    await until(() => inputsOf(CreateUsagePlanKeyCommand).length === 1);
    const [createKey] = inputsOf(CreateApiKeyCommand);
    apiGateway.on(GetApiKeysCommand).resolves({ items: [{ id: API_KEY_ID, name: createKey!.name, value: createKey!.value }] });
    apiGateway.on(DeleteApiKeyCommand).rejectsOnce(serviceError('TooManyRequestsException')).resolves({});

    const first = await manager({ holderIsGone: () => true }).reconcile();
    expect(first.entries).toMatchObject([{ outcome: 'failed', reason: expect.stringContaining(`delete-api-key --api-key ${API_KEY_ID}`) }]);
    const [left] = await scanAll(dynamo.client, tableName);
    expect(left).toMatchObject({ status: { S: 'abandoned' } });
    expect(() => apiKeyRecordFromItem(left as Item)).toThrow(/malformed/);

    const second = await manager({ holderIsGone: () => true }).reconcile();
    expect(second.entries).toMatchObject([{ outcome: 'rolled_back' }]);
    expect(await scanAll(dynamo.client, tableName)).toEqual([]);
  });

  it('clients bind killed after its usage key: deletes only the new key, not the one of the previous plan (same name)', async () => {
    await manager().bindClient({ issuer: 'https://login.example.com/', clientId: 'svc-1', plan: 'free' });
    const [previous] = inputsOf(CreateApiKeyCommand);
    apiGateway.on(CreateApiKeyCommand).resolves({ id: 'newkey001' });
    void manager({ checkpoint: freezeAt('bind:usage-key-created') }).bindClient({ issuer: 'https://login.example.com/', clientId: 'svc-1', plan: 'pro' });
    await until(() => inputsOf(CreateUsagePlanKeyCommand).length === 2);
    const [, created] = inputsOf(CreateApiKeyCommand);
    apiGateway.on(GetApiKeysCommand).resolves({
      items: [
        { id: API_KEY_ID, name: 'client:svc-1', value: previous!.value },
        { id: 'newkey001', name: 'client:svc-1', value: created!.value },
      ],
    });

    const report = await manager({ holderIsGone: () => true }).reconcile();

    expect(report.entries).toMatchObject([{ intent: { operation: 'bind', subject: 'svc-1' }, outcome: 'rolled_back' }]);
    expect(inputsOf(GetApiKeysCommand)).toEqual([{ nameQuery: 'client:svc-1', includeValues: true, limit: 500, position: undefined }]);
    expect(inputsOf(DeleteApiKeyCommand)).toEqual([{ apiKey: 'newkey001' }]);
    const items = await scanAll(dynamo.client, tableName);
    expect(items.map((item) => clientBindingFromItem(item as Item))).toMatchObject([{ plan: 'free', usageIdentifierKey: previous!.value }]);
  });
});

describe('rotate on AWS', () => {
  it("keeps the hidden API key (so usage plan counters carry on); its only API Gateway call is the flush of the stage's authorizer cache", async () => {
    const keys = manager();
    const issued = await keys.create({ owner: 'acme', scopes: ['items:read'] });
    apiGateway.resetHistory();
    const rotated = await keys.rotate(issued.keyId);
    expect(apiGateway.calls().map((call) => call.args[0].constructor.name)).toEqual(['FlushStageAuthorizersCacheCommand']);
    expect(rotated.cacheFlush).toEqual({ flushed: true });
    expect(rotated.lateCacheFlush).toBeUndefined();
  });

  it('regression: rotate --grace 0s left the old secret to the gateway cache; it flushes at the commit, and again once the key cache has run out', async () => {
    const slept: number[] = [];
    const keys = manager({ sleep: async (ms: number) => void slept.push(ms) });
    const issued = await keys.create({ owner: 'acme', scopes: ['items:read'] });
    apiGateway.resetHistory();
    const rotated = await keys.rotate(issued.keyId, 0, undefined, { waitForKeyCacheSeconds: 30 });
    expect(apiGateway.commandCalls(FlushStageAuthorizersCacheCommand)).toHaveLength(2);
    expect(apiGateway.commandCalls(FlushStageAuthorizersCacheCommand)[0]!.args[0].input).toEqual({ restApiId: 'restapi01', stageName: 'prod' });
    expect(slept).toEqual([30_000]);
    expect(rotated.lateCacheFlush).toEqual({ flushed: true });
  });
});

describe('revoke on AWS', () => {
  it("disables the hidden API key and flushes the stage's authorizer cache", async () => {
    const keys = manager();
    const issued = await keys.create({ owner: 'acme', scopes: ['items:read'] });

    const result = await keys.revoke(issued.keyId);

    expect(result).toMatchObject({ usageKey: 'disabled', cacheFlush: { flushed: true } });
    expect(inputsOf(UpdateApiKeyCommand)).toEqual([
      { apiKey: API_KEY_ID, patchOperations: [{ op: 'replace', path: '/enabled', value: 'false' }] },
    ]);
    expect(inputsOf(FlushStageAuthorizersCacheCommand)).toEqual([{ restApiId: 'restapi01', stageName: 'prod' }]);
  });

  it('still revokes, and says why, when the stage is unknown and the cache cannot be flushed', async () => {
    const keys = manager({ restApiId: undefined, stageName: undefined });
    const issued = await keys.create({ owner: 'acme', scopes: ['items:read'] });

    const result = await keys.revoke(issued.keyId);

    expect(result.cacheFlush).toEqual({ flushed: false, reason: expect.stringContaining('--rest-api-id') });
    expect(inputsOf(FlushStageAuthorizersCacheCommand)).toEqual([]);
    expect(result.usageKey).toBe('disabled');
    expect((await keys.show(issued.keyId)).status).toBe('revoked');
  });

  it('turns a failed flush into a warning, not a failure', async () => {
    apiGateway.on(FlushStageAuthorizersCacheCommand).rejects(serviceError('AccessDeniedException'));
    const keys = manager();
    const issued = await keys.create({ owner: 'acme', scopes: ['items:read'] });
    const result = await keys.revoke(issued.keyId);
    expect(result.cacheFlush).toEqual({ flushed: false, reason: expect.stringContaining('AccessDeniedException') });
  });

  it('fails with exit code 1 when the hidden key cannot be disabled, and a repeated revoke finishes the job', async () => {
    const keys = manager();
    const issued = await keys.create({ owner: 'acme', scopes: ['items:read'] });
    apiGateway.on(UpdateApiKeyCommand).rejectsOnce(serviceError('TooManyRequestsException'));

    const failure = await keys.revoke(issued.keyId).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'incomplete', exitCode: 1, message: expect.stringContaining('run "revoke') });
    expect((await keys.show(issued.keyId)).status).toBe('revoked');

    const again = await keys.revoke(issued.keyId);
    expect(again).toMatchObject({ alreadyRevoked: true, usageKey: 'disabled' });
    expect(inputsOf(UpdateApiKeyCommand)).toHaveLength(2);
  });

  it('reports a hidden key deleted by hand as not found instead of failing', async () => {
    apiGateway.on(UpdateApiKeyCommand).rejects(serviceError('NotFoundException'));
    const keys = manager();
    const issued = await keys.create({ owner: 'acme', scopes: ['items:read'] });
    expect((await keys.revoke(issued.keyId)).usageKey).toBe('not_found');
  });
});

describe('clients bind on AWS', () => {
  it('creates a hidden API key for the client in the plan and stores its value in the binding', async () => {
    const result = await manager().bindClient({ issuer: 'https://login.example.com/', clientId: 'svc-1', plan: 'free' });

    expect(result.outcome).toBe('created');
    const [createKey] = inputsOf(CreateApiKeyCommand);
    expect(createKey).toMatchObject({ name: 'client:svc-1', enabled: true });
    expect(inputsOf(CreateUsagePlanKeyCommand)).toEqual([{ usagePlanId: PLAN_IDS.free, keyId: API_KEY_ID, keyType: 'API_KEY' }]);
    const [item] = await scanAll(dynamo.client, tableName);
    expect(clientBindingFromItem(item as Item)).toMatchObject({ plan: 'free', usageIdentifierKey: createKey!.value, usageKeyId: API_KEY_ID });
  });

  it('removes the new hidden key again when the binding changed meanwhile', async () => {
    const keys = manager();
    await keys.bindClient({ issuer: 'https://login.example.com/', clientId: 'svc-1', plan: 'free' });
    // Someone else moves the client to pro while this call creates its key.
    apiGateway.on(CreateApiKeyCommand).resolves({ id: 'mine00001' });
    apiGateway.on(CreateUsagePlanKeyCommand).callsFake(async () => {
      await dynamo.client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: clientBindingItem({
            issuer: 'https://login.example.com/',
            clientId: 'svc-1',
            plan: 'pro',
            usageIdentifierKey: 'someone-elses-usage-key-000000000000',
            createdAt: 1,
          }) as never,
        }),
      );
      return { id: 'mine00001' };
    });

    const failure = await keys.bindClient({ issuer: 'https://login.example.com/', clientId: 'svc-1', plan: 'pro' }).catch((error: unknown) => error);

    expect(failure).toMatchObject({ code: 'concurrent_change', exitCode: 1 });
    expect(inputsOf(DeleteApiKeyCommand)).toEqual([{ apiKey: 'mine00001' }]);
    const [item] = await scanAll(dynamo.client, tableName);
    expect(clientBindingFromItem(item as Item).usageIdentifierKey).toBe('someone-elses-usage-key-000000000000');
  });
});
