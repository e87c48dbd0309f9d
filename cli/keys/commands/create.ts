/** `create`: issue a key, crash-safely (intents.ts). */
import { generateApiKey, generateKeyId, hashApiKey } from '../../../lambda/api-key-format';
import { apiKeyItem, apiKeyPartitionKey, type ApiKeyRecord } from '../../../lambda/key-table-schema';
import { AwsOperationError, InputError } from '../errors';
import { pendingAttributes, PENDING_STATUS, type Intent } from '../intents';
import { DEFAULT_PLAN, type CreateKeyInput, type IssuedKey } from '../key-model';
import { summarize } from '../summaries';
import { newUsageKeyValue, type UsageKeyRef } from '../usage-keys';
import { validateName, validateOwner, validatePlan, validateScopes } from '../validation';
import type { CommandContext } from './context';

/**
 * Issues a key. Steps (crash safety: see intents.ts):
 * 1. the intent: the new record, `pending` under the reserved key id, naming the key id and the usage key value;
 * 2. the hidden usage key (API Gateway key named after the key id + usage plan key);
 * 3. `deliver` (the CLI prints the secret);
 * 4. the commit: one conditional UpdateItem makes the record `active` under its key id.
 * A failure undoes what was done; a crash leaves a pending record that cannot authenticate and that the next
 * command undoes. Without `deliver`, the secret is only returned, after the commit.
 */
export async function createKey(
  ctx: CommandContext,
  input: CreateKeyInput,
  deliver?: (issued: IssuedKey) => void | Promise<void>,
): Promise<IssuedKey> {
  const owner = validateOwner(input.owner);
  const scopes = validateScopes(input.scopes);
  const plan = validatePlan(input.plan ?? DEFAULT_PLAN);
  const name = input.name === undefined ? undefined : validateName(input.name);
  if (input.expiresInSeconds !== undefined && !(Number.isInteger(input.expiresInSeconds) && input.expiresInSeconds > 0)) {
    throw new InputError('invalid_duration', '--expires-in must be a positive duration');
  }
  const usageKeys = ctx.usageKeys();
  usageKeys.assertPlanAvailable(plan);

  const keyId = generateKeyId();
  if ((await ctx.records.loadRecords(keyId, 1)).length > 0) {
    // 95 bits of randomness: practically never; refuse rather than share an id.
    throw new AwsOperationError('concurrent_change', `generated key id ${keyId} is already taken; run the command again`);
  }
  const key = generateApiKey(ctx.keyPrefix);
  const keyHash = hashApiKey(key);
  const pk = apiKeyPartitionKey(keyHash);
  const createdAt = ctx.now();
  const usageValue = newUsageKeyValue();
  const record: ApiKeyRecord = {
    keyId,
    owner,
    name,
    scopes,
    plan,
    status: 'active',
    createdAt,
    expiresAt: input.expiresInSeconds === undefined ? undefined : createdAt + input.expiresInSeconds,
    usageIdentifierKey: usageValue,
  };
  const intent: Intent = {
    operation: 'create',
    pk,
    subject: keyId,
    status: PENDING_STATUS,
    startedAt: createdAt,
    holder: ctx.holder,
    plan,
    owner,
    usageKeyName: keyId,
    usageValue,
  };
  await ctx.engine.write(
    { ...apiKeyItem(keyHash, record), ...pendingAttributes({ operation: 'create', keyId, holder: ctx.holder, usageKeyName: keyId }) },
    intent,
    'PutItem (intent of the new key)',
  );
  await ctx.engine.at('create:intent-written');

  let usage: UsageKeyRef;
  try {
    usage = await usageKeys.create({ plan, name: keyId, description: `Portcullis usage key of ${keyId} (plan ${plan})`, value: usageValue });
  } catch (error) {
    throw await ctx.engine.abort(intent, error, false);
  }
  await ctx.engine.at('create:usage-key-created');

  const issued: IssuedKey = { key, keyId, summary: summarize([{ pk, record: { ...record, usageKeyId: usage.id } }], ctx.now()) };
  const made: Intent = { ...intent, usageKeyId: usage.id };
  const delivered = await ctx.engine.deliver(made, issued, deliver, 'create:secret-shown');
  await ctx.engine.commit(made, usage.id === undefined ? [] : [['usageKeyId', { S: usage.id }]], delivered);
  await ctx.engine.at('create:committed');
  return issued;
}
