/**
 * Helpers for the key CLI tests: fresh tables on one dynalite per test file, a clock the tests move by hand, and
 * raw reads of what was stored.
 */
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { keyTableCreateInput } from '../../local/create-key-table';
import { LocalUsageKeyRegistry } from '../../local/usage-key-registry';
import { LocalUsageKeys } from '../../cli/keys/usage-keys';
import { TEST_CREDENTIALS, TEST_REGION, type LocalDynamoDb } from '../support/local-dynamodb';

let tableCounter = 0;

/** A new, empty key table on the given dynalite. */
export async function newKeyTable(dynamo: LocalDynamoDb): Promise<string> {
  const name = `keys-${process.pid}-${++tableCounter}`;
  await dynamo.client.send(new CreateTableCommand(keyTableCreateInput(name)));
  await untilActive(dynamo.client, name);
  return name;
}

/** CreateTable returns while the table is CREATING (even dynalite's, for a tick): wait for ACTIVE. */
export async function untilActive(client: DynamoDBClient, tableName: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`table ${tableName} did not become ACTIVE`);
}

/** A local usage-key registry in its own table (created on first use, as the CLI does). */
export function newLocalUsageKeys(dynamo: LocalDynamoDb): { registry: LocalUsageKeyRegistry; usageKeys: LocalUsageKeys } {
  const tableName = `usage-${process.pid}-${++tableCounter}`;
  const registry = new LocalUsageKeyRegistry(dynamo.client, tableName);
  return { registry, usageKeys: new LocalUsageKeys(registry, { dynamodb: dynamo.client, tableName }) };
}

export async function scanAll(client: DynamoDBClient, tableName: string): Promise<Array<Record<string, AttributeValue>>> {
  const items: Array<Record<string, AttributeValue>> = [];
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: startKey }));
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

export interface ManualClock {
  /** Epoch seconds. */
  readonly nowSeconds: () => number;
  readonly nowMs: () => number;
  advance(seconds: number): void;
}

export function manualClock(startSeconds = 1_767_225_600): ManualClock {
  let ms = startSeconds * 1000;
  return {
    nowSeconds: () => Math.floor(ms / 1000),
    nowMs: () => ms,
    advance(seconds) {
      ms += seconds * 1000;
    },
  };
}

/** A DynamoDB client to the given endpoint (e.g. a fault proxy in front of dynalite), failing fast. */
export function dynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS, maxAttempts: 1 });
}
