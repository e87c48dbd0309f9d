/** Starts bench/lib/dynalite-process.ts and gives the handler side what it needs to talk to it. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { generateApiKey, generateKeyId, hashApiKey } from '../../lambda/api-key-format';
import { apiKeyItem, type ApiKeyRecord } from '../../lambda/key-table';
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
      const key = generateApiKey(KEY_PREFIX);
      const record: ApiKeyRecord = {
        keyId: generateKeyId(),
        owner: 'acme',
        name: 'bench key',
        scopes: ['items:read'],
        plan: 'free',
        status: 'active',
        createdAt: Math.floor(Date.now() / 1000) - 60,
        usageIdentifierKey: `usage-${Math.random().toString(36).slice(2)}-0000000000000000`,
        ...overrides,
      };
      await client.send(new PutItemCommand({ TableName: tableName, Item: apiKeyItem(hashApiKey(key), record) as never }));
      return key;
    },
    stop() {
      client.destroy();
      child.disconnect();
    },
  };
}
