/**
 * Crash safety of the key CLI: intents (what a multi-step command has started and not finished), how they are
 * stored, and when one is stale. The steps themselves run in key-manager.ts.
 *
 * The problem: `create`, `rotate` and `clients bind` each write to two systems (the key table and API Gateway),
 * or twice to the table, and DynamoDB has no transaction spanning API Gateway. A process killed between two steps
 * (SIGKILL, power loss, a closed laptop) runs no undo code. So every such command writes its intent *first*, in
 * the key table, as an item that no reader can mistake for a usable key:
 *
 * - `create` and `rotate`: the new secret's record itself, written up front with `status: "pending"` and the
 *   reserved key id {@link INTENT_PARTITION} (the real key id is in `intentKeyId`). The authorizer refuses it
 *   twice over (unknown status, malformed key id: lambda/key-table-schema.ts), `show KEY_ID` and `revoke KEY_ID` do not
 *   mistake it for one of the key's secrets, and `list` reports it as incomplete. The command commits with one
 *   conditional UpdateItem that makes the record `active` under its real key id (condition: still `pending`).
 * - `clients bind`: a separate `type: "intent"` item (the binding is live and cannot be pending), deleted once the
 *   binding is written.
 *
 * Every intent sits in the `byKeyId` index under {@link INTENT_PARTITION}, so finding them is one Query of a
 * partition that holds only unfinished work: cheap enough for every write command to do first. An intent is
 * stale when it is older than {@link STALE_AFTER_SECONDS}, or at once when it was written on this host by a
 * process that is gone. A stale intent is rolled back (never rolled forward: its secret may have reached a
 * terminal, but the command did not exit 0, so the secret is void):
 *
 * - create: claim it (`pending` -> `abandoned`, so a late commit fails its condition), delete the hidden usage key
 *   found by its deterministic name (the key id) and the value recorded in the intent, delete the record;
 * - rotate: claim it, restore the previous secret (its expiry, no `rotatedAt`) if this rotation had superseded
 *   it, delete the record: the previous secret stays the only current one;
 * - bind: if the binding holds the intent's usage key, it committed: drop the intent; else delete that usage key
 *   and the intent.
 *
 * Every rollback step is conditional and idempotent, so a rollback that is itself interrupted is finished by the
 * next run. The commit point of create and rotate comes after the secret is printed: a command that printed a
 * secret and was then killed leaves nothing usable (its record stayed pending), and the rerun issues a new one.
 */
import { readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Item } from '../../lambda/key-table-schema';
import { InputError } from './errors';

/** The reserved `keyId` value that files intents in the byKeyId index. Never a well-formed key id. */
export const INTENT_PARTITION = '~intent';
/** An intent older than this is stale whoever holds it (every AWS call of a command is bounded far below it). */
export const STALE_AFTER_SECONDS = 120;
/**
 * A command gives up (and undoes its work) instead of committing once its intent is this old, so no commit lands
 * after another run may have judged the intent stale.
 */
export const COMMIT_DEADLINE_SECONDS = STALE_AFTER_SECONDS - 30;

/** The record status of a create/rotate intent; `abandoned` once a rollback (or a revoke) has claimed it. */
export const PENDING_STATUS = 'pending';
export const ABANDONED_STATUS = 'abandoned';
/** Marks a previous secret a rotation superseded: the new secret's partition key, so a rollback can restore it. */
export const SUPERSEDED_BY_ATTRIBUTE = 'supersededBy';

export type IntentOperation = 'create' | 'rotate' | 'bind';

/**
 * The places where the test-only fault hook can kill the CLI (`PORTCULLIS_KEYS_CRASH_AT=<point>`): the boundaries
 * between the steps of each multi-step command.
 */
export const CRASH_POINTS = [
  'create:intent-written',
  'create:usage-key-created',
  'create:secret-shown',
  'create:committed',
  'rotate:intent-written',
  'rotate:secret-shown',
  'rotate:previous-superseded',
  'rotate:committed',
  'bind:intent-written',
  'bind:usage-key-created',
  'bind:binding-written',
  'reconcile:claimed',
  'reconcile:usage-key-removed',
] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

/** Called at every {@link CrashPoint}; production passes none. */
export type Checkpoint = (point: CrashPoint) => void | Promise<void>;

/** The environment variable of the fault hook. A test hook: unset, it does nothing. */
export const CRASH_AT_VARIABLE = 'PORTCULLIS_KEYS_CRASH_AT';

/**
 * The test-only fault hook: when `PORTCULLIS_KEYS_CRASH_AT` names a crash point, the process SIGKILLs itself there
 * (no undo code, no exit handlers run), as a power cut would. Unset: undefined, nothing happens.
 */
export function crashHookFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  kill: () => void = () => process.kill(process.pid, 'SIGKILL'),
): Checkpoint | undefined {
  const at = env[CRASH_AT_VARIABLE]?.trim();
  if (at === undefined || at === '') return undefined;
  if (!(CRASH_POINTS as readonly string[]).includes(at)) {
    throw new InputError('usage', `${CRASH_AT_VARIABLE}: unknown crash point ${JSON.stringify(at)}; points are: ${CRASH_POINTS.join(', ')}`);
  }
  return (point) => {
    if (point === at) kill();
  };
}

/** Who holds an intent: a process on a host. */
export interface IntentHolder {
  readonly host: string;
  readonly pid: number;
}

/**
 * This process. The host is the hostname plus, on Linux, the pid namespace: two containers that share a hostname
 * do not see each other's pids, so neither may judge the other's process gone.
 */
