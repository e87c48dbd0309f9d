/**
 * Where `apply` records what it changed, so `detach` can put it back: one item per REST API in the key table, under
 * its own partition key prefix (`attach#<restApiId>`), next to the keys but never mistaken for one (the authorizer
 * reads only `key#`/`client#` items; the key CLI's listings filter on `type = apiKey`).
 *
 * Why the key table: the existing-API stack creates it (output KeyTableName), it is retained when the stack is
 * destroyed, it is shared by everyone who runs `attach` (a CI job and a laptop see the same record), and it takes
 * conditional writes, so two concurrent runs cannot both think they recorded the "before" values. The API itself has
 * no place big enough: tags hold 256 characters, stage variables fewer characters still.
 *
 * The record holds, per changed method, its authorization before the first attach; the key source and gateway
 * responses before; and the stage whose deployment is still owed (set before the first change, cleared after
 * CreateDeployment), so a run that stopped part-way is completed by the next one.
 */
import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { GatewayResponseState } from './api-snapshot';
import { AttachFailure, awsErrorName } from './errors';

export const ATTACH_STATE_PREFIX = 'attach#';

export interface MethodBefore {
  readonly resourceId: string;
  readonly authorizationType: string;
  readonly authorizerId?: string;
  readonly apiKeyRequired: boolean;
  readonly authorizationScopes?: readonly string[];
}

export interface AttachRecord {
  readonly restApiId: string;
  readonly authorizerId: string;
  /** `<METHOD> <path>` -> what the method had before the first attach. */
  readonly methods: Readonly<Record<string, MethodBefore>>;
  /** The API's key source before attach changed it. */
  readonly keySource?: string;
  /** Gateway response type -> the response before attach installed its own. */
  readonly gatewayResponses: Readonly<Record<string, GatewayResponseState>>;
  /** The stage whose deployment is owed: changes were (or are being) made and not yet deployed. */
  readonly pendingDeployment?: string;
  /** Optimistic lock: incremented on every save. 0 = not stored yet. */
  readonly version: number;
}

export interface AttachStateStore {
  load(restApiId: string): Promise<AttachRecord | undefined>;
  /** Stores the record if nobody saved another version since it was loaded; returns it with its new version. */
  save(record: AttachRecord): Promise<AttachRecord>;
  remove(record: AttachRecord): Promise<void>;
  readonly description: string;
}

export function emptyRecord(restApiId: string, authorizerId: string): AttachRecord {
  return { restApiId, authorizerId, methods: {}, gatewayResponses: {}, version: 0 };
}

const CONCURRENT = (restApiId: string) =>
  new AttachFailure(`the attach record of API ${restApiId} changed while this run worked: another attach or detach is running; rerun when it ends`);

export class DynamoDbAttachStateStore implements AttachStateStore {
  readonly description: string;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.description = `table ${tableName}`;
  }

  private fail(operation: string, error: unknown): never {
    if (error instanceof AttachFailure) throw error;
    const name = awsErrorName(error);
    if (name === 'ResourceNotFoundException') {
      throw new AttachFailure(`DynamoDB ${operation}: table ${this.tableName} not found: check --table or the stack's KeyTableName output`, { cause: error });
    }
    throw new AttachFailure(`DynamoDB ${operation} on ${this.tableName} failed: ${name}: ${(error as Error).message}`, { cause: error });
  }

  async load(restApiId: string): Promise<AttachRecord | undefined> {
    let item;
    try {
      ({ Item: item } = await this.client.send(
        new GetItemCommand({ TableName: this.tableName, Key: { pk: { S: ATTACH_STATE_PREFIX + restApiId } }, ConsistentRead: true }),
      ));
    } catch (error) {
      this.fail('GetItem', error);
    }
    if (item === undefined) return undefined;
    const state = JSON.parse(item.state?.S ?? '{}') as Omit<AttachRecord, 'version'>;
    return { ...state, version: Number(item.version?.N ?? '0') };
  }

  async save(record: AttachRecord): Promise<AttachRecord> {
    const next = { ...record, version: record.version + 1 };
    const { version, ...state } = next;
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            pk: { S: ATTACH_STATE_PREFIX + record.restApiId },
            type: { S: 'attachState' },
            state: { S: JSON.stringify(state) },
            version: { N: String(version) },
            updatedAt: { N: String(Math.floor(Date.now() / 1000)) },
          },
          ConditionExpression: record.version === 0 ? 'attribute_not_exists(pk)' : 'version = :v',
          ...(record.version === 0 ? {} : { ExpressionAttributeValues: { ':v': { N: String(record.version) } } }),
        }),
      );
    } catch (error) {
      if (awsErrorName(error) === 'ConditionalCheckFailedException') throw CONCURRENT(record.restApiId);
      this.fail('PutItem', error);
    }
    return next;
  }

  async remove(record: AttachRecord): Promise<void> {
    if (record.version === 0) return;
    try {
      await this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: { pk: { S: ATTACH_STATE_PREFIX + record.restApiId } },
          ConditionExpression: 'version = :v',
          ExpressionAttributeValues: { ':v': { N: String(record.version) } },
        }),
      );
    } catch (error) {
      if (awsErrorName(error) === 'ConditionalCheckFailedException') throw CONCURRENT(record.restApiId);
      this.fail('DeleteItem', error);
    }
  }
}
