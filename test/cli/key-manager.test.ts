/**
 * The key CLI's core against a real DynamoDB protocol endpoint (dynalite) and the local usage-key registry.
 * The API Gateway flavour of the usage keys is covered in api-gateway-usage-keys.test.ts.
 */
import { GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KeyManager, ROTATED_AT_ATTRIBUTE, SUPERSEDED_RETENTION_SECONDS } from '../../cli/keys/key-manager';
import { AwsOperationError, InputError } from '../../cli/keys/errors';
import { generateApiKey, hashApiKey, isWellFormedApiKey } from '../../lambda/api-key-format';
import { apiKeyItem, apiKeyPartitionKey, apiKeyRecordFromItem, clientBindingFromItem, clientBindingPartitionKey, type Item } from '../../lambda/key-table-schema';
import type { LocalUsageKeyRegistry } from '../../local/usage-key-registry';
import { startLocalDynamoDb, type LocalDynamoDb } from '../support/local-dynamodb';
import { dynamoClient, manualClock, newKeyTable, newLocalUsageKeys, scanAll, type ManualClock } from './support';

let dynamo: LocalDynamoDb;
let tableName: string;
let registry: LocalUsageKeyRegistry;
let clock: ManualClock;
let manager: KeyManager;

function makeManager(overrides: Partial<ConstructorParameters<typeof KeyManager>[0]> = {}): KeyManager {
  const { usageKeys } = newLocalUsageKeys(dynamo);
  return new KeyManager({
    dynamodb: dynamo.client,
    tableName,
    keyPrefix: 'ptc_test_',
    usageKeys,
    nowSeconds: clock.nowSeconds,
    ...overrides,
  });
}

beforeAll(async () => {
  dynamo = await startLocalDynamoDb();
});

afterAll(async () => {
  await dynamo.stop();
});

beforeEach(async () => {
  tableName = await newKeyTable(dynamo);
  clock = manualClock();
  const local = newLocalUsageKeys(dynamo);
  registry = local.registry;
  manager = new KeyManager({ dynamodb: dynamo.client, tableName, keyPrefix: 'ptc_test_', usageKeys: local.usageKeys, nowSeconds: clock.nowSeconds });
});

async function storedItem(key: string): Promise<Item | undefined> {
  const { Item: item } = await dynamo.client.send(
    new GetItemCommand({ TableName: tableName, Key: { pk: { S: apiKeyPartitionKey(hashApiKey(key)) } } }),
  );
  return item as Item | undefined;
}

