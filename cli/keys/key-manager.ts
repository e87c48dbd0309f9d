/**
 * The key CLI's core: create, list, show, rotate and revoke API keys, and bind JWT clients to usage plans.
 * Collaborators are passed in (a DynamoDB client, a {@link UsageKeyProvider}, a clock), so tests drive it against
 * a real local DynamoDB and the CLI only parses arguments and prints.
 *
 * Records follow the shared schema (lambda/key-table.ts). All records of one key share its public key id; each
 * secret has its own record (partition key = hash of the secret). The *current* record is the newest active,
 * non-superseded one.
 *
 * Safety rules:
 * - every write is conditional: a hash is never overwritten, a revoked or superseded record never changed back;
 * - bad input is refused before anything is written ({@link InputError});
 * - a multi-step change that fails half way is undone (create, rotate, clients bind), or is safe to run again
 *   (revoke).
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
  apiKeyRecordFromItem,
  apiKeyRecordProblem,
  clientBindingFromItem,
  clientBindingItem,
  clientBindingPartitionKey,
  KEY_TABLE_SCHEMA,
  type ApiKeyRecord,
  type ClientBindingRecord,
  type Item,
} from '../../lambda/key-table';
import type { TierName } from '../../infra/usage-tiers';
import { AwsOperationError, InputError, describeAwsFailure, sdkErrorName, type KeyCliError } from './errors';
import type { FlushOutcome, UsageKeyProvider, UsageKeyRef } from './usage-keys';
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
}

export interface RevokeResult {
  readonly keyId: string;
  /** True when every secret was already revoked: nothing was written to the key table. */
  readonly alreadyRevoked: boolean;
  /** Secrets this call revoked. */
  readonly revokedSecrets: number;
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
}

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

  constructor(private readonly options: KeyManagerOptions) {
    if (!KEY_PREFIX_PATTERN.test(options.keyPrefix)) {
      throw new InputError('missing_target', `key prefix ${JSON.stringify(options.keyPrefix)} is not "<product>_<environment>_"`);
    }
    this.now = options.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
    this.sleep = options.sleep ?? realSleep;
  }

  // ---------------------------------------------------------------------------------------------- create

  /**
   * Issues a key. Order: hidden usage key (API Gateway key + usage plan key), then the record (conditional put).
   * If the record cannot be written, the hidden key is deleted again; the secret is returned only once the record
   * is stored. A record therefore never points at a usage key that does not exist.
   */
  async create(input: CreateKeyInput): Promise<IssuedKey> {
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
    const createdAt = this.now();

    const usage = await usageKeys.create({ plan, name: keyId, description: `Portcullis usage key of ${keyId} (plan ${plan})` });
    const record: ApiKeyRecord = {
      keyId,
      owner,
      name,
      scopes,
      plan,
      status: 'active',
      createdAt,
      expiresAt: input.expiresInSeconds === undefined ? undefined : createdAt + input.expiresInSeconds,
      usageIdentifierKey: usage.value,
      usageKeyId: usage.id,
    };
    const item = apiKeyItem(keyHash, record);
    try {
      await this.putNew(item);
    } catch (error) {
      const failure = this.dynamoFailure('PutItem (new key)', error);
      // The put may have landed before the failure (a timeout): delete what is ours, then the hidden key. After a
      // failed condition the item is not ours and stays untouched.
      const steps = [() => usageKeys.remove(usage)];
      if (!isConditionFailure(error)) steps.unshift(() => this.deleteItem(item));
      await this.undo(failure, steps, `key ${keyId} may be half made: run "revoke ${keyId}"`);
      throw failure;
    }
    return { key, keyId, summary: summarize([{ pk: (item.pk as { S: string }).S, record }], this.now()) };
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
    for (const item of items) {
      const stored = readRecord(item);
      if (stored === undefined) {
        unreadable++;
        continue;
      }
      const group = byKeyId.get(stored.record.keyId) ?? [];
      group.push(stored);
      byKeyId.set(stored.record.keyId, group);
    }
    const now = this.now();
    const keys = [...byKeyId.values()]
      .map((records) => summarize(records, now))
      .filter((summary) => filter.status === undefined || summary.status === filter.status)
      .sort((a, b) => a.createdAt - b.createdAt || a.keyId.localeCompare(b.keyId));
    return { keys, unreadable };
  }

  /** One key's metadata and its secrets (their dates and states, never their values). */
  async show(keyId: string): Promise<KeySummary> {
    return summarize(await this.requireRecords(validateKeyId(keyId)), this.now());
  }

  // ---------------------------------------------------------------------------------------------- rotate

  /**
   * Issues a new secret for the key: same key id, owner, name, scopes, plan, expiry and usage identifier (so usage
   * plan counters carry on). The previous secret keeps working for `graceSeconds`, then is refused.
   *
   * Order: put the new record (conditional), then mark the previous one superseded and cut its expiry, on condition
   * that it is still active and not superseded. If that fails (a concurrent rotate or revoke), the new record is
   * deleted again and nothing has changed.
   */
  async rotate(keyId: string, graceSeconds: number = DEFAULT_GRACE_SECONDS): Promise<RotatedKey> {
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
    const nextItem = apiKeyItem(hashApiKey(key), next);
    try {
      await this.putNew(nextItem);
    } catch (error) {
      const failure = this.dynamoFailure('PutItem (new secret)', error);
      if (!isConditionFailure(error)) {
        await this.undo(failure, [() => this.deleteItem(nextItem)], `run "show ${keyId}" to check`);
      }
      throw failure;
    }

    const graceEnd = now + graceSeconds;
    const validUntil = old.expiresAt === undefined ? graceEnd : Math.min(old.expiresAt, graceEnd);
    const values: SdkItem = {
      ':active': { S: 'active' },
      ':now': { N: String(now) },
      ':validUntil': { N: String(validUntil) },
      ':purgeAt': { N: String(validUntil + SUPERSEDED_RETENTION_SECONDS) },
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
            UpdateExpression: `SET #rotatedAt = :now, expiresAt = :validUntil, #purgeAt = :purgeAt`,
            ConditionExpression: `attribute_exists(pk) AND ${condition}`,
            ExpressionAttributeNames: { '#status': 'status', '#rotatedAt': ROTATED_AT_ATTRIBUTE, '#purgeAt': KEY_TABLE_SCHEMA.ttlAttribute },
            ExpressionAttributeValues: values,
          }),
        ),
      );
    } catch (error) {
      const failure =
        isConditionFailure(error)
          ? new AwsOperationError(
              'concurrent_change',
              `key ${keyId} was rotated or revoked by someone else while rotating; nothing was changed: run "show ${keyId}" and try again`,
            )
          : (error as KeyCliError);
      await this.undo(failure, [() => this.deleteItem(nextItem)], `a new secret of ${keyId} may exist unused: run "revoke ${keyId}" if in doubt`);
      throw failure;
    }
    const after = await this.loadRecords(keyId);
    return {
      key,
      keyId,
      previousValidUntil: validUntil,
      summary: summarize(after.length > 0 ? after : [{ pk: (nextItem.pk as { S: string }).S, record: next }], this.now()),
    };
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
    let records = await this.requireRecords(keyId);
    const now = this.now();
    let revokedSecrets = await this.revokeActive(records, now);
    if ((this.options.revokeRecheckMs ?? 0) > 0) {
      await this.sleep(this.options.revokeRecheckMs!);
      records = await this.requireRecords(keyId);
      revokedSecrets += await this.revokeActive(records, now);
    }
    const alreadyRevoked = revokedSecrets === 0;
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
    return { keyId, alreadyRevoked, revokedSecrets, revokedAt, usageKey, cacheFlush, lateCacheFlush };
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
    const usage = await usageKeys.create({
      plan,
      name: `client:${clientId}`.slice(0, 256),
      description: `Portcullis usage key of JWT client ${clientId}`.slice(0, 256),
    });
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
      const failure =
        isConditionFailure(error)
          ? new AwsOperationError('concurrent_change', `the binding of client ${clientId} changed while binding; nothing was changed: try again`)
          : error instanceof Error
            ? error
            : new Error(String(error));
      await this.undo(failure, [() => usageKeys.remove(usage)], '');
      throw failure;
    }
    return {
      binding: publicView(record),
      outcome: existing === undefined ? 'created' : 'rebound',
      previous: existing === undefined ? undefined : { plan: existing.plan, usageKeyId: existing.usageKeyId },
    };
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

  /** Deletes an item this command wrote: only if it is still exactly the one written (same key id and creation). */
  private async deleteItem(item: Item): Promise<void> {
    try {
      await this.options.dynamodb.send(
        new DeleteItemCommand({
          TableName: this.options.tableName,
          Key: { pk: item.pk as SdkAttributeValue },
          ConditionExpression: 'keyId = :keyId AND createdAt = :createdAt AND #status = :active',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':keyId': item.keyId as SdkAttributeValue,
            ':createdAt': item.createdAt as SdkAttributeValue,
            ':active': { S: 'active' },
          },
        }),
      );
    } catch (error) {
      // Not there (the put never landed) or no longer ours to remove.
      if (isConditionFailure(error)) return;
      throw error;
    }
  }

  /**
   * Runs every compensation step (one failing does not stop the others); failures are appended to the failure's
   * message, with `hint` once.
   */
  private async undo(failure: Error, steps: ReadonlyArray<() => Promise<unknown>>, hint: string): Promise<void> {
    const problems: string[] = [];
    for (const step of steps) {
      try {
        await step();
      } catch (cleanup) {
        problems.push(cleanup instanceof Error && cleanup.message.includes('delete-api-key') ? cleanup.message : sdkErrorName(cleanup));
      }
    }
    if (problems.length > 0) failure.message += `; undoing it also failed (${problems.join('; ')})${hint ? `: ${hint}` : ''}`;
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
