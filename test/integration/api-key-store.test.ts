/**
 * API keys against a real DynamoDB protocol (dynalite), with faults injected at the socket by a TCP proxy:
 * read and write budgets, revocation bounds, and a store that is down, slow or back.
 */
import { GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateApiKey, hashApiKey } from '../../lambda/api-key-format';
import { apiKeyPartitionKey, clientBindingItem } from '../../lambda/key-table-schema';
import { createHarness, gatewayStatus, requestEvent, storeApiKey, type Harness } from '../support/authorizer-harness';
import { startJwksServer, type JwksServer } from '../support/jwks-server';
import { startLocalDynamoDb, type LocalDynamoDb } from '../support/local-dynamodb';
import { startTcpFaultProxy, type TcpFaultProxy } from '../support/tcp-fault-proxy';
import { generateSigningKey, signJwt } from '../../local/jwt-signer';

let dynamo: LocalDynamoDb;
let proxy: TcpFaultProxy;
let clock: number;
let harness: Harness;

const keyEvent = (key: string) => requestEvent({ authorization: `ApiKey ${key}` });

function build(env: Record<string, string> = {}): Harness {
  return createHarness({
    dynamo,
    dynamoEndpoint: `http://127.0.0.1:${proxy.port}`,
    nowMs: () => clock,
    env: { DYNAMODB_TIMEOUT_MS: '300', DYNAMODB_CONNECT_TIMEOUT_MS: '300', ...env },
  });
}

beforeEach(async () => {
  dynamo = await startLocalDynamoDb();
  proxy = await startTcpFaultProxy(dynamo.port);
  clock = Date.now();
  harness = build();
});

afterEach(async () => {
  await harness.deps.apiKeys?.flush();
  await proxy.stop();
  await dynamo.stop();
});

describe('Read and write budgets', () => {
  it('reads a key at most once per KEY_CACHE_TTL per container, even under a burst', async () => {
    const { key } = await storeApiKey(dynamo);
    const results = await Promise.all(Array.from({ length: 20 }, () => gatewayStatus(harness, keyEvent(key))));
    expect(results.every((code) => code === 200)).toBe(true);
    for (let i = 0; i < 20; i++) expect(await gatewayStatus(harness, keyEvent(key))).toBe(200);
    expect(dynamo.count('GetItem')).toBe(1);
    clock += 30_000;
    expect(await gatewayStatus(harness, keyEvent(key))).toBe(200);
    expect(dynamo.count('GetItem')).toBe(2);
  });

  it('reads an unknown key at most once per KEY_NEGATIVE_CACHE_TTL', async () => {
    // Well-formed (right prefix and checksum) but not in the table.
    const stranger = generateApiKey('ptc_test_');
    for (let i = 0; i < 10; i++) expect(await gatewayStatus(harness, keyEvent(stranger))).toBe(401);
    expect(dynamo.count('GetItem')).toBe(1);
    expect(harness.lastReason()).toBe('unknown_api_key');
    clock += 5_000;
    expect(await gatewayStatus(harness, keyEvent(stranger))).toBe(401);
    expect(dynamo.count('GetItem')).toBe(2);
  });

  it('writes last-used at most once per LAST_USED_INTERVAL, conditionally, and records it', async () => {
    const { key } = await storeApiKey(dynamo);
    for (let i = 0; i < 10; i++) expect(await gatewayStatus(harness, keyEvent(key))).toBe(200);
    await harness.deps.apiKeys!.flush();
    expect(dynamo.count('UpdateItem')).toBe(1);
    const stored = await dynamo.client.send(
      new GetItemCommand({ TableName: dynamo.tableName, Key: { pk: { S: apiKeyPartitionKey(hashApiKey(key)) } } }),
    );
    expect(Number(stored.Item?.lastUsedAt?.N)).toBe(Math.floor(clock / 1000));
    clock += 299_000;
    expect(await gatewayStatus(harness, keyEvent(key))).toBe(200);
    await harness.deps.apiKeys!.flush();
    expect(dynamo.count('UpdateItem')).toBe(1);
    clock += 2_000;
    expect(await gatewayStatus(harness, keyEvent(key))).toBe(200);
    await harness.deps.apiKeys!.flush();
    expect(dynamo.count('UpdateItem')).toBe(2);
  });

  it('never changes the answer when the last-used write fails', async () => {
    const { key } = await storeApiKey(dynamo);
    harness = build({ KEY_CACHE_TTL: '3600', LAST_USED_INTERVAL: '60' });
    expect(await gatewayStatus(harness, keyEvent(key))).toBe(200);
    await harness.deps.apiKeys!.flush();
    expect(dynamo.count('UpdateItem')).toBe(1);
    // The key stays cached; the store goes down; the next write (interval passed) fails in the background.
    proxy.setMode({ kind: 'down' });
    clock += 61_000;
    expect(await gatewayStatus(harness, keyEvent(key))).toBe(200);
    await harness.deps.apiKeys!.flush();
    expect(dynamo.count('UpdateItem')).toBe(1);
  });
});

