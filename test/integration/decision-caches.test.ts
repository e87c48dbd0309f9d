/**
 * The decision's caches (what a scope list allows, the policy per stage) belong to one handler and stay bounded:
 * a container that sees many stages keeps at most 256 policies and still answers each stage right, and a second
 * handler in the same process starts with nothing of the first one's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluatePolicy } from '../../local/iam-policy-evaluator';
import { API_ID, createHarness, requestEvent, storeApiKey, type Harness } from '../support/authorizer-harness';
import { startLocalDynamoDb, type LocalDynamoDb } from '../support/local-dynamodb';

let dynamo: LocalDynamoDb;
let harness: Harness;
let key: string;

beforeAll(async () => {
  dynamo = await startLocalDynamoDb();
  harness = createHarness({ dynamo });
  ({ key } = await storeApiKey(dynamo, { scopes: ['items:read'] }));
});

afterAll(async () => {
  await harness.deps.apiKeys?.flush();
  await dynamo.stop();
});

/** GET /items on another stage of the API. */
function onStage(stage: string) {
  const event = requestEvent({ method: 'GET', resource: '/items', authorization: `ApiKey ${key}` });
  return { ...event, methodArn: `arn:aws:execute-api:eu-west-1:123456789012:${API_ID}/${stage}/GET/items` };
}

describe('Decision caches', () => {
  it('keep at most 256 policies however many stages a container sees, and answer every stage for that stage', async () => {
    for (let i = 0; i < 300; i++) {
      const event = onStage(`stage${i}`);
      const result = await harness.handler(event);
      expect(evaluatePolicy(result.policyDocument, event.methodArn)).toBe('allow');
      // The Allow names this stage only: a policy of another stage is never handed out.
      expect(JSON.stringify(result.policyDocument)).not.toMatch(new RegExp(`/stage(?!${i}/)\\d+/`));
      expect(harness.deps.policies.size).toBeLessThanOrEqual(256);
    }
  });

  it('belong to their handler: a second handler in the same process starts empty', async () => {
    const other = createHarness({ dynamo });
    expect(other.deps.policies.size).toBe(0);
    expect(harness.deps.policies.size).toBeGreaterThan(0);
  });
});
