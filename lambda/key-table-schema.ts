/**
 * The key table's schema: one definition used by the authorizer (reads), the key CLI (writes) and the CDK stack
 * (table and indexes). Items are plain DynamoDB attribute maps, converted by hand to keep the Lambda bundle small.
 *
 * Items (partition key `pk` only):
 * - API key:        pk = `key#<sha256 hex of the secret>`; type = `apiKey`
 * - Client binding: pk = `client#<issuer>#<clientId>`;     type = `clientBinding` (usage plan of a JWT client)
 *
 * Timestamps are epoch seconds. `purgeAt` is the table's TTL attribute: DynamoDB deletes long-dead records lazily,
 * so readers never rely on it and check `expiresAt`/`revokedAt` themselves.
 */
import { CredentialRejectedError } from './errors';
import { isValidScope } from './route-manifest';
import { isWellFormedKeyId } from './api-key-format';

export const KEY_TABLE_SCHEMA = Object.freeze({
  partitionKey: 'pk',
  /** GSI: all records of one public key id (a rotated key keeps its id), newest first by `createdAt`. */
  keyIdIndex: 'byKeyId',
  /** GSI: all records of one owner, by `createdAt`. */
  ownerIndex: 'byOwner',
  ttlAttribute: 'purgeAt',
});

export type AttributeValue =
  | { S: string }
  | { N: string }
  | { BOOL: boolean }
  | { L: AttributeValue[] }
  | { NULL: true }
  | Record<string, unknown>;
export type Item = Record<string, AttributeValue>;

export const KEY_STATUSES = ['active', 'revoked'] as const;
export type KeyStatus = (typeof KEY_STATUSES)[number];

/** Longest owner, name, subject or client id we accept anywhere (they travel in logs and context). */
export const MAX_IDENTIFIER_LENGTH = 256;

export interface ApiKeyRecord {
  readonly keyId: string;
  readonly owner: string;
  readonly name?: string;
  readonly scopes: readonly string[];
  readonly plan?: string;
  readonly status: KeyStatus;
  readonly createdAt: number;
  /** Not usable before this time (e.g. a key created for later). */
  readonly notBefore?: number;
  readonly expiresAt?: number;
  readonly revokedAt?: number;
  readonly lastUsedAt?: number;
  /** The hidden API Gateway key value that usage plans count this caller under. */
  readonly usageIdentifierKey?: string;
  /** The id of that API Gateway key (for the CLI: disable on revoke). */
  readonly usageKeyId?: string;
}

export interface ClientBindingRecord {
  readonly issuer: string;
  readonly clientId: string;
  readonly plan: string;
  readonly usageIdentifierKey?: string;
  readonly usageKeyId?: string;
  readonly createdAt: number;
}

export function apiKeyPartitionKey(keyHash: string): string {
  return `key#${keyHash}`;
}

export function clientBindingPartitionKey(issuer: string, clientId: string): string {
  return `client#${issuer}#${clientId}`;
}

const malformed = (what: string): never => {
  throw new CredentialRejectedError('malformed_key_record', `Key record is malformed: ${what}`);
};

function str(item: Item, name: string, required: true): string;
function str(item: Item, name: string, required: false): string | undefined;
function str(item: Item, name: string, required: boolean): string | undefined {
  const value = item[name] as { S?: unknown } | undefined;
  if (value === undefined || (value as { NULL?: unknown }).NULL === true) {
    return required ? malformed(`${name} missing`) : undefined;
  }
  if (typeof value.S !== 'string' || value.S.length === 0 || value.S.length > MAX_IDENTIFIER_LENGTH) {
    return malformed(`${name} is not a short string`);
  }
  return value.S;
}

function num(item: Item, name: string, required: true): number;
function num(item: Item, name: string, required: false): number | undefined;
function num(item: Item, name: string, required: boolean): number | undefined {
  const value = item[name] as { N?: unknown } | undefined;
  if (value === undefined || (value as { NULL?: unknown }).NULL === true) {
    return required ? malformed(`${name} missing`) : undefined;
  }
  const parsed = typeof value.N === 'string' ? Number(value.N) : Number.NaN;
  if (!Number.isFinite(parsed)) return malformed(`${name} is not a number`);
  return parsed;
}

