/**
 * End to end: keys made by the CLI (`--local`, against dynalite on loopback) are judged by the real authorizer
 * handler. One clock drives both, so cache TTLs and grace periods pass without sleeping.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runKeysCli } from '../../cli/keys/main';
import { LocalUsageKeyRegistry } from '../../local/usage-key-registry';
import { LOCAL_KEY_TABLE_NAME } from '../../cli/local-target';
import { createHarness, gatewayStatus, requestEvent, type Harness } from '../support/authorizer-harness';
import { startLocalDynamoDb, type LocalDynamoDb } from '../support/local-dynamodb';
import { untilActive, manualClock, type ManualClock } from './support';

const KEY_CACHE_TTL_SECONDS = 1;

let dynamo: LocalDynamoDb;
let clock: ManualClock;
let harness: Harness;
let registry: LocalUsageKeyRegistry;

async function keys(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runKeysCli([...argv, '--local'], {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    env: { DYNAMODB_PORT: String(dynamo.port) },
    nowSeconds: clock.nowSeconds,
  });
  return { code, stdout, stderr };
}

async function keysJson(...argv: string[]): Promise<Record<string, string>> {
  const run = await keys(...argv, '--json');
  expect(run, run.stderr).toMatchObject({ code: 0 });
  return JSON.parse(run.stdout) as Record<string, string>;
}

const apiKey = (key: string) => requestEvent({ method: 'GET', resource: '/items', authorization: `ApiKey ${key}` });
const basic = (keyId: string, key: string) =>
  requestEvent({ method: 'GET', resource: '/items', authorization: `Basic ${Buffer.from(`${keyId}:${key}`).toString('base64')}` });

beforeAll(async () => {
  dynamo = await startLocalDynamoDb(LOCAL_KEY_TABLE_NAME);
  await untilActive(dynamo.client, LOCAL_KEY_TABLE_NAME);
  registry = new LocalUsageKeyRegistry(dynamo.client);
});

afterAll(async () => {
  await harness?.deps.apiKeys?.flush();
  await dynamo.stop();
});

beforeEach(() => {
  clock = manualClock();
  harness = createHarness({
    dynamo,
    env: { API_KEY_PREFIX: 'ptc_local_', KEY_CACHE_TTL: String(KEY_CACHE_TTL_SECONDS), LAST_USED_INTERVAL: '1' },
    nowMs: clock.nowMs,
  });
});

describe('a key made by the CLI, judged by the authorizer', () => {
  it('is accepted (ApiKey and Basic) with its usage key; after revoke and the key cache TTL it is refused', async () => {
    const created = await keysJson('create', '--owner', 'acme', '--scopes', 'items:read', '--plan', 'pro');

    expect(await gatewayStatus(harness, apiKey(created.key!))).toBe(200);
    expect(await gatewayStatus(harness, basic(created.keyId!, created.key!))).toBe(200);
    const result = await harness.handler(apiKey(created.key!));
    expect(result.context).toMatchObject({ keyId: created.keyId, owner: 'acme', plan: 'pro' });
    const usage = await registry.get(result.usageIdentifierKey!);
    expect(usage).toMatchObject({ plan: 'pro', enabled: true, name: created.keyId });

    await harness.deps.apiKeys!.flush();
    const shown = await keysJson('show', created.keyId!);
    expect(shown.lastUsedAt).toBe('2026-01-01T00:00:00Z');

    const revoked = await keys('revoke', created.keyId!);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toMatch(/Revoked key/);
    expect(await registry.get(result.usageIdentifierKey!)).toMatchObject({ enabled: false });

    // Within KEY_CACHE_TTL the function may still answer from its cache: that is the documented bound.
    expect(await gatewayStatus(harness, apiKey(created.key!))).toBe(200);
    clock.advance(KEY_CACHE_TTL_SECONDS + 0.001);
    expect(await gatewayStatus(harness, apiKey(created.key!))).toBe(401);
    expect(await gatewayStatus(harness, basic(created.keyId!, created.key!))).toBe(401);
  });

  it('after rotate, old and new secrets both work until the grace ends, then only the new one; same usage key', async () => {
    const created = await keysJson('create', '--owner', 'acme', '--scopes', 'items:read');
    const before = await harness.handler(apiKey(created.key!));

    const rotated = await keysJson('rotate', created.keyId!, '--grace', '1m');
    expect(rotated.keyId).toBe(created.keyId);
    expect(rotated.previousValidUntil).toBe('2026-01-01T00:01:00Z');

    // Past the key cache, so the old secret's record is read again with its shortened expiry.
    clock.advance(KEY_CACHE_TTL_SECONDS + 1);
    expect(await gatewayStatus(harness, apiKey(created.key!))).toBe(200);
    expect(await gatewayStatus(harness, apiKey(rotated.key!))).toBe(200);
    expect(await gatewayStatus(harness, basic(created.keyId!, rotated.key!))).toBe(200);
    const after = await harness.handler(apiKey(rotated.key!));
    expect(after.usageIdentifierKey).toBe(before.usageIdentifierKey);

    clock.advance(58);
    expect(await gatewayStatus(harness, apiKey(created.key!))).toBe(401);
    expect(await gatewayStatus(harness, apiKey(rotated.key!))).toBe(200);

    const listed = JSON.parse((await keys('list', '--owner', 'acme', '--json')).stdout) as { keys: Array<{ keyId: string; status: string }> };
    expect(listed.keys.find((k) => k.keyId === created.keyId)).toMatchObject({ status: 'active' });
  });

  it('a key created with --expires-in is refused once it expires', async () => {
    const created = await keysJson('create', '--owner', 'acme', '--scopes', 'items:read', '--expires-in', '90s');
    expect(await gatewayStatus(harness, apiKey(created.key!))).toBe(200);
    clock.advance(90);
    expect(await gatewayStatus(harness, apiKey(created.key!))).toBe(401);
  });

  it('a key is allowed only the routes its scopes grant', async () => {
    const created = await keysJson('create', '--owner', 'acme', '--scopes', 'items:read');
    expect(await gatewayStatus(harness, requestEvent({ method: 'POST', resource: '/items', authorization: `ApiKey ${created.key}` }))).toBe(403);
  });
});
