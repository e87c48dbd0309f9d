/**
 * The key CLI's core: create, list, show, rotate and revoke API keys, and bind JWT clients to usage plans.
 * Collaborators are passed in (a DynamoDB client, a {@link UsageKeyProvider}, a clock), so tests drive it against
 * a real local DynamoDB and the CLI only parses arguments and prints.
 *
 * Records follow the shared schema (lambda/key-table-schema.ts). All records of one key share its public key id; each
 * secret has its own record (partition key = hash of the secret). The *current* record is the newest active,
 * non-superseded one.
 *
 * Safety rules:
 * - every write is conditional: a hash is never overwritten, a revoked or superseded record never changed back;
 * - bad input is refused before anything is written ({@link InputError});
 * - a multi-step change that fails half way is undone (create, rotate, clients bind), or is safe to run again
 *   (revoke);
 * - a multi-step change that is *killed* half way (no undo code runs) leaves an intent that cannot authenticate,
 *   and the next write command ({@link KeyManager.reconcile}) undoes it: see intents.ts for the design.
 */
import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
  type AttributeValue as SdkAttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { generateApiKey, generateKeyId, hashApiKey, KEY_PREFIX_PATTERN } from '../../lambda/api-key-format';
import {
  apiKeyItem,
  apiKeyPartitionKey,
  apiKeyRecordFromItem,
  apiKeyRecordProblem,
  clientBindingFromItem,
  clientBindingItem,
  clientBindingPartitionKey,
  KEY_TABLE_SCHEMA,
  type ApiKeyRecord,
  type ClientBindingRecord,
  type Item,
} from '../../lambda/key-table-schema';
import type { TierName } from '../../infra/usage-tiers';
import { AwsOperationError, InputError, KeyCliError, describeAwsFailure, sdkErrorName } from './errors';
import {
  ABANDONED_STATUS,
  bindIntentItem,
  bindIntentPartitionKey,
  COMMIT_DEADLINE_SECONDS,
  holderIsGone,
  INTENT_ATTRIBUTES,
  INTENT_PARTITION,
  intentFromItem,
  isStale,
  pendingAttributes,
  PENDING_STATUS,
  STALE_AFTER_SECONDS,
  SUPERSEDED_BY_ATTRIBUTE,
  thisProcess,
  type Checkpoint,
  type CrashPoint,
  type Intent,
  type IntentHolder,
  type IntentOperation,
} from './intents';
import { newUsageKeyValue, type FlushOutcome, type UsageKeyProvider, type UsageKeyRef } from './usage-keys';
import {
  validateClientId,
  validateIssuer,
  validateKeyId,
  validateName,
  validateOwner,
  validatePlan,
  validateScopes,
} from './validation';

/** Attribute set on a record when a rotation supersedes it (the CLI's own marker; the authorizer ignores it). */
export const ROTATED_AT_ATTRIBUTE = 'rotatedAt';
/** A superseded record is purged (TTL) this long after its grace period ends. */
export const SUPERSEDED_RETENTION_SECONDS = 30 * 86_400;
export const DEFAULT_PLAN: TierName = 'free';
export const DEFAULT_GRACE_SECONDS = 3600;
export const MAX_GRACE_SECONDS = 30 * 86_400;

export type KeyState = 'active' | 'revoked' | 'expired' | 'not_yet_active';
export const KEY_STATES: readonly KeyState[] = ['active', 'revoked', 'expired', 'not_yet_active'];

/** One secret of a key (never its value or hash). */
export interface SecretSummary {
  readonly createdAt: number;
  readonly expiresAt?: number;
  readonly revokedAt?: number;
  readonly lastUsedAt?: number;
  readonly state: KeyState;
  /** The secret `rotate` would replace. */
  readonly current: boolean;
}

/** What `list` and `show` report about a key: metadata only, never a secret, hash or usage key value. */
export interface KeySummary {
  readonly keyId: string;
  readonly owner: string;
  readonly name?: string;
  readonly scopes: readonly string[];
  readonly plan?: string;
  readonly status: KeyState;
  /** When the key (its first secret) was created. */
  readonly createdAt: number;
  /** When the current secret was created, if the key was rotated. */
  readonly rotatedAt?: number;
  readonly expiresAt?: number;
  readonly revokedAt?: number;
  /** Latest use of any of its secrets, as recorded by the authorizer (at most every LAST_USED_INTERVAL). */
  readonly lastUsedAt?: number;
  /** The hidden API Gateway key's id (not its value). */
  readonly usageKeyId?: string;
  readonly secrets: readonly SecretSummary[];
  /** Unfinished rotations of this key (interrupted or running): their secrets cannot authenticate. */
  readonly incomplete?: readonly IncompleteChange[];
}

/** An unfinished create, rotate or clients bind, as `list` and `show` report it. */
export interface IncompleteChange {
  readonly operation: IntentOperation;
  /** The key id (create, rotate) or client id (bind). */
  readonly subject: string;
  readonly startedAt: number;
  /** True when the next write command will undo it (interrupted); false while it may still be running. */
  readonly stale: boolean;
}

export type RollbackOutcome = 'rolled_back' | 'committed' | 'gone';

export interface ReconcileEntry {
  readonly intent: IncompleteChange;
  readonly outcome: RollbackOutcome | 'failed';
  readonly reason?: string;
}

export interface ReconcileReport {
  /** Stale intents found, and what became of each. */
  readonly entries: readonly ReconcileEntry[];
  /** Intents that may still be running (left alone). */
  readonly inProgress: number;
}

export interface CreateKeyInput {
  readonly owner: string;
  readonly scopes: readonly string[];
  /** @default 'free' */
  readonly plan?: string;
  readonly name?: string;
  /** Seconds from now; none = never expires. */
  readonly expiresInSeconds?: number;
}

export interface IssuedKey {
  /** The secret: shown once, stored only as its hash. */
  readonly key: string;
  readonly keyId: string;
  readonly summary: KeySummary;
}

export interface RotatedKey extends IssuedKey {
  /** When the previous secret stops working. */
  readonly previousValidUntil: number;
}

