/**
 * Reads and writes of the key table for the key CLI: every DynamoDB call goes through here, so each failure is
 * described the same way (the operation, the table, the store) and every conditional write reports a failed
 * condition as `false` rather than an exception. The updates themselves are built in conditional-updates.ts.
 */
import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { KEY_TABLE_SCHEMA, type Item } from '../../lambda/key-table-schema';
import type { ConditionalWrite } from './conditional-updates';
import { AwsOperationError, InputError, KeyCliError, describeAwsFailure, sdkErrorName } from './errors';
import { INTENT_PARTITION, intentFromItem, type Intent } from './intents';
import { readRecord, type StoredRecord } from './summaries';

export type SdkItem = Record<string, AttributeValue>;
export const toSdk = (item: Item): SdkItem => item as unknown as SdkItem;
export const fromSdk = (item: SdkItem): Item => item as unknown as Item;

export function isConditionFailure(error: unknown): boolean {
  const cause = error instanceof AwsOperationError ? error.cause : error;
  return sdkErrorName(cause) === 'ConditionalCheckFailedException';
}

export interface KeyRecordsOptions {
  readonly dynamodb: DynamoDBClient;
  readonly tableName: string;
  /** Page size of reads (tests use a small one to exercise pagination). @default DynamoDB's 1 MB pages */
  readonly pageSize?: number;
  /** The store, for messages ("the local store at http://127.0.0.1:8000"). */
  readonly where?: string;
}

/** A filter on the `list` read: a DynamoDB FilterExpression with its names and values. */
export interface ListQuery {
  readonly owner?: string;
  readonly filter: string;
  readonly names: Record<string, string>;
  readonly values: SdkItem;
}

export class KeyRecords {
  constructor(private readonly options: KeyRecordsOptions) {}

  get tableName(): string {
    return this.options.tableName;
  }

  /** A strongly consistent read of one item. */
  async get(operation: string, pk: string): Promise<SdkItem | undefined> {
    const got = await this.call(`GetItem (${operation})`, () =>
      this.options.dynamodb.send(new GetItemCommand({ TableName: this.options.tableName, Key: { pk: { S: pk } }, ConsistentRead: true })),
    );
    return got.Item;
  }

  /** Writes `item` unless its partition key exists (a hash or id that exists is someone else's). */
  async putNew(operation: string, item: Item): Promise<boolean> {
    return this.putIf(operation, item, { condition: 'attribute_not_exists(pk)' });
  }

  /** PutItem on a condition; false when the condition failed. */
  async putIf(operation: string, item: Item, write: Omit<ConditionalWrite, 'update'>): Promise<boolean> {
    return this.conditional(operation, () =>
      this.options.dynamodb.send(
        new PutItemCommand({ TableName: this.options.tableName, Item: toSdk(item), ConditionExpression: write.condition, ...this.attributes(write) }),
      ),
    );
  }

  /** UpdateItem on a condition; false when the condition failed. */
  async updateIf(operation: string, pk: string, write: ConditionalWrite): Promise<boolean> {
    return this.conditional(operation, () =>
      this.options.dynamodb.send(
        new UpdateItemCommand({
          TableName: this.options.tableName,
          Key: { pk: { S: pk } },
          UpdateExpression: write.update,
          ConditionExpression: write.condition,
          ...this.attributes(write),
        }),
      ),
    );
  }

  /** DeleteItem on a condition; false when the condition failed. */
  async deleteIf(operation: string, pk: string, write: Omit<ConditionalWrite, 'update'>): Promise<boolean> {
    return this.conditional(operation, () =>
      this.options.dynamodb.send(
        new DeleteItemCommand({ TableName: this.options.tableName, Key: { pk: { S: pk } }, ConditionExpression: write.condition, ...this.attributes(write) }),
      ),
    );
  }

  /** All records of a key id, through the byKeyId index, every page (or the first `limit`). */
  async loadRecords(keyId: string, limit?: number): Promise<StoredRecord[]> {
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

  async requireRecords(keyId: string): Promise<StoredRecord[]> {
    const records = await this.loadRecords(keyId);
    if (records.length === 0) throw this.unknownKey(keyId);
    return records;
  }

  unknownKey(keyId: string): InputError {
    return new InputError('unknown_key', `unknown key id ${keyId} (no such key in table ${this.options.tableName})`);
  }

  /** The intents in the table (all, or the create/rotate intents of one key id). */
  async queryIntents(keyId?: string): Promise<Intent[]> {
    const intents: Intent[] = [];
    let startKey: SdkItem | undefined;
    do {
      const page = await this.call('Query (intents)', () =>
        this.options.dynamodb.send(
          new QueryCommand({
            TableName: this.options.tableName,
            IndexName: KEY_TABLE_SCHEMA.keyIdIndex,
            KeyConditionExpression: 'keyId = :intents',
            ...(keyId === undefined
              ? { ExpressionAttributeValues: { ':intents': { S: INTENT_PARTITION } } }
              : {
                  FilterExpression: 'intentKeyId = :subject AND intentOp IN (:create, :rotate)',
                  ExpressionAttributeValues: {
                    ':intents': { S: INTENT_PARTITION },
                    ':subject': { S: keyId },
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

  /** Every item `list` reads: a Query of the byOwner index with an owner, else a Scan; every page. */
  async listItems(query: ListQuery): Promise<SdkItem[]> {
    const items: SdkItem[] = [];
    let startKey: SdkItem | undefined;
    do {
      const { owner } = query;
      const page = await this.call(owner === undefined ? 'Scan' : 'Query (byOwner)', () =>
        owner === undefined
          ? this.options.dynamodb.send(
              new ScanCommand({
                TableName: this.options.tableName,
                FilterExpression: query.filter,
                ExpressionAttributeNames: query.names,
                ExpressionAttributeValues: query.values,
                ExclusiveStartKey: startKey,
                Limit: this.options.pageSize,
              }),
            )
          : this.options.dynamodb.send(
              new QueryCommand({
                TableName: this.options.tableName,
                IndexName: KEY_TABLE_SCHEMA.ownerIndex,
                KeyConditionExpression: '#owner = :owner',
                FilterExpression: query.filter,
                ExpressionAttributeNames: { ...query.names, '#owner': 'owner' },
                ExpressionAttributeValues: { ...query.values, ':owner': { S: owner } },
                ExclusiveStartKey: startKey,
                Limit: this.options.pageSize,
              }),
            ),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return items;
  }

  private attributes(write: Omit<ConditionalWrite, 'update'>): { ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues?: SdkItem } {
    return {
      ...(write.names !== undefined && Object.keys(write.names).length > 0 ? { ExpressionAttributeNames: write.names } : {}),
      ...(write.values !== undefined && Object.keys(write.values).length > 0 ? { ExpressionAttributeValues: write.values } : {}),
    };
  }

  private async conditional(operation: string, send: () => Promise<unknown>): Promise<boolean> {
    try {
      await this.call(operation, send);
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
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
      return new InputError('missing_target', `key table ${this.options.tableName} not found${this.options.where ? ` in ${this.options.where}` : ''}`);
    }
    return describeAwsFailure(`DynamoDB ${operation} on ${this.options.tableName}`, error, this.options.where);
  }
}
