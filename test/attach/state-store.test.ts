/**
 * The attach record in the key table (dynalite): versioned, so two runs cannot both record "before" values.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbAttachStateStore, emptyRecord } from '../../cli/attach/state-store';
import { newKeyTable } from '../cli/support';
import { startLocalDynamoDb, type LocalDynamoDb } from '../support/local-dynamodb';

let dynamo: LocalDynamoDb;
beforeAll(async () => {
  dynamo = await startLocalDynamoDb();
});
afterAll(async () => {
  await dynamo.stop();
});

describe('Class: DynamoDbAttachStateStore', () => {
  it('round-trips a record and bumps its version on every save', async () => {
    const store = new DynamoDbAttachStateStore(dynamo.client, await newKeyTable(dynamo));
    const saved = await store.save({
      ...emptyRecord('k3x9q2w7ab', 'x1y2z3'),
      methods: { 'GET /items': { resourceId: 'r1', authorizationType: 'NONE', apiKeyRequired: false } },
      pendingDeployment: 'prod',
    });
    expect(saved.version).toBe(1);
    expect(await store.load('k3x9q2w7ab')).toEqual(saved);
    const { pendingDeployment: _done, ...next } = saved;
    expect((await store.save(next)).version).toBe(2);
    expect(await store.load('k3x9q2w7ab')).not.toHaveProperty('pendingDeployment');
  });

  it('a run working from a stale record fails instead of overwriting the other run\'s "before" values', async () => {
    const store = new DynamoDbAttachStateStore(dynamo.client, await newKeyTable(dynamo));
    const first = await store.save(emptyRecord('k3x9q2w7ab', 'x1y2z3'));
    await store.save(first);
    await expect(store.save(first)).rejects.toThrow(/another attach or detach is running/);
    await expect(store.save(emptyRecord('k3x9q2w7ab', 'x1y2z3'))).rejects.toThrow(/another attach or detach is running/);
    await expect(store.remove(first)).rejects.toThrow(/another attach or detach is running/);
  });

  it('a missing table names the flag to check', async () => {
    const store = new DynamoDbAttachStateStore(dynamo.client, 'no-such-table');
    await expect(store.load('k3x9q2w7ab')).rejects.toThrow('DynamoDB GetItem: table no-such-table not found: check --table');
  });
});
