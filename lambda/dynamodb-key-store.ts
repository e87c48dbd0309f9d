/**
 * Reads key records and client bindings from DynamoDB, and records last use.
 *
 * The SDK is imported on first use, not at module load: a container that only ever sees JWTs never pays the
 * ~50 ms it takes to load `@aws-sdk/client-dynamodb`. Timeouts and retries are set on purpose so a slow or
 * throttling table turns into a bounded 500, never a hang. Any failure is a {@link DependencyFaultError}.
 */
import type { DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { errorName } from './error-name';
import { DependencyFaultError } from './errors';
import {
  apiKeyPartitionKey,
  clientBindingPartitionKey,
  type Item,
} from './key-table-schema';

export interface KeyStore {
  /** The raw item for a key hash, or undefined when there is none. Throws DependencyFaultError. */
  getApiKeyItem(keyHash: string): Promise<Item | undefined>;
  /** The raw client binding item, or undefined. Throws DependencyFaultError. */
  getClientBindingItem(issuer: string, clientId: string): Promise<Item | undefined>;
  /** Sets lastUsedAt when the stored value is older than `notBeforeSeconds`. Throws DependencyFaultError. */
  touchLastUsed(keyHash: string, nowSeconds: number, notBeforeSeconds: number): Promise<void>;
}

export interface DynamoDbKeyStoreOptions {
  readonly tableName: string;
  /** Per-attempt timeout of one DynamoDB request. */
  readonly requestTimeoutMs: number;
  readonly connectTimeoutMs: number;
  /** Attempts in all (1 = no retry). */
  readonly maxAttempts: number;
  /** Defaults to the SDK's resolution (AWS_REGION, AWS_ENDPOINT_URL_DYNAMODB...). */
  readonly region?: string;
  readonly endpoint?: string;
  /** Defaults to the SDK's provider chain (the Lambda role). */
  readonly credentials?: { accessKeyId: string; secretAccessKey: string };
}

interface Sdk {
  client: DynamoDBClient;
  GetItem: typeof GetItemCommand;
  UpdateItem: typeof UpdateItemCommand;
}

export class DynamoDbKeyStore implements KeyStore {
  private sdk?: Promise<Sdk>;

  constructor(private readonly options: DynamoDbKeyStoreOptions) {}

  private loadSdk(): Promise<Sdk> {
    this.sdk ??= import('@aws-sdk/client-dynamodb').then((module) => ({
      client: new module.DynamoDBClient({
        region: this.options.region,
        endpoint: this.options.endpoint,
        credentials: this.options.credentials,
        maxAttempts: this.options.maxAttempts,
        requestHandler: {
          requestTimeout: this.options.requestTimeoutMs,
          // Without this, current SDK versions only log a warning when requestTimeout passes and keep waiting.
          throwOnRequestTimeout: true,
          connectionTimeout: this.options.connectTimeoutMs,
        },
      }),
      GetItem: module.GetItemCommand,
      UpdateItem: module.UpdateItemCommand,
    }));
    this.sdk.catch(() => {
      // A failed load is retried on the next request rather than cached forever.
      this.sdk = undefined;
    });
    return this.sdk;
  }

  private async getItem(pk: string): Promise<Item | undefined> {
    try {
      const { client, GetItem } = await this.loadSdk();
      const result = await client.send(
        new GetItem({ TableName: this.options.tableName, Key: { pk: { S: pk } }, ConsistentRead: false }),
      );
      return result.Item as Item | undefined;
    } catch (error) {
      throw new DependencyFaultError('key_store_unavailable', `Key table read failed: ${errorName(error)}`, {
        cause: error,
      });
    }
  }

  getApiKeyItem(keyHash: string): Promise<Item | undefined> {
    return this.getItem(apiKeyPartitionKey(keyHash));
  }

  getClientBindingItem(issuer: string, clientId: string): Promise<Item | undefined> {
    return this.getItem(clientBindingPartitionKey(issuer, clientId));
  }

  async touchLastUsed(keyHash: string, nowSeconds: number, notBeforeSeconds: number): Promise<void> {
    try {
      const { client, UpdateItem } = await this.loadSdk();
      await client.send(
        new UpdateItem({
          TableName: this.options.tableName,
          Key: { pk: { S: apiKeyPartitionKey(keyHash) } },
          UpdateExpression: 'SET lastUsedAt = :now',
          // Never creates an item, and at most one write per interval however many containers race.
          ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(lastUsedAt) OR lastUsedAt < :threshold)',
          ExpressionAttributeValues: { ':now': { N: String(nowSeconds) }, ':threshold': { N: String(notBeforeSeconds) } },
        }),
      );
    } catch (error) {
      if (errorName(error) === 'ConditionalCheckFailedException') return;
      throw new DependencyFaultError('key_store_unavailable', `Last-used update failed: ${errorName(error)}`, {
        cause: error,
      });
    }
  }
}
