/**
 * Intents in-process: a command frozen between two steps (its checkpoint never returns, as if the process hung or
 * died), another run judging and undoing it, revoke racing a rotation, and the authorizer's view of a pending
 * record. Real dynalite and the local usage-key registry; the API Gateway flavour is in api-gateway-usage-keys.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { crashHookFromEnv, INTENT_PARTITION, STALE_AFTER_SECONDS, type CrashPoint } from '../../cli/keys/intents';
import { KeyManager, type IssuedKey, type RotatedKey } from '../../cli/keys/key-manager';
import type { LocalUsageKeyRegistry } from '../../local/usage-key-registry';
import type { LocalUsageKeys } from '../../cli/keys/usage-keys';
import { apiKeyRecordFromItem, type Item } from '../../lambda/key-table-schema';
import { createHarness, gatewayStatus, requestEvent, type Harness } from '../support/authorizer-harness';
import { startLocalDynamoDb, type LocalDynamoDb } from '../support/local-dynamodb';
import { manualClock, newLocalUsageKeys, scanAll, type ManualClock } from './support';

let dynamo: LocalDynamoDb;
let clock: ManualClock;
let registry: LocalUsageKeyRegistry;
let usageKeys: LocalUsageKeys;
let harness: Harness;

/** Never settles: the command stops at `point` for good. */
const freezeAt =
  (point: CrashPoint) =>
  (reached: CrashPoint): Promise<void> | void =>
    reached === point ? new Promise<void>(() => {}) : undefined;

function manager(options: Partial<ConstructorParameters<typeof KeyManager>[0]> = {}): KeyManager {
  return new KeyManager({ dynamodb: dynamo.client, tableName: dynamo.tableName, keyPrefix: 'ptc_test_', usageKeys, nowSeconds: clock.nowSeconds, ...options });
}

/** Starts a command that stops at `point`; resolves once it got there, with what it delivered (if anything). */
async function frozen<T>(point: CrashPoint, start: (manager: KeyManager, deliver: (value: T) => void) => Promise<unknown>): Promise<{ delivered?: T }> {
  const state: { delivered?: T } = {};
  let reached!: () => void;
  const there = new Promise<void>((resolve) => (reached = resolve));
  void start(
    manager({
      checkpoint: (at) => {
        if (at === point) reached();
        return freezeAt(point)(at);
      },
    }),
    (value) => (state.delivered = value),
  );
  await there;
  return state;
}

const items = async () => (await scanAll(dynamo.client, dynamo.tableName)) as Item[];
const intents = async () => (await items()).filter((item) => (item.keyId as { S?: string } | undefined)?.S === INTENT_PARTITION);
const status = (secret: string) => gatewayStatus(harness, requestEvent({ method: 'GET', resource: '/items', authorization: `ApiKey ${secret}` }));

beforeEach(async () => {
  dynamo = await startLocalDynamoDb();
  clock = manualClock();
  ({ registry, usageKeys } = newLocalUsageKeys(dynamo));
  harness = createHarness({ dynamo, env: { KEY_CACHE_TTL: '0', KEY_NEGATIVE_CACHE_TTL: '0' }, nowMs: clock.nowMs });
});

afterEach(async () => {
  await dynamo.stop();
});

describe('Function: crashHookFromEnv', () => {
  it('does nothing unless PORTCULLIS_KEYS_CRASH_AT is set', () => {
    expect(crashHookFromEnv({})).toBeUndefined();
    expect(crashHookFromEnv({ PORTCULLIS_KEYS_CRASH_AT: ' ' })).toBeUndefined();
  });

  it('kills at the named point only', () => {
    const kills: string[] = [];
    const hook = crashHookFromEnv({ PORTCULLIS_KEYS_CRASH_AT: 'create:secret-shown' }, () => kills.push('killed'))!;
    void hook('create:intent-written');
    void hook('create:secret-shown');
    expect(kills).toEqual(['killed']);
  });

  it('refuses an unknown point as bad input', () => {
    expect(() => crashHookFromEnv({ PORTCULLIS_KEYS_CRASH_AT: 'somewhere' })).toThrow(/unknown crash point "somewhere"/);
  });
});