export interface ListFilter {
  readonly owner?: string;
  readonly plan?: string;
  readonly status?: KeyState;
}

export interface ListResult {
  readonly keys: readonly KeySummary[];
  /** Records that could not be read (malformed); left out of `keys`. */
  readonly unreadable: number;
  /** Unfinished creates and rotations (pending records): never keys, they cannot authenticate. */
  readonly incomplete: readonly IncompleteChange[];
}

export interface RevokeResult {
  readonly keyId: string;
  /** True when every secret was already revoked: nothing was written to the key table. */
  readonly alreadyRevoked: boolean;
  /** Secrets this call revoked. */
  readonly revokedSecrets: number;
  /** Unfinished creates or rotations of the key this call stopped from ever completing. */
  readonly cancelledChanges: number;
  readonly revokedAt?: number;
  readonly usageKey: 'disabled' | 'not_found' | 'none';
  readonly cacheFlush: FlushOutcome;
  /** Present when a second flush was made after waiting out the authorizer's key cache. */
  readonly lateCacheFlush?: FlushOutcome;
}

export interface RevokeOptions {
  /**
   * Wait this long (the authorizer's KEY_CACHE_TTL) and flush the stage's authorizer cache again, so no result the
   * gateway cached from a stale in-function lookup survives. @default 0 (no second flush)
   */
  readonly waitForKeyCacheSeconds?: number;
}

export interface BindClientInput {
  readonly issuer: string;
  readonly clientId: string;
  readonly plan: string;
}

export interface BindClientResult {
  readonly binding: Omit<ClientBindingRecord, 'usageIdentifierKey'>;
  readonly outcome: 'created' | 'unchanged' | 'rebound';
  /** After a rebind: the hidden key of the previous plan, no longer used by this client. */
  readonly previous?: { readonly plan: string; readonly usageKeyId?: string };
}

export interface KeyManagerOptions {
  readonly dynamodb: DynamoDBClient;
  readonly tableName: string;
  /** This deployment's key prefix, e.g. `ptc_live_`. */
  readonly keyPrefix: string;
  /** Needed by create, revoke and clients bind. */
  readonly usageKeys?: UsageKeyProvider;
  /** Epoch seconds. @default the system clock */
  readonly nowSeconds?: () => number;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /**
   * Revoke reads the key's records a second time after this delay and revokes any it had not seen (a secret made by
   * a rotation moments before may not be visible in the byKeyId index yet). @default 0 (no second read)
   */
  readonly revokeRecheckMs?: number;
  /** Page size of list/show reads (tests use a small one to exercise pagination). @default DynamoDB's 1 MB pages */
  readonly pageSize?: number;
  /** The store, for messages ("the local store at http://127.0.0.1:8000"). */
  readonly where?: string;
  /** Called between the steps of multi-step commands: the test-only fault hook (intents.ts). @default none */
  readonly checkpoint?: Checkpoint;
  /** Who this process is, recorded in its intents. @default this host and pid */
  readonly holder?: IntentHolder;
  /** Whether an intent's holder is certainly gone. @default a process of this host that no longer exists */
  readonly holderIsGone?: (holder: IntentHolder) => boolean;
}

/** Appended to a failure after the secret was printed. */
const VOID_SECRET = 'the secret shown above was never activated and does not work';

interface StoredRecord {
  readonly pk: string;
  readonly record: ApiKeyRecord;
  readonly rotatedAt?: number;
}

