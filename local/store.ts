/**
 * The local DynamoDB-compatible store: dynalite on loopback, persisted under `.local/dynamodb` (LevelDB) or kept in
 * memory (`--memory`). On start it creates the key table and the usage-key registry when missing, and registers the
 * default plan's shared usage key (the one JWT clients without a binding are metered under).
 */
import { ensureActiveTable } from './dynamodb-tables';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { keyTableCreateInput } from './create-key-table';
import { closeServer, listen } from './listen';
import { LOCAL_CREDENTIALS, LOCAL_HOST, LOCAL_KEY_TABLE, LOCAL_REGION } from './constants';
import { LocalUsageKeyRegistry } from './usage-key-registry';

export interface LocalStoreOptions {
  readonly port: number;
  /** LevelDB directory; undefined keeps everything in memory. */
  readonly path?: string;
  readonly keyTableName?: string;
  /** Usage keys registered on start when missing (value -> plan). */
  readonly sharedUsageKeys?: readonly { value: string; plan: string; name: string }[];
}

export interface LocalStore {
  readonly port: number;
  readonly endpoint: string;
  readonly keyTableName: string;
  readonly client: DynamoDBClient;
  readonly registry: LocalUsageKeyRegistry;
  stop(): Promise<void>;
}

async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await ensureActiveTable(client, keyTableCreateInput(tableName));
}

export function localDynamoDbClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: { ...LOCAL_CREDENTIALS }, maxAttempts: 2 });
}

export class DataDirectoryInUseError extends Error {
  constructor(public readonly path: string, public readonly pid: number) {
    super(`The store's data directory ${path} is in use by another local mode (process ${pid}): stop it, or run with --memory`);
    this.name = 'DataDirectoryInUseError';
  }
}

const heldLocks = new Set<string>();

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One store per data directory: LevelDB allows one opener, and dynalite fails late (an uncaught error) when a
 * second one tries. A pid file next to the data says who holds it; a dead holder's file is taken over.
 */
function lockDataDirectory(path: string): () => void {
  const lockFile = `${path}.pid`;
  if (heldLocks.has(path)) throw new DataDirectoryInUseError(path, process.pid);
  let holder = Number.NaN;
  try {
    holder = Number(readFileSync(lockFile, 'utf8').trim());
  } catch {
    // no lock file
  }
  if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && processAlive(holder)) {
    throw new DataDirectoryInUseError(path, holder);
  }
  writeFileSync(lockFile, `${process.pid}\n`);
  heldLocks.add(path);
  return () => {
    heldLocks.delete(path);
    rmSync(lockFile, { force: true });
  };
}

export async function startLocalStore(options: LocalStoreOptions): Promise<LocalStore> {
  let unlock = () => {};
  if (options.path !== undefined) {
    mkdirSync(options.path, { recursive: true });
    unlock = lockDataDirectory(options.path);
  }
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(options.path !== undefined ? { path: options.path } : {}),
  });
  let port: number;
  try {
    port = await listen(server, options.port, LOCAL_HOST, 'DYNAMODB_PORT', 'local DynamoDB store');
  } catch (error) {
    unlock();
    throw error;
  }
  const endpoint = `http://${LOCAL_HOST}:${port}`;
  const client = localDynamoDbClient(endpoint);
  const keyTableName = options.keyTableName ?? LOCAL_KEY_TABLE;
  const registry = new LocalUsageKeyRegistry(client);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    client.destroy();
    await closeServer(server);
    unlock();
  };
  try {
    await ensureTable(client, keyTableName);
    await registry.ensureTable();
    for (const key of options.sharedUsageKeys ?? []) {
      if (!(await registry.get(key.value))) await registry.put(key);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { port, endpoint, keyTableName, client, registry, stop };
}
