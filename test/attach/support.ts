/**
 * Running `attach` in-process against the fake control plane (fake-api-gateway.ts) and a real key table on dynalite,
 * with a clock whose sleeps only move time (backoff and pacing cost no real time).
 */
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAttachCli } from '../../cli/attach/main';
import type { ClientFactories } from '../../cli/keys/target';
import { TEST_CREDENTIALS, TEST_REGION, type LocalDynamoDb } from '../support/local-dynamodb';

export interface FakeClock {
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Total time slept. */
  slept: number;
}

export function fakeClock(): FakeClock {
  let t = 1_767_225_600_000;
  const clock = {
    slept: 0,
    now: () => t,
    sleep: async (ms: number) => {
      t += ms;
      clock.slept += ms;
    },
  };
  return clock;
}

export function clientsFor(dynamo: LocalDynamoDb): ClientFactories {
  return {
    apiGateway: (config) => new APIGatewayClient({ ...config, region: TEST_REGION, credentials: TEST_CREDENTIALS }),
    cloudFormation: (config) => new CloudFormationClient({ ...config, region: TEST_REGION, credentials: TEST_CREDENTIALS }),
    dynamodb: () => new DynamoDBClient({ endpoint: dynamo.endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS, maxAttempts: 1 }),
  };
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function runAttach(argv: string[], options: { dynamo: LocalDynamoDb; clock: FakeClock }): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  const code = await runAttachCli(argv, {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    clients: clientsFor(options.dynamo),
    clock: options.clock,
  });
  return { code, stdout, stderr };
}

export function tempDir(): { dir: string; file(name: string, content: unknown): string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-attach-'));
  return {
    dir,
    file(name, content) {
      const path = join(dir, name);
      writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
      return path;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The raw attach record of an API, as stored in the key table. */
export async function storedRecord(dynamo: LocalDynamoDb, tableName: string, restApiId: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await dynamo.client.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: `attach#${restApiId}` } }, ConsistentRead: true }));
  if (!Item) return undefined;
  return { ...(JSON.parse(Item.state!.S!) as Record<string, unknown>), type: Item.type?.S };
}
