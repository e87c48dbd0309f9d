/**
 * Every conditional write of the key CLI, each built in one place: what it changes and the condition that keeps it
 * safe (a hash never overwritten, a revoked record never rewritten, an intent changed only by its own steps).
 * Pure: key-records.ts sends them.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { KEY_TABLE_SCHEMA } from '../../lambda/key-table-schema';
import { ABANDONED_STATUS, INTENT_ATTRIBUTES, INTENT_PARTITION, PENDING_STATUS, SUPERSEDED_BY_ATTRIBUTE, type Intent } from './intents';
import { ROTATED_AT_ATTRIBUTE, SUPERSEDED_RETENTION_SECONDS } from './key-model';

export interface ConditionalWrite {
  /** The UpdateExpression (UpdateItem only). */
  readonly update: string;
  readonly condition: string;
  readonly names?: Record<string, string>;
  readonly values?: Record<string, AttributeValue>;
}

const n = (value: number): AttributeValue => ({ N: String(value) });
const s = (value: string): AttributeValue => ({ S: value });

/** The condition that an item is still this intent (same operation, same start), in one of `statuses`. */
function stillThisIntent(intent: Intent, statuses: readonly string[], withSubject: boolean): Omit<ConditionalWrite, 'update'> {
  const values: Record<string, AttributeValue> = { ':intents': s(INTENT_PARTITION), ':op': s(intent.operation), ':startedAt': n(intent.startedAt) };
  statuses.forEach((status, index) => (values[`:status${index}`] = s(status)));
  if (withSubject) values[':subject'] = s(intent.subject);
  const statusTest = statuses.length === 1 ? '#status = :status0' : `#status IN (${statuses.map((_, i) => `:status${i}`).join(', ')})`;
  return {
    condition: `keyId = :intents AND intentOp = :op${withSubject ? ' AND intentKeyId = :subject' : ''} AND createdAt = :startedAt AND ${statusTest}`,
    names: { '#status': 'status' },
    values,
  };
}

/**
 * pending -> abandoned, so that the intent's own process can no longer commit it. A rollback claims an intent that
 * may already be abandoned (an interrupted rollback); a revoke abandons only pending ones.
 */
export function abandonIntent(intent: Intent, alsoIfAbandoned: boolean): ConditionalWrite {
  const test = stillThisIntent(intent, alsoIfAbandoned ? [PENDING_STATUS, ABANDONED_STATUS] : [PENDING_STATUS], true);
  return { ...test, update: 'SET #status = :abandoned', values: { ...test.values, ':abandoned': s(ABANDONED_STATUS) } };
}

/** Deletes an intent item (a pending record or a bind intent) only while it is still this intent in `status`. */
export function deleteIntent(intent: Intent, status: string): Omit<ConditionalWrite, 'update'> {
  return stillThisIntent(intent, [status], false);
}

/**
 * The commit of create and rotate: the pending record becomes `active` under its key id, while it is still this
 * intent's pending record (a revoke or another run's rollback abandons it first). `set` adds attributes.
 */
export function commitIntent(intent: Intent, set: ReadonlyArray<[string, AttributeValue]>): ConditionalWrite {
  const test = stillThisIntent(intent, [PENDING_STATUS], true);
  const names: Record<string, string> = { ...test.names };
  const values: Record<string, AttributeValue> = { ...test.values, ':active': s('active') };
  const assignments = ['keyId = :subject', '#status = :active'];
  set.forEach(([name, value], index) => {
    names[`#set${index}`] = name;
    values[`:set${index}`] = value;
    assignments.push(`#set${index} = :set${index}`);
  });
  return { update: `SET ${assignments.join(', ')} REMOVE ${INTENT_ATTRIBUTES.join(', ')}`, condition: test.condition, names, values };
}

/**
 * Rotate's second step: the previous secret's expiry cut to `validUntil`, marked superseded by `nextPk`, while it is
 * still active, not superseded and with the expiry it was read with.
 */
export function supersedeSecret(now: number, validUntil: number, nextPk: string, oldExpiresAt: number | undefined): ConditionalWrite {
  const values: Record<string, AttributeValue> = {
    ':active': s('active'),
    ':now': n(now),
    ':validUntil': n(validUntil),
    ':purgeAt': n(validUntil + SUPERSEDED_RETENTION_SECONDS),
    ':next': s(nextPk),
  };
  let expiryTest = 'attribute_not_exists(expiresAt)';
  if (oldExpiresAt !== undefined) {
    values[':oldExpiresAt'] = n(oldExpiresAt);
    expiryTest = 'expiresAt = :oldExpiresAt';
  }
  return {
    update: 'SET #rotatedAt = :now, expiresAt = :validUntil, #purgeAt = :purgeAt, #supersededBy = :next',
    condition: `attribute_exists(pk) AND #status = :active AND attribute_not_exists(#rotatedAt) AND ${expiryTest}`,
    names: { '#status': 'status', '#rotatedAt': ROTATED_AT_ATTRIBUTE, '#purgeAt': KEY_TABLE_SCHEMA.ttlAttribute, '#supersededBy': SUPERSEDED_BY_ATTRIBUTE },
    values,
  };
}

/** Undoes {@link supersedeSecret} of this rotation: the previous secret as it was (only if this rotation superseded it). */
export function restoreSuperseded(intent: Intent): ConditionalWrite {
  const expiry = intent.supersedesExpiresAt;
  const remove = ['#rotatedAt', '#purgeAt', '#supersededBy', ...(expiry === undefined ? ['expiresAt'] : [])];
  return {
    update: `${expiry === undefined ? '' : 'SET expiresAt = :expiresAt '}REMOVE ${remove.join(', ')}`,
    condition: '#supersededBy = :next',
    names: { '#rotatedAt': ROTATED_AT_ATTRIBUTE, '#purgeAt': KEY_TABLE_SCHEMA.ttlAttribute, '#supersededBy': SUPERSEDED_BY_ATTRIBUTE },
    values: { ':next': s(intent.pk), ...(expiry === undefined ? {} : { ':expiresAt': n(expiry) }) },
  };
}

/** An active record revoked; a revoked (or purged) one is left as it is. */
export function revokeSecret(now: number): ConditionalWrite {
  return {
    update: 'SET #status = :revoked, revokedAt = :now',
    condition: 'attribute_exists(pk) AND #status = :active',
    names: { '#status': 'status' },
    values: { ':revoked': s('revoked'), ':active': s('active'), ':now': n(now) },
  };
}

/** A client binding written only over the binding it replaces (or none): a concurrent change fails it. */
export function replaceBinding(existing: { readonly plan: string; readonly usageIdentifierKey?: string } | undefined): Omit<ConditionalWrite, 'update'> {
  if (existing === undefined) return { condition: 'attribute_not_exists(pk)' };
  const values: Record<string, AttributeValue> = { ':oldPlan': s(existing.plan) };
  let usageTest = 'attribute_not_exists(usageIdentifierKey)';
  if (existing.usageIdentifierKey !== undefined) {
    usageTest = 'usageIdentifierKey = :oldUsage';
    values[':oldUsage'] = s(existing.usageIdentifierKey);
  }
  return { condition: `#plan = :oldPlan AND ${usageTest}`, names: { '#plan': 'plan' }, values };
}