describe('Revocation', () => {
  it('refuses a revoked key within KEY_CACHE_TTL', async () => {
    const { key, record } = await storeApiKey(dynamo);
    expect(await gatewayStatus(harness, keyEvent(key))).toBe(200);
    await dynamo.client.send(
      new UpdateItemCommand({
        TableName: dynamo.tableName,
        Key: { pk: { S: apiKeyPartitionKey(hashApiKey(key)) } },
        UpdateExpression: 'SET #s = :revoked, revokedAt = :now',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':revoked': { S: 'revoked' }, ':now': { N: String(Math.floor(clock / 1000)) } },
      }),
    );
    clock += 29_000;
    expect(await gatewayStatus(harness, keyEvent(key))).toBe(200); // the documented bound: cached up to the TTL
    clock += 1_000;
    expect(await gatewayStatus(harness, keyEvent(key))).toBe(401);
    expect(harness.lastReason()).toBe('api_key_revoked');
    expect(record.keyId).toMatch(/^key_/);
  });

  it('refuses a cached key as soon as its expiresAt passes', async () => {
    const { key } = await storeApiKey(dynamo, { expiresAt: Math.floor(clock / 1000) + 10 });
    expect(await gatewayStatus(harness, keyEvent(key))).toBe(200);
    clock += 10_000;
    expect(await gatewayStatus(harness, keyEvent(key))).toBe(401);
    expect(harness.lastReason()).toBe('api_key_expired');
    expect(dynamo.count('GetItem')).toBe(1);
  });
});

describe('Store faults', () => {
  it('answers 500 within a bounded time when the store is down, and recovers with no restart', async () => {
    const { key } = await storeApiKey(dynamo);
    proxy.setMode({ kind: 'down' });
    const started = Date.now();
    expect(await gatewayStatus(harness, keyEvent(key))).toBe(500);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(harness.lastReason()).toBe('key_store_unavailable');
    proxy.setMode({ kind: 'pass' });
    expect(await gatewayStatus(harness, keyEvent(key))).toBe(200);
  });

  it('answers 500 within DYNAMODB_MAX_ATTEMPTS x DYNAMODB_TIMEOUT_MS when the store is slow', async () => {
    const { key } = await storeApiKey(dynamo);
    proxy.setMode({ kind: 'delay', ms: 2_000 });
    const started = Date.now();
    expect(await gatewayStatus(harness, keyEvent(key))).toBe(500);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(300);
    expect(elapsed).toBeLessThan(1_800);
    proxy.setMode({ kind: 'pass' });
    expect(await gatewayStatus(harness, keyEvent(key))).toBe(200);
  });

  it('answers 500 (never 401) when DynamoDB throttles, after its bounded retries', async () => {
    const { key } = await storeApiKey(dynamo);
    const body = JSON.stringify({
      __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
      message: 'The level of configured provisioned throughput for the table was exceeded.',
    });
    proxy.setMode({
      kind: 'respond',
      response:
        'HTTP/1.1 400 Bad Request\r\nContent-Type: application/x-amz-json-1.0\r\n' +
        `x-amzn-RequestId: THROTTLED\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    });
    const started = Date.now();
    expect(await gatewayStatus(harness, keyEvent(key))).toBe(500);
    expect(harness.lastReason()).toBe('key_store_unavailable');
    expect(Date.now() - started).toBeLessThan(3_000);
    proxy.setMode({ kind: 'pass' });
    expect(await gatewayStatus(harness, keyEvent(key))).toBe(200);
  });

  it('never caches a failure as a Deny or a 401', async () => {
    const { key } = await storeApiKey(dynamo);
    proxy.setMode({ kind: 'down' });
    for (let i = 0; i < 3; i++) expect(await gatewayStatus(harness, keyEvent(key))).toBe(500);
    proxy.setMode({ kind: 'pass' });
    expect(await gatewayStatus(harness, keyEvent(key))).toBe(200);
  });
});

describe('JWT client bindings', () => {
  let jwks: JwksServer;

  afterEach(async () => {
    await jwks?.stop();
  });

  it('meters a bound JWT client under its own plan and usage key, others under the default', async () => {
    const rsa = generateSigningKey('RS256', 'k');
    jwks = await startJwksServer([rsa]);
    harness = createHarness({ dynamo, issuers: [jwks], env: { DEFAULT_PLAN: 'pro' } });
    await dynamo.putItem(
      clientBindingItem({ issuer: jwks.issuer, clientId: 'bound-client', plan: 'free', usageIdentifierKey: 'bound-usage-key-000000000000', createdAt: 1 }),
    );
    const token = (clientId: string) =>
      signJwt(rsa, { iss: jwks.issuer, aud: 'portcullis-api', sub: clientId, client_id: clientId, exp: Math.floor(Date.now() / 1000) + 60 });
    const bound = await harness.handler(requestEvent({ authorization: `Bearer ${token('bound-client')}` }));
    expect(bound.usageIdentifierKey).toBe('bound-usage-key-000000000000');
    expect(bound.context?.plan).toBe('free');
    const other = await harness.handler(requestEvent({ authorization: `Bearer ${token('other-client')}` }));
    expect(other.usageIdentifierKey).toBe('default-usage-key-value-000000000000');
    expect(other.context?.plan).toBe('pro');
  });
});