function scopeList(item: Item, name: string): string[] {
  const value = item[name] as { L?: unknown } | undefined;
  if (value === undefined) return malformed(`${name} missing`);
  if (!Array.isArray(value.L)) return malformed(`${name} is not a list`);
  return value.L.map((entry: { S?: unknown }) =>
    typeof entry?.S === 'string' && isValidScope(entry.S) ? entry.S : malformed(`${name} holds an invalid scope`),
  );
}

/** Reads an API key item; a record we cannot fully understand is refused (401), never half-trusted. */
export function apiKeyRecordFromItem(item: Item): ApiKeyRecord {
  if ((item.type as { S?: unknown } | undefined)?.S !== 'apiKey') malformed('type is not apiKey');
  const keyId = str(item, 'keyId', true);
  if (!isWellFormedKeyId(keyId)) malformed('keyId is not a key id');
  const status = str(item, 'status', true);
  if (!(KEY_STATUSES as readonly string[]).includes(status)) malformed('unknown status');
  return {
    keyId,
    owner: str(item, 'owner', true),
    name: str(item, 'name', false),
    scopes: scopeList(item, 'scopes'),
    plan: str(item, 'plan', false),
    status: status as KeyStatus,
    createdAt: num(item, 'createdAt', true),
    notBefore: num(item, 'notBefore', false),
    expiresAt: num(item, 'expiresAt', false),
    revokedAt: num(item, 'revokedAt', false),
    lastUsedAt: num(item, 'lastUsedAt', false),
    usageIdentifierKey: str(item, 'usageIdentifierKey', false),
    usageKeyId: str(item, 'usageKeyId', false),
  };
}

/** Writes an API key record as an item (the CLI's write path). */
export function apiKeyItem(keyHash: string, record: ApiKeyRecord, purgeAt?: number): Item {
  const item: Item = {
    pk: { S: apiKeyPartitionKey(keyHash) },
    type: { S: 'apiKey' },
    keyId: { S: record.keyId },
    owner: { S: record.owner },
    scopes: { L: record.scopes.map((scope) => ({ S: scope })) },
    status: { S: record.status },
    createdAt: { N: String(record.createdAt) },
  };
  const optionalStrings = ['name', 'plan', 'usageIdentifierKey', 'usageKeyId'] as const;
  for (const name of optionalStrings) {
    const value = record[name];
    if (value !== undefined) item[name] = { S: value };
  }
  const optionalNumbers = ['notBefore', 'expiresAt', 'revokedAt', 'lastUsedAt'] as const;
  for (const name of optionalNumbers) {
    const value = record[name];
    if (value !== undefined) item[name] = { N: String(value) };
  }
  if (purgeAt !== undefined) item[KEY_TABLE_SCHEMA.ttlAttribute] = { N: String(purgeAt) };
  return item;
}

export function clientBindingFromItem(item: Item): ClientBindingRecord {
  if ((item.type as { S?: unknown } | undefined)?.S !== 'clientBinding') malformed('type is not clientBinding');
  return {
    issuer: str(item, 'issuer', true),
    clientId: str(item, 'clientId', true),
    plan: str(item, 'plan', true),
    usageIdentifierKey: str(item, 'usageIdentifierKey', false),
    usageKeyId: str(item, 'usageKeyId', false),
    createdAt: num(item, 'createdAt', true),
  };
}

export function clientBindingItem(record: ClientBindingRecord): Item {
  const item: Item = {
    pk: { S: clientBindingPartitionKey(record.issuer, record.clientId) },
    type: { S: 'clientBinding' },
    issuer: { S: record.issuer },
    clientId: { S: record.clientId },
    plan: { S: record.plan },
    createdAt: { N: String(record.createdAt) },
  };
  if (record.usageIdentifierKey !== undefined) item.usageIdentifierKey = { S: record.usageIdentifierKey };
  if (record.usageKeyId !== undefined) item.usageKeyId = { S: record.usageKeyId };
  return item;
}

/** Why a well-formed record cannot be used now, or undefined when it can. */
export function apiKeyRecordProblem(
  record: ApiKeyRecord,
  nowSeconds: number,
): 'api_key_revoked' | 'api_key_expired' | 'api_key_not_yet_active' | undefined {
  if (record.status === 'revoked' || (record.revokedAt !== undefined && record.revokedAt <= nowSeconds)) {
    return 'api_key_revoked';
  }
  if (record.notBefore !== undefined && record.notBefore > nowSeconds) return 'api_key_not_yet_active';
  if (record.expiresAt !== undefined && record.expiresAt <= nowSeconds) return 'api_key_expired';
  return undefined;
}