describe('Class: KeyManager', () => {
  describe('Method: create', () => {
    it('stores only the hash of a well-formed key with its metadata, and registers an enabled usage key in the plan', async () => {
      const issued = await manager.create({ owner: 'acme', scopes: ['items:read', 'items:write', 'items:read'], plan: 'pro', name: 'ci', expiresInSeconds: 86_400 });

      expect(isWellFormedApiKey(issued.key, 'ptc_test_')).toBe(true);
      const items = await scanAll(dynamo.client, tableName);
      expect(items).toHaveLength(1);
      expect(JSON.stringify(items)).not.toContain(issued.key);
      const record = apiKeyRecordFromItem((await storedItem(issued.key))!);
      expect(record).toMatchObject({
        keyId: issued.keyId,
        owner: 'acme',
        name: 'ci',
        scopes: ['items:read', 'items:write'],
        plan: 'pro',
        status: 'active',
        createdAt: clock.nowSeconds(),
        expiresAt: clock.nowSeconds() + 86_400,
      });
      expect(record.usageIdentifierKey).toMatch(/^[0-9A-Za-z]{40}$/);
      expect(await registry.get(record.usageIdentifierKey!)).toMatchObject({ plan: 'pro', enabled: true, name: issued.keyId });
    });

    it('defaults to the free plan and no expiry', async () => {
      const issued = await manager.create({ owner: 'acme', scopes: ['items:read'] });
      expect(issued.summary).toMatchObject({ plan: 'free', status: 'active', expiresAt: undefined });
    });

    it('gives every key its own id, secret and usage identifier', async () => {
      const a = await manager.create({ owner: 'acme', scopes: ['items:read'] });
      const b = await manager.create({ owner: 'acme', scopes: ['items:read'] });
      expect(a.keyId).not.toBe(b.keyId);
      expect(a.key).not.toBe(b.key);
      const [ra, rb] = [apiKeyRecordFromItem((await storedItem(a.key))!), apiKeyRecordFromItem((await storedItem(b.key))!)];
      expect(ra.usageIdentifierKey).not.toBe(rb.usageIdentifierKey);
    });

    it.each([
      ['an unknown plan', { plan: 'gold' }, 'unknown_plan'],
      ['a malformed scope', { scopes: ['items read'] }, 'invalid_scope'],
      ['a scope with a quote', { scopes: ['items:"read'] }, 'invalid_scope'],
      ['an empty owner', { owner: '  ' }, 'invalid_owner'],
      ['an owner with control characters', { owner: 'acme\u001b[2J' }, 'invalid_owner'],
      ['an owner over 256 characters', { owner: 'x'.repeat(257) }, 'invalid_owner'],
      ['an empty name', { name: '' }, 'invalid_name'],
      ['a zero expiry', { expiresInSeconds: 0 }, 'invalid_duration'],
    ])('refuses %s with an InputError and writes nothing', async (_label, override, code) => {
      const attempt = manager.create({ owner: 'acme', scopes: ['items:read'], ...override });
      await expect(attempt).rejects.toBeInstanceOf(InputError);
      await expect(attempt).rejects.toMatchObject({ code, exitCode: 2 });
      expect(await scanAll(dynamo.client, tableName)).toHaveLength(0);
    });

    it('says the target has no usage plans when it was built without them, before writing', async () => {
      const bare = new KeyManager({ dynamodb: dynamo.client, tableName, keyPrefix: 'ptc_test_', nowSeconds: clock.nowSeconds });
      await expect(bare.create({ owner: 'acme', scopes: ['items:read'] })).rejects.toMatchObject({ code: 'missing_target' });
      expect(await scanAll(dynamo.client, tableName)).toHaveLength(0);
    });

    it('names the table when it does not exist (missing target, exit code 2)', async () => {
      const lost = makeManager({ tableName: 'no-such-table' });
      await expect(lost.create({ owner: 'acme', scopes: ['items:read'] })).rejects.toMatchObject({
        code: 'missing_target',
        message: expect.stringContaining('no-such-table'),
      });
    });
  });

  describe('Method: list', () => {
    it('pages through the whole table and returns one entry per key, oldest first', async () => {
      const paged = makeManager({ pageSize: 2 });
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        ids.push((await paged.create({ owner: `owner-${i % 2}`, scopes: ['items:read'] })).keyId);
        clock.advance(10);
      }
      await paged.rotate(ids[0]!, 3600);

      const { keys, unreadable } = await paged.list();
      expect(unreadable).toBe(0);
      expect(keys.map((k) => k.keyId)).toEqual(ids);
    });

    it('queries one owner through the byOwner index, across pages', async () => {
      const paged = makeManager({ pageSize: 1 });
      const mine = [];
      for (let i = 0; i < 3; i++) {
        mine.push((await paged.create({ owner: 'acme', scopes: ['items:read'] })).keyId);
        await paged.create({ owner: 'globex', scopes: ['items:read'] });
        clock.advance(1);
      }
      const { keys } = await paged.list({ owner: 'acme' });
      expect(keys.map((k) => k.keyId)).toEqual(mine);
    });

    it('filters by plan and by status', async () => {
      const free = await manager.create({ owner: 'acme', scopes: ['items:read'], plan: 'free' });
      const pro = await manager.create({ owner: 'acme', scopes: ['items:read'], plan: 'pro' });
      const shortLived = await manager.create({ owner: 'acme', scopes: ['items:read'], plan: 'pro', expiresInSeconds: 60 });
      await manager.revoke(free.keyId);
      clock.advance(61);

      expect((await manager.list({ plan: 'pro' })).keys.map((k) => k.keyId).sort()).toEqual([pro.keyId, shortLived.keyId].sort());
      expect((await manager.list({ status: 'active' })).keys.map((k) => k.keyId)).toEqual([pro.keyId]);
      expect((await manager.list({ status: 'revoked' })).keys.map((k) => k.keyId)).toEqual([free.keyId]);
      expect((await manager.list({ status: 'expired' })).keys.map((k) => k.keyId)).toEqual([shortLived.keyId]);
    });

    it('never returns a secret, a hash or a usage identifier', async () => {
      const issued = await manager.create({ owner: 'acme', scopes: ['items:read'] });
      const record = apiKeyRecordFromItem((await storedItem(issued.key))!);
      const listed = JSON.stringify(await manager.list());
      expect(listed).not.toContain(issued.key);
      expect(listed).not.toContain(hashApiKey(issued.key));
      expect(listed).not.toContain(record.usageIdentifierKey!);
    });

    it('skips and counts records it cannot read instead of failing', async () => {
      await manager.create({ owner: 'acme', scopes: ['items:read'] });
      await dynamo.client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: { pk: { S: 'key#broken' } },
          UpdateExpression: 'SET #t = :t, keyId = :k',
          ExpressionAttributeNames: { '#t': 'type' },
          ExpressionAttributeValues: { ':t': { S: 'apiKey' }, ':k': { S: 'not-a-key-id' } },
        }),
      );
      const { keys, unreadable } = await manager.list();
      expect(keys).toHaveLength(1);
      expect(unreadable).toBe(1);
    });
  });

  describe('Method: show', () => {
    it('reports an unknown key id as bad input (exit code 2)', async () => {
      await expect(manager.show('key_AAAAAAAAAAAAAAAA')).rejects.toMatchObject({ code: 'unknown_key', exitCode: 2 });
    });

    it('refuses something that is not a key id before reading', async () => {
      await expect(manager.show('ptc_test_secret')).rejects.toMatchObject({ code: 'invalid_key_id' });
    });

    it('includes last use, the latest of any of its secrets', async () => {
      const issued = await manager.create({ owner: 'acme', scopes: ['items:read'] });
      await dynamo.client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: { pk: { S: apiKeyPartitionKey(hashApiKey(issued.key)) } },
          UpdateExpression: 'SET lastUsedAt = :t',
          ExpressionAttributeValues: { ':t': { N: String(clock.nowSeconds() + 5) } },
        }),
      );
      const shown = await manager.show(issued.keyId);
      expect(shown.lastUsedAt).toBe(clock.nowSeconds() + 5);
      expect(shown.secrets).toEqual([expect.objectContaining({ current: true, state: 'active', lastUsedAt: clock.nowSeconds() + 5 })]);
    });
  });

  describe('Method: rotate', () => {
    it('issues a new secret with the same id, owner, scopes, plan, expiry and usage identifier; the old one lasts the grace', async () => {
      const issued = await manager.create({ owner: 'acme', scopes: ['items:read'], plan: 'pro', name: 'ci', expiresInSeconds: 30 * 86_400 });
      clock.advance(100);

      const rotated = await manager.rotate(issued.keyId, 3600);

      expect(rotated.keyId).toBe(issued.keyId);
      expect(rotated.key).not.toBe(issued.key);
      expect(isWellFormedApiKey(rotated.key, 'ptc_test_')).toBe(true);
      const oldItem = (await storedItem(issued.key))!;
      const [oldRecord, newRecord] = [apiKeyRecordFromItem(oldItem), apiKeyRecordFromItem((await storedItem(rotated.key))!)];
      expect(newRecord).toMatchObject({
        keyId: issued.keyId,
        owner: 'acme',
        name: 'ci',
        scopes: ['items:read'],
        plan: 'pro',
        status: 'active',
        createdAt: clock.nowSeconds(),
        expiresAt: issued.summary.expiresAt,
        usageIdentifierKey: oldRecord.usageIdentifierKey,
      });
      expect(oldRecord.expiresAt).toBe(clock.nowSeconds() + 3600);
      expect(rotated.previousValidUntil).toBe(clock.nowSeconds() + 3600);
      expect(oldItem[ROTATED_AT_ATTRIBUTE]).toEqual({ N: String(clock.nowSeconds()) });
      expect(oldItem.purgeAt).toEqual({ N: String(clock.nowSeconds() + 3600 + SUPERSEDED_RETENTION_SECONDS) });
      expect(rotated.summary.secrets.map((s) => [s.current, s.state])).toEqual([
        [true, 'active'],
        [false, 'active'],
      ]);
    });

    it('never extends the old secret past its own expiry', async () => {
      const issued = await manager.create({ owner: 'acme', scopes: ['items:read'], expiresInSeconds: 600 });
      const rotated = await manager.rotate(issued.keyId, 3600);
      expect(rotated.previousValidUntil).toBe(clock.nowSeconds() + 600);
      expect(apiKeyRecordFromItem((await storedItem(issued.key))!).expiresAt).toBe(clock.nowSeconds() + 600);
    });

    it('with a grace of 0 cuts the old secret off at once', async () => {
      const issued = await manager.create({ owner: 'acme', scopes: ['items:read'] });
      await manager.rotate(issued.keyId, 0);
      const shown = await manager.show(issued.keyId);
      expect(shown.secrets.map((s) => s.state)).toEqual(['active', 'expired']);
    });

    it('rotates the newest secret when rotated twice; the first secret keeps its own grace', async () => {
      const issued = await manager.create({ owner: 'acme', scopes: ['items:read'] });
      const second = await manager.rotate(issued.keyId, 3600);
      clock.advance(10);
      const third = await manager.rotate(issued.keyId, 60);
      expect(apiKeyRecordFromItem((await storedItem(issued.key))!).expiresAt).toBe(clock.nowSeconds() - 10 + 3600);
      expect(apiKeyRecordFromItem((await storedItem(second.key))!).expiresAt).toBe(clock.nowSeconds() + 60);
      expect(apiKeyRecordFromItem((await storedItem(third.key))!).expiresAt).toBeUndefined();
    });

    it('refuses a revoked or expired key and writes nothing', async () => {
      const revoked = await manager.create({ owner: 'acme', scopes: ['items:read'] });
      await manager.revoke(revoked.keyId);
      const expired = await manager.create({ owner: 'acme', scopes: ['items:read'], expiresInSeconds: 60 });
      clock.advance(60);
      const before = await scanAll(dynamo.client, tableName);

      await expect(manager.rotate(revoked.keyId)).rejects.toMatchObject({ code: 'key_not_usable', message: expect.stringContaining('revoked') });
      await expect(manager.rotate(expired.keyId)).rejects.toMatchObject({ code: 'key_not_usable', message: expect.stringContaining('expired') });
      expect(await scanAll(dynamo.client, tableName)).toEqual(before);
    });

    it('undoes its new secret when the key is revoked between its two writes (no live secret survives a revoke)', async () => {
      const issued = await manager.create({ owner: 'acme', scopes: ['items:read'] });
      const other = makeManager();
      const racingClient = dynamoClient(dynamo.endpoint);
      const racing = makeManager({ dynamodb: racingClient });
      let raced = false;
      // Between rotate's put of the new secret and its update of the old one, someone revokes the key.
      racingClient.middlewareStack.add(
        (next, context) => async (args) => {
          if (!raced && context.commandName === 'UpdateItemCommand') {
            raced = true;
            await other.revoke(issued.keyId);
          }
          return next(args);
        },
        { step: 'initialize', name: 'raceRevoke' },
      );
      try {
        await expect(racing.rotate(issued.keyId)).rejects.toMatchObject({ code: 'concurrent_change', exitCode: 1 });
      } finally {
        racingClient.destroy();
      }
      // Whether the revoke saw the new secret (then revoked it) or not (then rotate deleted it): nothing is live.
      const records = (await scanAll(dynamo.client, tableName)).map((item) => apiKeyRecordFromItem(item as Item));
      expect(records.map((r) => r.status)).not.toContain('active');
      expect((await manager.show(issued.keyId)).status).toBe('revoked');
    });

    it('deletes its new secret when the old one was revoked meanwhile by a revoke that did not see the new one', async () => {
      const issued = await manager.create({ owner: 'acme', scopes: ['items:read'] });
      const oldPk = apiKeyPartitionKey(hashApiKey(issued.key));
      const racingClient = dynamoClient(dynamo.endpoint);
      const racing = makeManager({ dynamodb: racingClient });
      let raced = false;
      racingClient.middlewareStack.add(
        (next, context) => async (args) => {
          if (!raced && context.commandName === 'UpdateItemCommand') {
            raced = true;
            await dynamo.client.send(
              new UpdateItemCommand({
                TableName: tableName,
                Key: { pk: { S: oldPk } },
                UpdateExpression: 'SET #s = :r, revokedAt = :t',
                ExpressionAttributeNames: { '#s': 'status' },
                ExpressionAttributeValues: { ':r': { S: 'revoked' }, ':t': { N: String(clock.nowSeconds()) } },
              }),
            );
          }
          return next(args);
        },
        { step: 'initialize', name: 'raceRevokeOld' },
      );
      try {
        await expect(racing.rotate(issued.keyId)).rejects.toMatchObject({ code: 'concurrent_change' });
      } finally {
        racingClient.destroy();
      }
      const items = await scanAll(dynamo.client, tableName);
      expect(items.map((item) => item.pk!.S)).toEqual([oldPk]);
    });

    it('refuses bad input before reading: malformed key id, grace out of range', async () => {
      await expect(manager.rotate('nope')).rejects.toMatchObject({ code: 'invalid_key_id' });
      await expect(manager.rotate('key_AAAAAAAAAAAAAAAA', 31 * 86_400)).rejects.toMatchObject({ code: 'invalid_duration' });
      await expect(manager.rotate('key_AAAAAAAAAAAAAAAA')).rejects.toMatchObject({ code: 'unknown_key' });
    });
  });

  describe('Method: revoke', () => {
    it('revokes every secret of the key, including one in a rotation grace, and disables its usage key', async () => {
      const issued = await manager.create({ owner: 'acme', scopes: ['items:read'] });
      const rotated = await manager.rotate(issued.keyId, 3600);
      clock.advance(5);

      const result = await manager.revoke(issued.keyId);

      expect(result).toMatchObject({ alreadyRevoked: false, revokedSecrets: 2, revokedAt: clock.nowSeconds(), usageKey: 'disabled' });
      for (const key of [issued.key, rotated.key]) {
        expect(apiKeyRecordFromItem((await storedItem(key))!)).toMatchObject({ status: 'revoked', revokedAt: clock.nowSeconds() });
      }
      const usage = apiKeyRecordFromItem((await storedItem(issued.key))!).usageIdentifierKey!;
      expect(await registry.get(usage)).toMatchObject({ enabled: false });
      expect((await manager.show(issued.keyId)).status).toBe('revoked');
    });

    it('is a no-op for the table when the key is already revoked, and says so', async () => {
      const issued = await manager.create({ owner: 'acme', scopes: ['items:read'] });
      const first = await manager.revoke(issued.keyId);
      const before = await scanAll(dynamo.client, tableName);
      clock.advance(60);

      const second = await manager.revoke(issued.keyId);

      expect(second).toMatchObject({ alreadyRevoked: true, revokedSecrets: 0, revokedAt: first.revokedAt });
      expect(await scanAll(dynamo.client, tableName)).toEqual(before);
    });

    it('reads the key again after the recheck delay and revokes a secret it had not seen', async () => {
      const issued = await manager.create({ owner: 'acme', scopes: ['items:read'] });
      const stored = apiKeyRecordFromItem((await storedItem(issued.key))!);
      const lateKey = generateApiKey('ptc_test_');
      const slept: number[] = [];
      const checking = makeManager({
        revokeRecheckMs: 1000,
        // While revoke waits, a secret of the key becomes visible that its first read did not return (as a rotation
        // moments before may be missing from the eventually consistent index).
        sleep: async (ms) => {
          slept.push(ms);
          const item = apiKeyItem(hashApiKey(lateKey), { ...stored, createdAt: clock.nowSeconds() });
          await dynamo.client.send(new PutItemCommand({ TableName: tableName, Item: item as never }));
        },
      });
      const result = await checking.revoke(issued.keyId);
      expect(slept).toEqual([1000]);
      expect(result.revokedSecrets).toBe(2);
      expect(apiKeyRecordFromItem((await storedItem(lateKey))!).status).toBe('revoked');
    });

    it('waits out the key cache and flushes again when asked to', async () => {
      const issued = await manager.create({ owner: 'acme', scopes: ['items:read'] });
      const slept: number[] = [];
      const flushes: string[] = [];
      const { usageKeys } = newLocalUsageKeys(dynamo);
      const waiting = makeManager({
        sleep: async (ms) => {
          slept.push(ms);
        },
        usageKeys: Object.assign(Object.create(usageKeys), {
          flushAuthorizerCache: async () => {
            flushes.push('flush');
            return { flushed: true as const };
          },
          disable: async () => 'disabled' as const,
        }),
      });
      const result = await waiting.revoke(issued.keyId, { waitForKeyCacheSeconds: 30 });
      expect(slept).toEqual([30_000]);
      expect(flushes).toEqual(['flush', 'flush']);
      expect(result.lateCacheFlush).toEqual({ flushed: true });
    });

    it('reports an unknown key id as bad input', async () => {
      await expect(manager.revoke('key_AAAAAAAAAAAAAAAA')).rejects.toMatchObject({ code: 'unknown_key', exitCode: 2 });
    });
  });

  describe('Method: bindClient', () => {
    const issuer = 'https://login.example.com/';

    it('stores a binding the authorizer can read, with its own usage key in the plan', async () => {
      const result = await manager.bindClient({ issuer, clientId: 'svc-1', plan: 'pro' });
      expect(result.outcome).toBe('created');
      const { Item: item } = await dynamo.client.send(
        new GetItemCommand({ TableName: tableName, Key: { pk: { S: clientBindingPartitionKey(issuer, 'svc-1') } } }),
      );
      const binding = clientBindingFromItem(item as Item);
      expect(binding).toMatchObject({ issuer, clientId: 'svc-1', plan: 'pro', createdAt: clock.nowSeconds() });
      expect(await registry.get(binding.usageIdentifierKey!)).toMatchObject({ plan: 'pro', enabled: true });
      expect(JSON.stringify(result)).not.toContain(binding.usageIdentifierKey!);
    });

    it('binding again to the same plan changes nothing', async () => {
      await manager.bindClient({ issuer, clientId: 'svc-1', plan: 'pro' });
      const before = await scanAll(dynamo.client, tableName);
      const again = await manager.bindClient({ issuer, clientId: 'svc-1', plan: 'pro' });
      expect(again.outcome).toBe('unchanged');
      expect(await scanAll(dynamo.client, tableName)).toEqual(before);
    });

    it('moves the client to another plan with a new usage key in that plan', async () => {
      await manager.bindClient({ issuer, clientId: 'svc-1', plan: 'free' });
      const moved = await manager.bindClient({ issuer, clientId: 'svc-1', plan: 'pro' });
      expect(moved).toMatchObject({ outcome: 'rebound', previous: { plan: 'free' }, binding: { plan: 'pro' } });
      const items = await scanAll(dynamo.client, tableName);
      expect(items).toHaveLength(1);
      const binding = clientBindingFromItem(items[0] as Item);
      expect(await registry.get(binding.usageIdentifierKey!)).toMatchObject({ plan: 'pro' });
    });

    it.each([
      ['an http issuer', { issuer: 'http://login.example.com/' }, 'invalid_issuer'],
      ['an issuer that is not a URL', { issuer: 'login' }, 'invalid_issuer'],
      ['an issuer with #', { issuer: 'https://login.example.com/#x' }, 'invalid_issuer'],
      ['an empty client id', { clientId: '' }, 'invalid_client_id'],
      ['an unknown plan', { plan: 'gold' }, 'unknown_plan'],
    ])('refuses %s and writes nothing', async (_label, override, code) => {
      await expect(manager.bindClient({ issuer, clientId: 'svc-1', plan: 'pro', ...override })).rejects.toMatchObject({ code });
      expect(await scanAll(dynamo.client, tableName)).toHaveLength(0);
    });
  });

  it('wraps store failures as AWS errors (exit code 1), never as bad input', async () => {
    const unreachable = makeManager({
      dynamodb: new (await import('@aws-sdk/client-dynamodb')).DynamoDBClient({
        endpoint: 'http://127.0.0.1:9',
        region: 'eu-west-1',
        credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
        maxAttempts: 1,
      }),
      where: 'the test store',
    });
    const failure = await unreachable.list().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(AwsOperationError);
    expect(failure).toMatchObject({ code: 'store_unreachable', exitCode: 1, message: expect.stringContaining('the test store') });
  });
});
