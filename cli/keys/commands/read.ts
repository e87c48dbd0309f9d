/** `list` and `show`: read-only views of the keys (never a secret, hash or usage key value). */
import { INTENT_PARTITION, intentFromItem, isStale, STALE_AFTER_SECONDS } from '../intents';
import { InputError } from '../errors';
import { KEY_STATES, type IncompleteChange, type KeySummary, type ListFilter, type ListResult } from '../key-model';
import { fromSdk, type SdkItem } from '../key-records';
import { incompleteChange, readRecord, summarize, type StoredRecord } from '../summaries';
import { validateKeyId, validateOwner, validatePlan } from '../validation';
import type { CommandContext } from './context';

/** Every key (one entry per key id, whatever its number of secrets), oldest first. Paginates through the table. */
export async function listKeys(ctx: CommandContext, filter: ListFilter = {}): Promise<ListResult> {
  const owner = filter.owner === undefined ? undefined : validateOwner(filter.owner);
  const plan = filter.plan === undefined ? undefined : validatePlan(filter.plan);
  if (filter.status !== undefined && !KEY_STATES.includes(filter.status)) {
    throw new InputError('invalid_status', `--status: unknown status ${JSON.stringify(filter.status)}; statuses are: ${KEY_STATES.join(', ')}`);
  }
  const names: Record<string, string> = { '#type': 'type' };
  const values: SdkItem = { ':apiKey': { S: 'apiKey' } };
  let expression = '#type = :apiKey';
  if (plan !== undefined) {
    names['#plan'] = 'plan';
    values[':plan'] = { S: plan };
    expression += ' AND #plan = :plan';
  }
  const items = await ctx.records.listItems({ owner, filter: expression, names, values });

  const byKeyId = new Map<string, StoredRecord[]>();
  let unreadable = 0;
  const incomplete: IncompleteChange[] = [];
  const now = ctx.now();
  for (const item of items) {
    if (item.keyId?.S === INTENT_PARTITION) {
      const intent = intentFromItem(fromSdk(item));
      if (intent === undefined) unreadable++;
      else incomplete.push(incompleteChange(intent, isStale(intent, now, ctx.holderGone)));
      continue;
    }
    const stored = readRecord(item);
    if (stored === undefined) {
      unreadable++;
      continue;
    }
    const group = byKeyId.get(stored.record.keyId) ?? [];
    group.push(stored);
    byKeyId.set(stored.record.keyId, group);
  }
  const keys = [...byKeyId.values()]
    .map((records) => summarize(records, now))
    .filter((summary) => filter.status === undefined || summary.status === filter.status)
    .sort((a, b) => a.createdAt - b.createdAt || a.keyId.localeCompare(b.keyId));
  return { keys, unreadable, incomplete };
}

/** One key's metadata and its secrets (their dates and states, never their values), and any unfinished rotation. */
export async function showKey(ctx: CommandContext, keyId: string): Promise<KeySummary> {
  validateKeyId(keyId);
  const [records, intents] = await Promise.all([ctx.records.loadRecords(keyId), ctx.records.queryIntents(keyId)]);
  const now = ctx.now();
  const incomplete = intents.map((intent) => incompleteChange(intent, isStale(intent, now, ctx.holderGone)));
  if (records.length === 0) {
    if (incomplete.length === 0) throw ctx.records.unknownKey(keyId);
    throw new InputError(
      'unknown_key',
      `key ${keyId} does not exist: its create did not finish (${incomplete[0]!.stale ? 'interrupted' : 'still running, or interrupted'}); ` +
        `it cannot authenticate, and the next keys command undoes it${incomplete[0]!.stale ? '' : ` once it is ${STALE_AFTER_SECONDS / 60} minutes old`}`,
    );
  }
  const summary = summarize(records, now);
  return incomplete.length === 0 ? summary : { ...summary, incomplete };
}