export function thisProcess(): IntentHolder {
  let namespace = '';
  try {
    namespace = ` ${readlinkSync('/proc/self/ns/pid')}`;
  } catch {
    // Not Linux: the hostname alone.
  }
  return { host: `${hostname()}${namespace}`.slice(0, 256), pid: process.pid };
}

/** True when `holder` is certainly gone: a process of this host that no longer exists. Unknown means alive. */
export function holderIsGone(holder: IntentHolder, self: IntentHolder = thisProcess()): boolean {
  if (holder.host !== self.host || holder.pid === self.pid) return false;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** An unfinished multi-step change, as read back from the table. */
export interface Intent {
  readonly operation: IntentOperation;
  /** The intent item's partition key (for create and rotate: the new secret's record). */
  readonly pk: string;
  /** The key id (create, rotate) or the client id (bind) it is about. */
  readonly subject: string;
  /** `pending`, or `abandoned` once claimed for rollback. */
  readonly status: string;
  readonly startedAt: number;
  readonly holder: IntentHolder;
  readonly plan?: string;
  readonly owner?: string;
  /** The hidden usage key it creates (create, bind): its name and the value chosen before it was made. */
  readonly usageKeyName?: string;
  readonly usageValue?: string;
  /** The API Gateway key id, known only to the process that made it (others find the key by name and value). */
  readonly usageKeyId?: string;
  /** rotate: the previous secret's partition key and expiry before the rotation (absent: never expired). */
  readonly supersedes?: string;
  readonly supersedesExpiresAt?: number;
  /** bind: the binding item's partition key. */
  readonly bindingPk?: string;
}

/** The attributes a create/rotate intent adds to a pending record; all removed by the commit. */
export const INTENT_ATTRIBUTES = [
  'intentOp',
  'intentKeyId',
  'intentHost',
  'intentPid',
  'usageKeyName',
  'supersedes',
  'supersedesExpiresAt',
] as const;

/** The intent attributes of a create/rotate record, to merge into its (pending) item. */
export function pendingAttributes(intent: {
  operation: 'create' | 'rotate';
  keyId: string;
  holder: IntentHolder;
  usageKeyName?: string;
  supersedes?: string;
  supersedesExpiresAt?: number;
}): Item {
  const item: Item = {
    keyId: { S: INTENT_PARTITION },
    status: { S: PENDING_STATUS },
    intentOp: { S: intent.operation },
    intentKeyId: { S: intent.keyId },
    intentHost: { S: intent.holder.host },
    intentPid: { N: String(intent.holder.pid) },
  };
  if (intent.usageKeyName !== undefined) item.usageKeyName = { S: intent.usageKeyName };
  if (intent.supersedes !== undefined) item.supersedes = { S: intent.supersedes };
  if (intent.supersedesExpiresAt !== undefined) item.supersedesExpiresAt = { N: String(intent.supersedesExpiresAt) };
  return item;
}

/** The intent item of `clients bind`. */
export function bindIntentItem(intent: {
  pk: string;
  bindingPk: string;
  clientId: string;
  plan: string;
  usageKeyName: string;
  usageValue: string;
  startedAt: number;
  holder: IntentHolder;
}): Item {
  return {
    pk: { S: intent.pk },
    type: { S: 'intent' },
    keyId: { S: INTENT_PARTITION },
    createdAt: { N: String(intent.startedAt) },
    status: { S: PENDING_STATUS },
    intentOp: { S: 'bind' },
    intentKeyId: { S: intent.clientId },
    intentHost: { S: intent.holder.host },
    intentPid: { N: String(intent.holder.pid) },
    plan: { S: intent.plan },
    bindingPk: { S: intent.bindingPk },
    usageKeyName: { S: intent.usageKeyName },
    usageIdentifierKey: { S: intent.usageValue },
  };
}

export function bindIntentPartitionKey(bindingPk: string): string {
  return `intent#bind#${bindingPk}`;
}

const s = (item: Item, name: string): string | undefined => {
  const value = (item[name] as { S?: unknown } | undefined)?.S;
  return typeof value === 'string' ? value : undefined;
};
const n = (item: Item, name: string): number | undefined => {
  const value = (item[name] as { N?: unknown } | undefined)?.N;
  return typeof value === 'string' && Number.isFinite(Number(value)) ? Number(value) : undefined;
};

/** Reads an intent item (from the INTENT_PARTITION); undefined when it is not one. */
export function intentFromItem(item: Item): Intent | undefined {
  const operation = s(item, 'intentOp');
  const pk = s(item, 'pk');
  const subject = s(item, 'intentKeyId');
  const status = s(item, 'status');
  const startedAt = n(item, 'createdAt');
  if (operation !== 'create' && operation !== 'rotate' && operation !== 'bind') return undefined;
  if (pk === undefined || subject === undefined || status === undefined || startedAt === undefined) return undefined;
  return {
    operation,
    pk,
    subject,
    status,
    startedAt,
    holder: { host: s(item, 'intentHost') ?? '', pid: n(item, 'intentPid') ?? 0 },
    plan: s(item, 'plan'),
    owner: s(item, 'owner'),
    usageKeyName: s(item, 'usageKeyName'),
    usageValue: s(item, 'usageIdentifierKey'),
    supersedes: s(item, 'supersedes'),
    supersedesExpiresAt: n(item, 'supersedesExpiresAt'),
    bindingPk: s(item, 'bindingPk'),
  };
}

/** Whether another run may undo the intent now. */
export function isStale(intent: Intent, nowSeconds: number, gone: (holder: IntentHolder) => boolean = holderIsGone): boolean {
  return nowSeconds - intent.startedAt >= STALE_AFTER_SECONDS || gone(intent.holder);
}