describe('Class: KeyManager', () => {
  describe('Method: create, interrupted', () => {
    it('a pending record is refused by the authorizer even with its secret (malformed record, 401)', async () => {
      const { delivered } = await frozen<IssuedKey>('create:secret-shown', (m, deliver) => m.create({ owner: 'acme', scopes: ['items:read'] }, deliver));

      expect(await status(delivered!.key)).toBe(401);
      expect(harness.lastReason()).toBe('malformed_key_record');
      expect(await intents()).toMatchObject([{ status: { S: 'pending' }, intentKeyId: { S: delivered!.keyId } }]);
      expect(await registry.get(apiKeyRecordFromItem({ ...(await intents())[0]!, keyId: { S: delivered!.keyId }, status: { S: 'active' } }).usageIdentifierKey!)).toMatchObject({
        enabled: true,
      });
    });

    it('is left alone while it may still be running, and undone once stale', async () => {
      const { delivered } = await frozen<IssuedKey>('create:secret-shown', (m, deliver) => m.create({ owner: 'acme', scopes: ['items:read'] }, deliver));

      clock.advance(STALE_AFTER_SECONDS - 1);
      expect(await manager().reconcile()).toEqual({ entries: [], inProgress: 1 });
      await expect(manager().show(delivered!.keyId)).rejects.toMatchObject({
        code: 'unknown_key',
        message: expect.stringContaining('its create did not finish (still running, or interrupted)'),
      });
      expect((await manager().list()).incomplete).toEqual([{ operation: 'create', subject: delivered!.keyId, startedAt: expect.any(Number), stale: false }]);

      clock.advance(1);
      const report = await manager().reconcile();

      expect(report).toMatchObject({ entries: [{ intent: { operation: 'create', subject: delivered!.keyId }, outcome: 'rolled_back' }], inProgress: 0 });
      expect(await items()).toEqual([]);
      expect(await scanAll(dynamo.client, (registry as unknown as { tableName: string }).tableName)).toEqual([]);
      expect(await status(delivered!.key)).toBe(401);
    });

    it('is undone at once when its process is gone', async () => {
      await frozen<IssuedKey>('create:usage-key-created', (m, deliver) => m.create({ owner: 'acme', scopes: ['items:read'] }, deliver));
      const report = await manager({ holderIsGone: () => true }).reconcile();
      expect(report.entries).toMatchObject([{ outcome: 'rolled_back' }]);
      expect(await items()).toEqual([]);
    });

    it('a commit after another run undid the intent fails, and leaves nothing behind', async () => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let reached!: () => void;
      const there = new Promise<void>((resolve) => (reached = resolve));
      const slow = manager({
        checkpoint: async (at) => {
          if (at === 'create:secret-shown') {
            reached();
            await gate;
          }
        },
      });
      let secret = '';
      const attempt = slow.create({ owner: 'acme', scopes: ['items:read'] }, (issued) => void (secret = issued.key));
      await there;
      await manager({ holderIsGone: () => true }).reconcile();
      release();

      await expect(attempt).rejects.toMatchObject({ code: 'concurrent_change', message: expect.stringContaining('secret shown above was never activated') });
      expect(await items()).toEqual([]);
      expect(await status(secret)).toBe(401);
    });
  });

  describe('Method: rotate, interrupted', () => {
    it('undone after superseding: the previous secret is restored exactly (expiry, no rotatedAt)', async () => {
      const issued = await manager().create({ owner: 'acme', scopes: ['items:read'], expiresInSeconds: 86_400 });
      const before = await items();
      const { delivered } = await frozen<RotatedKey>('rotate:previous-superseded', (m, deliver) => m.rotate(issued.keyId, 0, deliver));
      expect(await status(issued.key)).toBe(401);
      expect(await status(delivered!.key)).toBe(401);

      const report = await manager({ holderIsGone: () => true }).reconcile();

      expect(report.entries).toMatchObject([{ intent: { operation: 'rotate', subject: issued.keyId }, outcome: 'rolled_back' }]);
      expect(await items()).toEqual(before);
      expect(await status(issued.key)).toBe(200);
    });

    it('revoke during a rotation: the rotation can no longer commit, and no secret stays usable', async () => {
      const issued = await manager().create({ owner: 'acme', scopes: ['items:read'] });
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let reached!: () => void;
      const there = new Promise<void>((resolve) => (reached = resolve));
      let secret = '';
      const rotating = manager({
        checkpoint: async (at) => {
          if (at === 'rotate:previous-superseded') {
            reached();
            await gate;
          }
        },
      }).rotate(issued.keyId, 3600, (rotated) => void (secret = rotated.key));
      await there;

      const revoked = await manager().revoke(issued.keyId);
      release();

      expect(revoked).toMatchObject({ revokedSecrets: 1, cancelledChanges: 1 });
      await expect(rotating).rejects.toMatchObject({ code: 'concurrent_change' });
      expect(await intents()).toEqual([]);
      expect(await status(issued.key)).toBe(401);
      expect(await status(secret)).toBe(401);
    });
  });

  describe('Method: bindClient, interrupted', () => {
    it('undone: the new usage key is deleted, the binding to the previous plan and its usage key untouched', async () => {
      const first = await manager().bindClient({ issuer: 'https://login.example.com/', clientId: 'svc-1', plan: 'free' });
      const bindingBefore = await items();
      await frozen('bind:usage-key-created', (m) => m.bindClient({ issuer: 'https://login.example.com/', clientId: 'svc-1', plan: 'pro' }));
      await expect(manager().bindClient({ issuer: 'https://login.example.com/', clientId: 'svc-1', plan: 'pro' })).rejects.toMatchObject({
        code: 'concurrent_change',
        message: expect.stringContaining('another "clients bind" of client svc-1 is running'),
      });

      const report = await manager({ holderIsGone: () => true }).reconcile();

      expect(report.entries).toMatchObject([{ intent: { operation: 'bind', subject: 'svc-1' }, outcome: 'rolled_back' }]);
      expect(await items()).toEqual(bindingBefore);
      const usage = await scanAll(dynamo.client, (registry as unknown as { tableName: string }).tableName);
      expect(usage.map((u) => [u.name!.S, u.plan!.S, u.enabled!.BOOL])).toEqual([['client:svc-1', 'free', true]]);
      expect(first.outcome).toBe('created');
    });
  });
});
