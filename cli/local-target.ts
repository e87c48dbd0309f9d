/**
 * Where the local mode keeps its keys: one small module so the key CLI (`--local`) and the local mode (`npm start`)
 * agree on the store's address, credentials, table and key prefix without repeating strings.
 */
import { LOCAL_KEY_PREFIX } from '../infra/sample-api';

/** The key table of the local mode. */
export const LOCAL_KEY_TABLE_NAME = 'portcullis-keys';

/** The port the local DynamoDB-compatible store listens on when `DYNAMODB_PORT` is not set. */
export const DEFAULT_LOCAL_DYNAMODB_PORT = 8000;

/** Any region works against the local store (dynalite ignores it); one fixed value keeps both sides identical. */
export const LOCAL_REGION = 'us-east-1';

/** The local store checks no signature, but the SDK insists on credentials: these are dummies, on purpose. */
export const LOCAL_CREDENTIALS = Object.freeze({ accessKeyId: 'local', secretAccessKey: 'local' });

export { LOCAL_KEY_PREFIX };

export class LocalTargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LocalTargetError';
  }
}

/** The store's port from `DYNAMODB_PORT` (default 8000). Throws {@link LocalTargetError} naming the variable. */
export function localDynamoDbPort(env: Readonly<Record<string, string | undefined>>): number {
  const raw = env.DYNAMODB_PORT?.trim();
  if (raw === undefined || raw === '') return DEFAULT_LOCAL_DYNAMODB_PORT;
  const port = /^\d{1,5}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(port >= 1 && port <= 65_535)) {
    throw new LocalTargetError(`DYNAMODB_PORT must be a port number (1-65535), got ${JSON.stringify(raw)}`);
  }
  return port;
}

/** `http://127.0.0.1:${DYNAMODB_PORT:-8000}`: loopback only, never another host. */
export function localDynamoDbEndpoint(env: Readonly<Record<string, string | undefined>>): string {
  return `http://127.0.0.1:${localDynamoDbPort(env)}`;
}

/** DynamoDB client settings for the local store (pass to `new DynamoDBClient(...)`). */
export function localDynamoDbClientConfig(env: Readonly<Record<string, string | undefined>>): {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
} {
  return { endpoint: localDynamoDbEndpoint(env), region: LOCAL_REGION, credentials: { ...LOCAL_CREDENTIALS } };
}