type SdkItem = Record<string, SdkAttributeValue>;
const toSdk = (item: Item): SdkItem => item as unknown as SdkItem;
const fromSdk = (item: SdkItem): Item => item as unknown as Item;

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class KeyManager {
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly holder: IntentHolder;
  private readonly holderGone: (holder: IntentHolder) => boolean;

  constructor(private readonly options: KeyManagerOptions) {
    if (!KEY_PREFIX_PATTERN.test(options.keyPrefix)) {
      throw new InputError('missing_target', `key prefix ${JSON.stringify(options.keyPrefix)} is not "<product>_<environment>_"`);
    }
    this.now = options.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
    this.sleep = options.sleep ?? realSleep;
    this.holder = options.holder ?? thisProcess();
    const self = this.holder;
    this.holderGone = options.holderIsGone ?? ((holder) => holderIsGone(holder, self));
  }

  // ---------------------------------------------------------------------------------------------- create

  /**
   * Issues a key. Steps (crash safety: see intents.ts):
   * 1. the intent: the new record, `pending` under the reserved key id, naming the key id and the usage key value;
   * 2. the hidden usage key (API Gateway key named after the key id + usage plan key);
   * 3. `deliver` (the CLI prints the secret);
   * 4. the commit: one conditional UpdateItem makes the record `active` under its key id.
   * A failure undoes what was done; a crash leaves a pending record that cannot authenticate and that the next
   * command undoes. Without `deliver`, the secret is only returned, after the commit.
   */
  async create(input: CreateKeyInput, deliver?: (issued: IssuedKey) => void | Promise<void>): Promise<IssuedKey> {
    const owner = validateOwner(input.owner);
    const scopes = validateScopes(input.scopes);
    const plan = validatePlan(input.plan ?? DEFAULT_PLAN);
    const name = input.name === undefined ? undefined : validateName(input.name);
    if (input.expiresInSeconds !== undefined && !(Number.isInteger(input.expiresInSeconds) && input.expiresInSeconds > 0)) {
      throw new InputError('invalid_duration', '--expires-in must be a positive duration');
    }
    const usageKeys = this.requireUsageKeys();
    usageKeys.assertPlanAvailable(plan);

    const keyId = generateKeyId();
    if ((await this.loadRecords(keyId, 1)).length > 0) {
      // 95 bits of randomness: practically never; refuse rather than share an id.
      throw new AwsOperationError('concurrent_change', `generated key id ${keyId} is already taken; run the command again`);
    }
    const key = generateApiKey(this.options.keyPrefix);
    const keyHash = hashApiKey(key);
    const pk = apiKeyPartitionKey(keyHash);
    const createdAt = this.now();
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
      holder: this.holder,
      plan,
      owner,
      usageKeyName: keyId,
      usageValue,
    };
    await this.writeIntent(
      { ...apiKeyItem(keyHash, record), ...pendingAttributes({ operation: 'create', keyId, holder: this.holder, usageKeyName: keyId }) },
      intent,
      'PutItem (intent of the new key)',
    );
    await this.at('create:intent-written');

    let usage: UsageKeyRef;
    try {
      usage = await usageKeys.create({ plan, name: keyId, description: `Portcullis usage key of ${keyId} (plan ${plan})`, value: usageValue });
    } catch (error) {
      throw await this.abort(intent, error, false);
    }
    await this.at('create:usage-key-created');

    const issued: IssuedKey = { key, keyId, summary: summarize([{ pk, record: { ...record, usageKeyId: usage.id } }], this.now()) };
    const made: Intent = { ...intent, usageKeyId: usage.id };
    const delivered = await this.deliver(made, issued, deliver, 'create:secret-shown');
    await this.commitPending(made, usage.id === undefined ? [] : [['usageKeyId', { S: usage.id }]], delivered);
    await this.at('create:committed');
    return issued;
  }

  // ---------------------------------------------------------------------------------------------- list / show

  /** Every key (one entry per key id, whatever its number of secrets), oldest first. Paginates through the table. */
  async list(filter: ListFilter = {}): Promise<ListResult> {
    const owner = filter.owner === undefined ? undefined : validateOwner(filter.owner);
    const plan = filter.plan === undefined ? undefined : validatePlan(filter.plan);
    if (filter.status !== undefined && !KEY_STATES.includes(filter.status)) {
      throw new InputError('invalid_status', `--status: unknown status ${JSON.stringify(filter.status)}; statuses are: ${KEY_STATES.join(', ')}`);
    }
    const names: Record<string, string> = { '#type': 'type' };
    const values: SdkItem = { ':apiKey': { S: 'apiKey' } };
    let filterExpression = '#type = :apiKey';
    if (plan !== undefined) {
      names['#plan'] = 'plan';
      values[':plan'] = { S: plan };
      filterExpression += ' AND #plan = :plan';
    }
    const items: SdkItem[] = [];
    let startKey: SdkItem | undefined;
    do {
      const page = await this.call(owner === undefined ? 'Scan' : 'Query (byOwner)', () =>
        owner === undefined
          ? this.options.dynamodb.send(
              new ScanCommand({
                TableName: this.options.tableName,
                FilterExpression: filterExpression,
                ExpressionAttributeNames: names,
                ExpressionAttributeValues: values,
                ExclusiveStartKey: startKey,
                Limit: this.options.pageSize,
              }),
            )
          : this.options.dynamodb.send(
              new QueryCommand({
                TableName: this.options.tableName,
                IndexName: KEY_TABLE_SCHEMA.ownerIndex,
                KeyConditionExpression: '#owner = :owner',
                FilterExpression: filterExpression,
                ExpressionAttributeNames: { ...names, '#owner': 'owner' },
                ExpressionAttributeValues: { ...values, ':owner': { S: owner } },
                ExclusiveStartKey: startKey,
                Limit: this.options.pageSize,
              }),
            ),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);

    const byKeyId = new Map<string, StoredRecord[]>();
    let unreadable = 0;
    const incomplete: IncompleteChange[] = [];
    const now = this.now();
    for (const item of items) {
      if (item.keyId?.S === INTENT_PARTITION) {
        const intent = intentFromItem(fromSdk(item));
        if (intent === undefined) unreadable++;
        else incomplete.push(incompleteChange(intent, isStale(intent, now, this.holderGone)));
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
  async show(keyId: string): Promise<KeySummary> {
    validateKeyId(keyId);
    const [records, intents] = await Promise.all([this.loadRecords(keyId), this.queryIntents(keyId)]);
    const now = this.now();
    const incomplete = intents.map((intent) => incompleteChange(intent, isStale(intent, now, this.holderGone)));
    if (records.length === 0) {
      if (incomplete.length === 0) throw new InputError('unknown_key', `unknown key id ${keyId} (no such key in table ${this.options.tableName})`);
      throw new InputError(
        'unknown_key',
        `key ${keyId} does not exist: its create did not finish (${incomplete[0]!.stale ? 'interrupted' : 'still running, or interrupted'}); ` +
          `it cannot authenticate, and the next keys command undoes it${incomplete[0]!.stale ? '' : ` once it is ${STALE_AFTER_SECONDS / 60} minutes old`}`,
      );
    }
    const summary = summarize(records, now);
    return incomplete.length === 0 ? summary : { ...summary, incomplete };
  }

  // ---------------------------------------------------------------------------------------------- rotate

  /**
   * Issues a new secret for the key: same key id, owner, name, scopes, plan, expiry and usage identifier (so usage
   * plan counters carry on). The previous secret keeps working for `graceSeconds`, then is refused.
   *
   * Steps (crash safety: see intents.ts): the new record, `pending` (the intent, naming the previous secret and its
   * expiry); `deliver` (the CLI prints the secret); the previous secret superseded (its expiry cut to the grace
   * end, on condition that it is still active and not superseded); the commit (the new record made `active`,
   * on condition that it is still pending: a revoke meanwhile abandons it). A failure or a crash before the commit
   * is undone: the previous secret is restored and stays the only current one.
   */
  async rotate(
    keyId: string,
    graceSeconds: number = DEFAULT_GRACE_SECONDS,
    deliver?: (rotated: RotatedKey) => void | Promise<void>,
  ): Promise<RotatedKey> {
    validateKeyId(keyId);
    if (!(Number.isInteger(graceSeconds) && graceSeconds >= 0 && graceSeconds <= MAX_GRACE_SECONDS)) {
      throw new InputError('invalid_duration', `--grace must be between 0s and 30d`);
    }
    const records = await this.requireRecords(keyId);
    const now = this.now();
    const current = pickCurrent(records);
    const state = current === undefined ? 'revoked' : stateOf(current.record, now);
    if (current === undefined || state === 'revoked' || state === 'expired') {
      throw new InputError('key_not_usable', `key ${keyId} is ${state === 'revoked' ? 'revoked' : 'expired'}: it cannot be rotated; create a new key`);
    }
    const old = current.record;
    const key = generateApiKey(this.options.keyPrefix);
    const keyHash = hashApiKey(key);
    const pk = apiKeyPartitionKey(keyHash);
    const next: ApiKeyRecord = {
      keyId: old.keyId,
      owner: old.owner,
      name: old.name,
      scopes: old.scopes,
      plan: old.plan,
      status: 'active',
      createdAt: now,
      notBefore: old.notBefore,
      expiresAt: old.expiresAt,
      usageIdentifierKey: old.usageIdentifierKey,
      usageKeyId: old.usageKeyId,
    };
    const intent: Intent = {
      operation: 'rotate',
      pk,
      subject: keyId,
      status: PENDING_STATUS,
      startedAt: now,
      holder: this.holder,
      plan: old.plan,
      owner: old.owner,
      supersedes: current.pk,
      supersedesExpiresAt: old.expiresAt,
    };
    await this.writeIntent(
      {
        ...apiKeyItem(keyHash, next),
        ...pendingAttributes({ operation: 'rotate', keyId, holder: this.holder, supersedes: current.pk, supersedesExpiresAt: old.expiresAt }),
      },
      intent,
      'PutItem (new secret, pending)',
    );
    await this.at('rotate:intent-written');

    const graceEnd = now + graceSeconds;
    const validUntil = old.expiresAt === undefined ? graceEnd : Math.min(old.expiresAt, graceEnd);
    const projected = [
      ...records.map((r) => (r.pk === current.pk ? { ...r, rotatedAt: now, record: { ...r.record, expiresAt: validUntil } } : r)),
      { pk, record: next },
    ];
    const rotated: RotatedKey = { key, keyId, previousValidUntil: validUntil, summary: summarize(projected, now) };
    const delivered = await this.deliver(intent, rotated, deliver, 'rotate:secret-shown');

    const values: SdkItem = {
      ':active': { S: 'active' },
      ':now': { N: String(now) },
      ':validUntil': { N: String(validUntil) },
      ':purgeAt': { N: String(validUntil + SUPERSEDED_RETENTION_SECONDS) },
      ':next': { S: pk },
    };
    let condition = '#status = :active AND attribute_not_exists(#rotatedAt)';
    if (old.expiresAt === undefined) {
      condition += ' AND attribute_not_exists(expiresAt)';
    } else {
      values[':oldExpiresAt'] = { N: String(old.expiresAt) };
      condition += ' AND expiresAt = :oldExpiresAt';
    }
    try {
      await this.call('UpdateItem (supersede previous secret)', () =>
        this.options.dynamodb.send(
          new UpdateItemCommand({
            TableName: this.options.tableName,
            Key: { pk: { S: current.pk } },
            UpdateExpression: `SET #rotatedAt = :now, expiresAt = :validUntil, #purgeAt = :purgeAt, #supersededBy = :next`,
            ConditionExpression: `attribute_exists(pk) AND ${condition}`,
            ExpressionAttributeNames: {
              '#status': 'status',
              '#rotatedAt': ROTATED_AT_ATTRIBUTE,
              '#purgeAt': KEY_TABLE_SCHEMA.ttlAttribute,
              '#supersededBy': SUPERSEDED_BY_ATTRIBUTE,
            },
            ExpressionAttributeValues: values,
          }),
        ),
      );
    } catch (error) {
      throw await this.abort(
        intent,
        isConditionFailure(error)
          ? new AwsOperationError(
              'concurrent_change',
              `key ${keyId} was rotated or revoked by someone else while rotating; nothing was changed: run "show ${keyId}" and try again`,
            )
          : error,
        delivered,
      );
    }
    await this.at('rotate:previous-superseded');

    await this.commitPending(intent, [], delivered);
    await this.at('rotate:committed');
    if (delivered) return rotated;
    const after = await this.loadRecords(keyId);
    return { ...rotated, summary: summarize(after.length > 0 ? after : projected, this.now()) };
  }

  // ---------------------------------------------------------------------------------------------- revoke

  /**
   * Revokes every secret of the key (the current one and any still in a rotation grace period): a conditional
   * update per record, so a revoked record is never rewritten and running it again is a no-op for the table.
   * Then flushes the stage's authorizer cache and disables the hidden usage key; those two are idempotent and are
   * re-applied when the command is repeated, so a revoke interrupted after the table write can be finished.
   */
  async revoke(keyId: string, options: RevokeOptions = {}): Promise<RevokeResult> {
    validateKeyId(keyId);
    const usageKeys = this.requireUsageKeys();
    // Unfinished creates and rotations of the key first (they can no longer commit), then its records; then both
    // again, so a rotation that was between its steps meanwhile cannot leave a live secret behind.
    let cancelledChanges = await this.abandonPending(await this.queryIntents(keyId));
    let records = await this.loadRecords(keyId);
    if (records.length === 0 && cancelledChanges === 0) {
      throw new InputError('unknown_key', `unknown key id ${keyId} (no such key in table ${this.options.tableName})`);
    }
    const now = this.now();
    let revokedSecrets = await this.revokeActive(records, now);
    if ((this.options.revokeRecheckMs ?? 0) > 0) await this.sleep(this.options.revokeRecheckMs!);
    cancelledChanges += await this.abandonPending(await this.queryIntents(keyId));
    const again = await this.loadRecords(keyId);
    if (again.length > 0) records = again;
    revokedSecrets += await this.revokeActive(records, now);
    const alreadyRevoked = revokedSecrets === 0 && cancelledChanges === 0;
    const revokedAt = alreadyRevoked ? maxOf(records.map((r) => r.record.revokedAt)) : now;

    const cacheFlush = await usageKeys.flushAuthorizerCache();
    const usageRef = usageKeyOf(records.map((r) => r.record));
    let usageKey: RevokeResult['usageKey'] = 'none';
    if (usageRef !== undefined) {
      try {
        usageKey = await usageKeys.disable(usageRef);
      } catch (error) {
        const cause = error instanceof Error ? error.message : String(error);
        throw new AwsOperationError(
          'incomplete',
          `key ${keyId} is revoked in the key table, but its hidden usage key could not be disabled (${cause}); run "revoke ${keyId}" again to finish`,
          { cause: error },
        );
      }
    }
    let lateCacheFlush: FlushOutcome | undefined;
    const wait = options.waitForKeyCacheSeconds ?? 0;
    if (wait > 0 && cacheFlush.flushed) {
      await this.sleep(wait * 1000);
      lateCacheFlush = await usageKeys.flushAuthorizerCache();
    }
    return { keyId, alreadyRevoked, revokedSecrets, cancelledChanges, revokedAt, usageKey, cacheFlush, lateCacheFlush };
  }

  private async revokeActive(records: readonly StoredRecord[], now: number): Promise<number> {
    let revoked = 0;
    for (const { pk, record } of records) {
      if (record.status !== 'active') continue;
      try {
        await this.call('UpdateItem (revoke)', () =>
          this.options.dynamodb.send(
            new UpdateItemCommand({
              TableName: this.options.tableName,
              Key: { pk: { S: pk } },
              UpdateExpression: 'SET #status = :revoked, revokedAt = :now',
              ConditionExpression: 'attribute_exists(pk) AND #status = :active',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: { ':revoked': { S: 'revoked' }, ':active': { S: 'active' }, ':now': { N: String(now) } },
            }),
          ),
        );
        revoked++;
      } catch (error) {
        // Revoked (or purged) meanwhile by someone else: the goal is reached.
        if (isConditionFailure(error)) continue;
        throw error;
      }
    }
    return revoked;
  }

  // ---------------------------------------------------------------------------------------------- clients bind

  /**
   * Meters a JWT client (client-credentials caller) under a plan: its own hidden usage key in the plan's usage
   * plan, and a binding record the authorizer reads. Binding again to the same plan is a no-op; to another plan,
   * a new hidden key replaces the binding's (conditional on the binding being unchanged meanwhile).
   *
   * Steps (crash safety: see intents.ts): an intent item naming the usage key's name and value (also a lock: one
   * bind of a client at a time); the hidden usage key; the binding; the intent deleted.
   */
  async bindClient(input: BindClientInput): Promise<BindClientResult> {
    const issuer = validateIssuer(input.issuer);
    const clientId = validateClientId(input.clientId);
    const plan = validatePlan(input.plan);
    const usageKeys = this.requireUsageKeys();
    usageKeys.assertPlanAvailable(plan);
    const pk = clientBindingPartitionKey(issuer, clientId);
    const got = await this.call('GetItem (client binding)', () =>
      this.options.dynamodb.send(new GetItemCommand({ TableName: this.options.tableName, Key: { pk: { S: pk } }, ConsistentRead: true })),
    );
    const existing = got.Item === undefined ? undefined : clientBindingFromItem(fromSdk(got.Item));
    const publicView = ({ usageIdentifierKey: _hidden, ...rest }: ClientBindingRecord) => rest;
    if (existing !== undefined && existing.plan === plan) {
      return { binding: publicView(existing), outcome: 'unchanged' };
    }
    const startedAt = this.now();
    const usageKeyName = `client:${clientId}`.slice(0, 256);
    const usageValue = newUsageKeyValue();
    const intent: Intent = {
      operation: 'bind',
      pk: bindIntentPartitionKey(pk),
      subject: clientId,
      status: PENDING_STATUS,
      startedAt,
      holder: this.holder,
      plan,
      usageKeyName,
      usageValue,
      bindingPk: pk,
    };
    try {
      await this.call('PutItem (intent of the binding)', () =>
        this.putNew(bindIntentItem({ pk: intent.pk, bindingPk: pk, clientId, plan, usageKeyName, usageValue, startedAt, holder: this.holder })),
      );
    } catch (error) {
      if (isConditionFailure(error)) {
        throw new AwsOperationError(
          'concurrent_change',
          `another "clients bind" of client ${clientId} is running, or was interrupted less than ${STALE_AFTER_SECONDS / 60} minutes ago ` +
            `(it is undone then): nothing was changed; try again later`,
        );
      }
      throw await this.abort(intent, error, false);
    }
    await this.at('bind:intent-written');

    let usage: UsageKeyRef;
    try {
      usage = await usageKeys.create({
        plan,
        name: usageKeyName,
        description: `Portcullis usage key of JWT client ${clientId}`.slice(0, 256),
        value: usageValue,
      });
    } catch (error) {
      throw await this.abort(intent, error, false);
    }
    await this.at('bind:usage-key-created');
    const made: Intent = { ...intent, usageKeyId: usage.id };
    await this.checkDeadline(made, false);

    const record: ClientBindingRecord = {
      issuer,
      clientId,
      plan,
      usageIdentifierKey: usage.value,
      usageKeyId: usage.id,
      createdAt: this.now(),
    };
    const values: SdkItem = {};
    let condition = 'attribute_not_exists(pk)';
    if (existing !== undefined) {
      condition = '#plan = :oldPlan';
      values[':oldPlan'] = { S: existing.plan };
      if (existing.usageIdentifierKey === undefined) {
        condition += ' AND attribute_not_exists(usageIdentifierKey)';
      } else {
        condition += ' AND usageIdentifierKey = :oldUsage';
        values[':oldUsage'] = { S: existing.usageIdentifierKey };
      }
    }
    try {
      await this.call('PutItem (client binding)', () =>
        this.options.dynamodb.send(
          new PutItemCommand({
            TableName: this.options.tableName,
            Item: toSdk(clientBindingItem(record)),
            ConditionExpression: condition,
            ...(existing !== undefined
              ? { ExpressionAttributeNames: { '#plan': 'plan' }, ExpressionAttributeValues: values }
              : {}),
          }),
        ),
      );
    } catch (error) {
      throw await this.abort(
        made,
        isConditionFailure(error)
          ? new AwsOperationError('concurrent_change', `the binding of client ${clientId} changed while binding; nothing was changed: try again`)
          : error,
        false,
      );
    }
    await this.at('bind:binding-written');
    try {
      await this.deleteIntentItem(made, PENDING_STATUS);
    } catch {
      // The binding is written: the next command finds the leftover intent complete and drops it.
    }
    return {
      binding: publicView(record),
      outcome: existing === undefined ? 'created' : 'rebound',
      previous: existing === undefined ? undefined : { plan: existing.plan, usageKeyId: existing.usageKeyId },
    };
  }

  // ---------------------------------------------------------------------------------------------- intents

  /**
   * Finds the intents of interrupted commands (stale: see intents.ts) and undoes them, so no enabled usage key
   * without an active record and no pending record survives. Run by every write command before its own work; cheap
   * (one Query of the intent partition). A failure to undo one is reported, not thrown: the next run retries it.
   */
  async reconcile(): Promise<ReconcileReport> {
    const intents = await this.queryIntents();
    const now = this.now();
    const undone: ReconcileEntry[] = [];
    let inProgress = 0;
    for (const intent of intents) {
      if (!isStale(intent, now, this.holderGone)) {
        inProgress++;
        continue;
      }
      try {
        undone.push({ intent: incompleteChange(intent, true), outcome: await this.rollback(intent) });
      } catch (error) {
        undone.push({ intent: incompleteChange(intent, true), outcome: 'failed', reason: error instanceof Error ? error.message : String(error) });
      }
    }
    return { entries: undone, inProgress };
  }

  /** The intents in the table (all, or those about one key id / client id). */
  private async queryIntents(subject?: string): Promise<Intent[]> {
    const intents: Intent[] = [];
    let startKey: SdkItem | undefined;
    do {
      const page = await this.call('Query (intents)', () =>
        this.options.dynamodb.send(
          new QueryCommand({
            TableName: this.options.tableName,
            IndexName: KEY_TABLE_SCHEMA.keyIdIndex,
            KeyConditionExpression: 'keyId = :intents',
            ...(subject === undefined
              ? { ExpressionAttributeValues: { ':intents': { S: INTENT_PARTITION } } }
              : {
                  FilterExpression: 'intentKeyId = :subject AND intentOp IN (:create, :rotate)',
                  ExpressionAttributeValues: {
                    ':intents': { S: INTENT_PARTITION },
                    ':subject': { S: subject },
                    ':create': { S: 'create' },
                    ':rotate': { S: 'rotate' },
                  },
                }),
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      for (const item of page.Items ?? []) {
        const intent = intentFromItem(fromSdk(item));
        if (intent !== undefined) intents.push(intent);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return intents;
  }

  /** Writes a create/rotate intent (the pending record). A put that may have landed is undone. */
  private async writeIntent(item: Item, intent: Intent, operation: string): Promise<void> {
    try {
      await this.call(operation, () => this.putNew(item));
    } catch (error) {
      if (isConditionFailure(error)) {
        throw new AwsOperationError('concurrent_change', `${operation} of key ${intent.subject}: the record exists already; run the command again`);
      }
      throw await this.abort(intent, error, false);
    }
  }

  private async at(point: CrashPoint): Promise<void> {
    await this.options.checkpoint?.(point);
  }

  /** Hands the secret to the caller (the CLI prints it) before the commit. Returns whether it did. */
  private async deliver<T>(intent: Intent, issued: T, deliver: ((issued: T) => void | Promise<void>) | undefined, point: CrashPoint): Promise<boolean> {
    if (deliver === undefined) return false;
    try {
      await deliver(issued);
    } catch (error) {
      throw await this.abort(intent, error, true);
    }
    await this.at(point);
    return true;
  }

  /** Refuses to commit (and undoes the work) once another run may judge the intent stale. */
  private async checkDeadline(intent: Intent, delivered: boolean): Promise<void> {
    const elapsed = this.now() - intent.startedAt;
    if (elapsed < COMMIT_DEADLINE_SECONDS) return;
    throw await this.abort(
      intent,
      new AwsOperationError(
        'incomplete',
        `the ${intent.operation} of ${intent.subject} took ${elapsed}s, longer than ${COMMIT_DEADLINE_SECONDS}s: it was stopped before completing; run it again`,
      ),
      delivered,
    );
  }

  /**
   * The commit of create and rotate: the pending record becomes `active` under its key id, on condition that it is
   * still this intent's pending record (a revoke or a rollback by another run abandons it first).
   */
  private async commitPending(intent: Intent, set: ReadonlyArray<[string, SdkAttributeValue]>, delivered: boolean): Promise<void> {
    await this.checkDeadline(intent, delivered);
    const names: Record<string, string> = { '#status': 'status' };
    const values: SdkItem = {
      ':keyId': { S: intent.subject },
      ':active': { S: 'active' },
      ':pending': { S: PENDING_STATUS },
      ':op': { S: intent.operation },
      ':startedAt': { N: String(intent.startedAt) },
    };
    const assignments = ['keyId = :keyId', '#status = :active'];
    set.forEach(([name, value], index) => {
      names[`#set${index}`] = name;
      values[`:set${index}`] = value;
      assignments.push(`#set${index} = :set${index}`);
    });
    try {
      await this.call(`UpdateItem (complete the ${intent.operation})`, () =>
        this.options.dynamodb.send(
          new UpdateItemCommand({
            TableName: this.options.tableName,
            Key: { pk: { S: intent.pk } },
            UpdateExpression: `SET ${assignments.join(', ')} REMOVE ${INTENT_ATTRIBUTES.join(', ')}`,
            ConditionExpression: '#status = :pending AND intentKeyId = :keyId AND intentOp = :op AND createdAt = :startedAt',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          }),
        ),
      );
    } catch (error) {
      if (isConditionFailure(error)) {
        throw await this.abort(
          intent,
          new AwsOperationError(
            'concurrent_change',
            `key ${intent.subject} was revoked, or this unfinished ${intent.operation} was undone by another run, before it completed: nothing was changed`,
          ),
          delivered,
        );
      }
      // A timeout may hide a commit that landed: the rollback finds out (and then leaves it be).
      const failure = error as KeyCliError;
      let outcome: RollbackOutcome;
      try {
        outcome = await this.rollback(intent);
      } catch (cleanup) {
        failure.message += `; undoing it also failed (${cleanup instanceof Error ? cleanup.message : String(cleanup)}): ${this.leftoverHint(intent, delivered)}`;
        throw failure;
      }
      if (outcome === 'committed') return;
      if (delivered) failure.message += `; ${VOID_SECRET}`;
      throw failure;
    }
  }

  /** Undoes this process's own intent after `error`; returns the error to throw, its message completed. */
  private async abort(intent: Intent, error: unknown, delivered: boolean): Promise<KeyCliError> {
    const failure =
      error instanceof KeyCliError ? error : describeAwsFailure(`the ${intent.operation} of ${intent.subject}`, error, this.options.where);
    try {
      await this.rollback(intent);
      if (delivered) failure.message += `; ${VOID_SECRET}`;
    } catch (cleanup) {
      const reason =
        cleanup instanceof Error && cleanup.message.includes('delete-api-key') ? cleanup.message : sdkErrorName(cleanup instanceof AwsOperationError ? cleanup.cause ?? cleanup : cleanup);
      failure.message += `; undoing it also failed (${reason}): ${this.leftoverHint(intent, delivered)}`;
    }
    return failure;
  }

  private leftoverHint(intent: Intent, delivered: boolean): string {
    return (
      `${intent.operation === 'bind' ? `the binding of ${intent.subject} is unchanged` : `the unfinished ${intent.operation} of ${intent.subject} cannot authenticate`}` +
      `${delivered ? ' (the secret shown above does not work)' : ''}, and the next keys command undoes it`
    );
  }

  /**
   * Undoes an intent (see intents.ts): claim it, undo the external step, delete it. Each step is conditional and
   * idempotent, so an interrupted rollback is finished by the next one. 'committed' when it turns out complete.
   */
  private async rollback(intent: Intent): Promise<RollbackOutcome> {
    if (intent.operation === 'bind') {
      const got = await this.call('GetItem (client binding)', () =>
        this.options.dynamodb.send(
          new GetItemCommand({ TableName: this.options.tableName, Key: { pk: { S: intent.bindingPk ?? '' } }, ConsistentRead: true }),
        ),
      );
      if (got.Item?.usageIdentifierKey?.S !== undefined && got.Item.usageIdentifierKey.S === intent.usageValue) {
        await this.deleteIntentItem(intent, intent.status);
        return 'committed';
      }
    }
    const claim = await this.claim(intent);
    if (claim !== 'claimed') return claim;
    await this.at('reconcile:claimed');
    if (intent.operation === 'rotate') {
      await this.restoreSuperseded(intent);
    } else if (intent.usageValue !== undefined) {
      const usageKeys = this.requireUsageKeys();
      if (intent.usageKeyId !== undefined) await usageKeys.remove({ value: intent.usageValue, id: intent.usageKeyId });
      else if (intent.usageKeyName !== undefined) await usageKeys.removeNamed(intent.usageKeyName, intent.usageValue);
    }
    await this.at('reconcile:usage-key-removed');
    await this.deleteIntentItem(intent, ABANDONED_STATUS);
    return 'rolled_back';
  }

  /** pending -> abandoned, so that its own process can no longer commit it. */
  private async claim(intent: Intent): Promise<'claimed' | 'committed' | 'gone'> {
    try {
      await this.call(`UpdateItem (claim the unfinished ${intent.operation})`, () =>
        this.options.dynamodb.send(
          new UpdateItemCommand({
            TableName: this.options.tableName,
            Key: { pk: { S: intent.pk } },
            UpdateExpression: 'SET #status = :abandoned',
            ConditionExpression: 'keyId = :intents AND intentOp = :op AND intentKeyId = :subject AND createdAt = :startedAt AND #status IN (:pending, :abandoned)',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':abandoned': { S: ABANDONED_STATUS },
              ':pending': { S: PENDING_STATUS },
              ':intents': { S: INTENT_PARTITION },
              ':op': { S: intent.operation },
              ':subject': { S: intent.subject },
              ':startedAt': { N: String(intent.startedAt) },
            },
          }),
        ),
      );
      return 'claimed';
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    const got = await this.call('GetItem (unfinished change)', () =>
      this.options.dynamodb.send(new GetItemCommand({ TableName: this.options.tableName, Key: { pk: { S: intent.pk } }, ConsistentRead: true })),
    );
    if (got.Item === undefined) return 'gone';
    if (got.Item.keyId?.S === intent.subject && got.Item.status?.S === 'active') return 'committed';
    throw new AwsOperationError('incomplete', `the unfinished ${intent.operation} of ${intent.subject} is in an unexpected state; leaving it for inspection (${intent.pk})`);
  }

  /** Puts the previous secret back as it was before this rotation superseded it (if it did). */
  private async restoreSuperseded(intent: Intent): Promise<void> {
    if (intent.supersedes === undefined) return;
    const restoreExpiry = intent.supersedesExpiresAt === undefined ? '' : 'SET expiresAt = :expiresAt ';
    const remove = ['#rotatedAt', '#purgeAt', '#supersededBy', ...(intent.supersedesExpiresAt === undefined ? ['expiresAt'] : [])];
    try {
      await this.call('UpdateItem (restore the previous secret)', () =>
        this.options.dynamodb.send(
          new UpdateItemCommand({
            TableName: this.options.tableName,
            Key: { pk: { S: intent.supersedes! } },
            UpdateExpression: `${restoreExpiry}REMOVE ${remove.join(', ')}`,
            ConditionExpression: '#supersededBy = :next',
            ExpressionAttributeNames: {
              '#rotatedAt': ROTATED_AT_ATTRIBUTE,
              '#purgeAt': KEY_TABLE_SCHEMA.ttlAttribute,
              '#supersededBy': SUPERSEDED_BY_ATTRIBUTE,
            },
            ExpressionAttributeValues: {
              ':next': { S: intent.pk },
              ...(intent.supersedesExpiresAt === undefined ? {} : { ':expiresAt': { N: String(intent.supersedesExpiresAt) } }),
            },
          }),
        ),
      );
    } catch (error) {
      // Not superseded by this rotation (it never got that far): nothing to restore.
      if (!isConditionFailure(error)) throw error;
    }
  }

  /** Deletes an intent item (a pending record or a bind intent) if it is still this intent in `status`. */
  private async deleteIntentItem(intent: Intent, status: string): Promise<void> {
    try {
      await this.call(`DeleteItem (unfinished ${intent.operation})`, () =>
        this.options.dynamodb.send(
          new DeleteItemCommand({
            TableName: this.options.tableName,
            Key: { pk: { S: intent.pk } },
            ConditionExpression: 'keyId = :intents AND intentOp = :op AND createdAt = :startedAt AND #status = :status',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':intents': { S: INTENT_PARTITION },
              ':op': { S: intent.operation },
              ':startedAt': { N: String(intent.startedAt) },
              ':status': { S: status },
            },
          }),
        ),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  /** Revoke's share: pending changes of the key can no longer commit. Returns how many it abandoned. */
  private async abandonPending(intents: readonly Intent[]): Promise<number> {
    let abandoned = 0;
    for (const intent of intents) {
      if (intent.status !== PENDING_STATUS) continue;
      try {
        await this.call('UpdateItem (abandon an unfinished change)', () =>
          this.options.dynamodb.send(
            new UpdateItemCommand({
              TableName: this.options.tableName,
              Key: { pk: { S: intent.pk } },
              UpdateExpression: 'SET #status = :abandoned',
              ConditionExpression: 'keyId = :intents AND #status = :pending AND createdAt = :startedAt',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: {
                ':abandoned': { S: ABANDONED_STATUS },
                ':pending': { S: PENDING_STATUS },
                ':intents': { S: INTENT_PARTITION },
                ':startedAt': { N: String(intent.startedAt) },
              },
            }),
          ),
        );
        abandoned++;
      } catch (error) {
        // Committed or undone meanwhile: a committed secret is revoked by the recheck (or the next revoke).
        if (!isConditionFailure(error)) throw error;
      }
    }
    return abandoned;
  }

  // ---------------------------------------------------------------------------------------------- helpers

  private requireUsageKeys(): UsageKeyProvider {
    if (this.options.usageKeys === undefined) {
      throw new InputError('missing_target', 'this command needs the usage plans of the target (use --stack or --usage-plan-id, or --local)');
    }
    return this.options.usageKeys;
  }

  /** All records of a key id, through the byKeyId index, every page. */
  private async loadRecords(keyId: string, limit?: number): Promise<StoredRecord[]> {
    const records: StoredRecord[] = [];
    let startKey: SdkItem | undefined;
    do {
      const page = await this.call('Query (byKeyId)', () =>
        this.options.dynamodb.send(
          new QueryCommand({
            TableName: this.options.tableName,
            IndexName: KEY_TABLE_SCHEMA.keyIdIndex,
            KeyConditionExpression: 'keyId = :keyId',
            ExpressionAttributeValues: { ':keyId': { S: keyId } },
            ExclusiveStartKey: startKey,
            Limit: limit ?? this.options.pageSize,
          }),
        ),
      );
      for (const item of page.Items ?? []) {
        const stored = readRecord(item);
        if (stored !== undefined) records.push(stored);
      }
      startKey = limit !== undefined && records.length >= limit ? undefined : page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return records;
  }

  private async requireRecords(keyId: string): Promise<StoredRecord[]> {
    const records = await this.loadRecords(keyId);
    if (records.length === 0) throw new InputError('unknown_key', `unknown key id ${keyId} (no such key in table ${this.options.tableName})`);
    return records;
  }

  private async putNew(item: Item): Promise<void> {
    await this.options.dynamodb.send(
      new PutItemCommand({
        TableName: this.options.tableName,
        Item: toSdk(item),
        // Never overwrite: a hash (or id) that exists is someone else's key.
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  private async call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw this.dynamoFailure(operation, error);
    }
  }

  private dynamoFailure(operation: string, error: unknown): KeyCliError {
    if (sdkErrorName(error) === 'ResourceNotFoundException') {
      return new InputError(
        'missing_target',
        `key table ${this.options.tableName} not found${this.options.where ? ` in ${this.options.where}` : ''}`,
      );
    }
    return describeAwsFailure(`DynamoDB ${operation} on ${this.options.tableName}`, error, this.options.where);
  }
}

// ------------------------------------------------------------------------------------------------ pure helpers

function isConditionFailure(error: unknown): boolean {
  const cause = error instanceof AwsOperationError ? error.cause : error;
  return sdkErrorName(cause) === 'ConditionalCheckFailedException';
}

function incompleteChange(intent: Intent, stale: boolean): IncompleteChange {
  return { operation: intent.operation, subject: intent.subject, startedAt: intent.startedAt, stale };
}

function readRecord(item: SdkItem): StoredRecord | undefined {
  try {
    const raw = fromSdk(item);
    const record = apiKeyRecordFromItem(raw);
    const pk = (raw.pk as { S?: unknown } | undefined)?.S;
    if (typeof pk !== 'string') return undefined;
    const rotated = (raw[ROTATED_AT_ATTRIBUTE] as { N?: unknown } | undefined)?.N;
    return { pk, record, rotatedAt: typeof rotated === 'string' ? Number(rotated) : undefined };
  } catch {
    return undefined;
  }
}

function stateOf(record: ApiKeyRecord, now: number): KeyState {
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

function maxOf(values: ReadonlyArray<number | undefined>): number | undefined {
  const defined = values.filter((v): v is number => v !== undefined);
  return defined.length === 0 ? undefined : Math.max(...defined);
}

function usageKeyOf(records: readonly ApiKeyRecord[]): UsageKeyRef | undefined {
  const withKey = records.find((r) => r.usageIdentifierKey !== undefined);
  return withKey === undefined ? undefined : { value: withKey.usageIdentifierKey!, id: withKey.usageKeyId };
}

function summarize(records: readonly StoredRecord[], now: number): KeySummary {
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
