/** `clients bind`: meter a JWT client under a usage plan, crash-safely (intents.ts). */
import { clientBindingFromItem, clientBindingItem, clientBindingPartitionKey, type ClientBindingRecord } from '../../../lambda/key-table-schema';
import { replaceBinding } from '../conditional-updates';
import { AwsOperationError } from '../errors';
import { bindIntentItem, bindIntentPartitionKey, PENDING_STATUS, STALE_AFTER_SECONDS, type Intent } from '../intents';
import type { BindClientInput, BindClientResult } from '../key-model';
import { fromSdk } from '../key-records';
import { newUsageKeyValue, type UsageKeyRef } from '../usage-keys';
import { validateClientId, validateIssuer, validatePlan } from '../validation';
import type { CommandContext } from './context';

const publicView = ({ usageIdentifierKey: _hidden, ...rest }: ClientBindingRecord): BindClientResult['binding'] => rest;

/**
 * Meters a JWT client (client-credentials caller) under a plan: its own hidden usage key in the plan's usage
 * plan, and a binding record the authorizer reads. Binding again to the same plan is a no-op; to another plan,
 * a new hidden key replaces the binding's (conditional on the binding being unchanged meanwhile).
 *
 * Steps (crash safety: see intents.ts): an intent item naming the usage key's name and value (also a lock: one
 * bind of a client at a time); the hidden usage key; the binding; the intent deleted.
 */
export async function bindClient(ctx: CommandContext, input: BindClientInput): Promise<BindClientResult> {
  const issuer = validateIssuer(input.issuer);
  const clientId = validateClientId(input.clientId);
  const plan = validatePlan(input.plan);
  const usageKeys = ctx.usageKeys();
  usageKeys.assertPlanAvailable(plan);
  const pk = clientBindingPartitionKey(issuer, clientId);
  const item = await ctx.records.get('client binding', pk);
  const existing = item === undefined ? undefined : clientBindingFromItem(fromSdk(item));
  if (existing !== undefined && existing.plan === plan) {
    return { binding: publicView(existing), outcome: 'unchanged' };
  }
  const startedAt = ctx.now();
  const usageKeyName = `client:${clientId}`.slice(0, 256);
  const usageValue = newUsageKeyValue();
  const intent: Intent = {
    operation: 'bind',
    pk: bindIntentPartitionKey(pk),
    subject: clientId,
    status: PENDING_STATUS,
    startedAt,
    holder: ctx.holder,
    plan,
    usageKeyName,
    usageValue,
    bindingPk: pk,
  };
  let locked: boolean;
  try {
    locked = await ctx.records.putNew(
      'PutItem (intent of the binding)',
      bindIntentItem({ pk: intent.pk, bindingPk: pk, clientId, plan, usageKeyName, usageValue, startedAt, holder: ctx.holder }),
    );
  } catch (error) {
    throw await ctx.engine.abort(intent, error, false);
  }
  if (!locked) {
    throw new AwsOperationError(
      'concurrent_change',
      `another "clients bind" of client ${clientId} is running, or was interrupted less than ${STALE_AFTER_SECONDS / 60} minutes ago ` +
        `(it is undone then): nothing was changed; try again later`,
    );
  }
  await ctx.engine.at('bind:intent-written');

  let usage: UsageKeyRef;
  try {
    usage = await usageKeys.create({ plan, name: usageKeyName, description: `Portcullis usage key of JWT client ${clientId}`.slice(0, 256), value: usageValue });
  } catch (error) {
    throw await ctx.engine.abort(intent, error, false);
  }
  await ctx.engine.at('bind:usage-key-created');
  const made: Intent = { ...intent, usageKeyId: usage.id };
  await ctx.engine.checkDeadline(made, false);

  const record: ClientBindingRecord = { issuer, clientId, plan, usageIdentifierKey: usage.value, usageKeyId: usage.id, createdAt: ctx.now() };
  let written: boolean;
  try {
    written = await ctx.records.putIf('PutItem (client binding)', clientBindingItem(record), replaceBinding(existing));
  } catch (error) {
    throw await ctx.engine.abort(made, error, false);
  }
  if (!written) {
    throw await ctx.engine.abort(
      made,
      new AwsOperationError('concurrent_change', `the binding of client ${clientId} changed while binding; nothing was changed: try again`),
      false,
    );
  }
  await ctx.engine.at('bind:binding-written');
  try {
    await ctx.engine.deleteIntent(made, PENDING_STATUS);
  } catch {
    // The binding is written: the next command finds the leftover intent complete and drops it.
  }
  return {
    binding: publicView(record),
    outcome: existing === undefined ? 'created' : 'rebound',
    previous: existing === undefined ? undefined : { plan: existing.plan, usageKeyId: existing.usageKeyId },
  };
}
