/** Starts bench/lib/dynalite-process.ts and gives the handler side what it needs to talk to it. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { ApiKeyRecord } from '../../lambda/key-table-schema';
import { newApiKey } from '../../test/support/authorizer-harness';
import { TEST_CREDENTIALS, TEST_REGION } from '../../test/support/local-dynamodb';

export const KEY_PREFIX = 'ptc_test_';

export interface RemoteDynamoDb {
  readonly endpoint: string;
  readonly tableName: string;
  /** Stores a fresh active key (as the CLI does) and returns its secret. */
  storeKey(overrides?: Partial<ApiKeyRecord>): Promise<string>;
  stop(): void;
}

export async function startRemoteDynamoDb(): Promise<RemoteDynamoDb> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'dynalite-process.ts')], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  const { endpoint, tableName } = await new Promise<{ endpoint: string; tableName: string }>((resolve, reject) => {
    child.once('message', (message) => resolve(message as { endpoint: string; tableName: string }));
    child.once('exit', (code) => reject(new Error(`dynalite process exited with ${code}`)));
  });
  const client = new DynamoDBClient({ endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS });
  return {
    endpoint,
    tableName,
    async storeKey(overrides = {}) {
      const { key, item } = newApiKey({ name: 'bench key', ...overrides }, KEY_PREFIX);
      await client.send(new PutItemCommand({ TableName: tableName, Item: item as never }));
      return key;
    },
    stop() {
      client.destroy();
      child.disconnect();
    },
  };
}
