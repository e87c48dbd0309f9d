/**
 * The local stand-in for API Gateway's API keys and usage-plan keys: which hidden usage key value belongs to which
 * plan, and whether it is enabled. The key CLI writes it (`--local`), the local gateway reads it to meter callers.
 * It lives in the local DynamoDB-compatible store, in its own table, so it survives restarts with the keys.
 */
import { ensureActiveTable } from './dynamodb-tables';
import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';

export const LOCAL_USAGE_KEY_TABLE = 'portcullis-local-usage-keys';

export interface LocalUsageKey {
  /** The key value the authorizer returns as `usageIdentifierKey`. */
  readonly value: string;
  readonly plan: string;
  readonly enabled: boolean;
  /** Free text, e.g. the Portcullis key id or JWT client it serves. */
  readonly name: string;
  readonly createdAt: number;
}

export class LocalUsageKeyRegistry {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string = LOCAL_USAGE_KEY_TABLE,
  ) {}

  /** Creates the table when it does not exist yet. */
  async ensureTable(): Promise<void> {
    await ensureActiveTable(this.client, {
      TableName: this.tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'value', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'value', KeyType: 'HASH' }],
    });
  }

  /** Adds a usage key to a plan. Refuses to overwrite an existing value. */
  async put(key: Omit<LocalUsageKey, 'createdAt' | 'enabled'> & { enabled?: boolean }): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: {
          value: { S: key.value },
          plan: { S: key.plan },
          enabled: { BOOL: key.enabled ?? true },
          name: { S: key.name },
          createdAt: { N: String(Math.floor(Date.now() / 1000)) },
        },
        ConditionExpression: 'attribute_not_exists(#v)',
        ExpressionAttributeNames: { '#v': 'value' },
      }),
    );
  }

  async setEnabled(value: string, enabled: boolean): Promise<void> {
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: { value: { S: value } },
        UpdateExpression: 'SET enabled = :enabled',
        ConditionExpression: 'attribute_exists(#v)',
        ExpressionAttributeNames: { '#v': 'value' },
        ExpressionAttributeValues: { ':enabled': { BOOL: enabled } },
      }),
    );
  }

  /** Removes a usage key (the key CLI undoing one it made). Deleting a missing value is a no-op. */
  async delete(value: string): Promise<void> {
    await this.client.send(new DeleteItemCommand({ TableName: this.tableName, Key: { value: { S: value } } }));
  }

  async get(value: string): Promise<LocalUsageKey | undefined> {
    const { Item } = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: { value: { S: value } } }));
    if (!Item) return undefined;
    return {
      value,
      plan: Item.plan?.S ?? '',
      enabled: Item.enabled?.BOOL === true,
      name: Item.name?.S ?? '',
      createdAt: Number(Item.createdAt?.N ?? 0),
    };
  }
}
