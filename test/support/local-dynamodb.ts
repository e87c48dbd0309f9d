/**
 * A real DynamoDB protocol endpoint for tests: dynalite on loopback, in memory, with the key table created.
 */
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { ensureActiveTable } from '../../local/dynamodb-tables';
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';
import { keyTableCreateInput } from '../../local/create-key-table';
import type { Item } from '../../lambda/key-table-schema';

export interface LocalDynamoDb {
  readonly endpoint: string;
  readonly port: number;
  readonly tableName: string;
  readonly client: DynamoDBClient;
  putItem(item: Item): Promise<void>;
  /** Requests the server received, by operation (GetItem, UpdateItem...). */
  readonly requests: Map<string, number>;
  count(operation: string): number;
  stop(): Promise<void>;
}

export const TEST_REGION = 'eu-west-1';
export const TEST_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

export async function startLocalDynamoDb(tableName = 'portcullis-keys'): Promise<LocalDynamoDb> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const requests = new Map<string, number>();
  server.on('request', (req: { headers: Record<string, string | string[] | undefined> }) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.slice(target.indexOf('.') + 1);
    requests.set(operation, (requests.get(operation) ?? 0) + 1);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS });
  await ensureActiveTable(client, keyTableCreateInput(tableName));
  return {
    endpoint,
    port,
    tableName,
    client,
    requests,
    count: (operation) => requests.get(operation) ?? 0,
    async putItem(item) {
      await client.send(new PutItemCommand({ TableName: tableName, Item: item as never }));
    },
    async stop() {
      client.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
