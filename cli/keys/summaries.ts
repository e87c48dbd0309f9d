/**
 * Pure views of stored records: which secret is current, what state each is in, and the summary `list`, `show`,
 * `create` and `rotate` report. Never a secret, hash or usage key value.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { apiKeyRecordFromItem, apiKeyRecordProblem, type ApiKeyRecord, type Item } from '../../lambda/key-table-schema';
import type { Intent } from './intents';
import { ROTATED_AT_ATTRIBUTE, type IncompleteChange, type KeyState, type KeySummary } from './key-model';
import type { UsageKeyRef } from './usage-keys';

/** One secret's record as stored, with its partition key and the CLI's rotation marker. */
export interface StoredRecord {
  readonly pk: string;
  readonly record: ApiKeyRecord;
  readonly rotatedAt?: number;
}

/** A stored API key record, or undefined when the item is not one (an intent, a malformed record). */
export function readRecord(item: Record<string, AttributeValue>): StoredRecord | undefined {
  try {
    const raw = item as unknown as Item;
    const record = apiKeyRecordFromItem(raw);
    const pk = (raw.pk as { S?: unknown } | undefined)?.S;
    if (typeof pk !== 'string') return undefined;
    const rotated = (raw[ROTATED_AT_ATTRIBUTE] as { N?: unknown } | undefined)?.N;
    return { pk, record, rotatedAt: typeof rotated === 'string' ? Number(rotated) : undefined };
  } catch {
    return undefined;
  }
}

export function incompleteChange(intent: Intent, stale: boolean): IncompleteChange {
  return { operation: intent.operation, subject: intent.subject, startedAt: intent.startedAt, stale };
}

export function stateOf(record: ApiKeyRecord, now: number): KeyState {
  switch (apiKeyRecordProblem(record, now)) {
    case 'api_key_revoked':
      return 'revoked';
    case 'api_key_expired':
      return 'expired';
    case 'api_key_not_yet_active':
      return 'not_yet_active';
    default:
      return 'active';
  }
}

/** The newest active record that no rotation superseded (else the newest active one), or undefined if all are revoked. */
export function pickCurrent<T extends { readonly record: ApiKeyRecord; readonly rotatedAt?: number }>(records: readonly T[]): T | undefined {
  const active = records
    .filter((r) => r.record.status === 'active' && r.record.revokedAt === undefined)
    .sort((a, b) => b.record.createdAt - a.record.createdAt);
  return active.find((r) => r.rotatedAt === undefined) ?? active[0];
}

export function maxOf(values: ReadonlyArray<number | undefined>): number | undefined {
  const defined = values.filter((v): v is number => v !== undefined);
  return defined.length === 0 ? undefined : Math.max(...defined);
}

export function usageKeyOf(records: readonly ApiKeyRecord[]): UsageKeyRef | undefined {
  const withKey = records.find((r) => r.usageIdentifierKey !== undefined);
  return withKey === undefined ? undefined : { value: withKey.usageIdentifierKey!, id: withKey.usageKeyId };
}

export function summarize(records: readonly StoredRecord[], now: number): KeySummary {
  // Oldest first; in the same second, a superseded secret is older than the one that replaced it.
  const byAge = [...records].sort(
    (a, b) => a.record.createdAt - b.record.createdAt || Number(b.rotatedAt !== undefined) - Number(a.rotatedAt !== undefined),
  );
  const current = pickCurrent(records);
  const shown = (current ?? byAge[byAge.length - 1]!).record;
  const first = byAge[0]!.record;
  const status: KeyState = current === undefined ? 'revoked' : stateOf(current.record, now);
  return {
    keyId: shown.keyId,
    owner: shown.owner,
    name: shown.name,
    scopes: shown.scopes,
    plan: shown.plan,
    status,
    createdAt: first.createdAt,
    rotatedAt: shown.createdAt > first.createdAt ? shown.createdAt : undefined,
    expiresAt: shown.expiresAt,
    revokedAt: status === 'revoked' ? maxOf(records.map((r) => r.record.revokedAt)) : undefined,
    lastUsedAt: maxOf(records.map((r) => r.record.lastUsedAt)),
    usageKeyId: shown.usageKeyId,
    secrets: byAge
      .map(({ record }) => ({
        createdAt: record.createdAt,
        expiresAt: record.expiresAt,
        revokedAt: record.revokedAt,
        lastUsedAt: record.lastUsedAt,
        state: stateOf(record, now),
        current: current !== undefined && record === current.record,
      }))
      .reverse(),
  };
}
