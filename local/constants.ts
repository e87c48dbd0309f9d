/**
 * Fixed names of the local mode: where its store listens, what its tables are called, and the stage identity its
 * gateway puts in method ARNs. The key CLI (`--local`) finds the running store through the same values.
 */
import type { Env } from '../lambda/env';

export const LOCAL_KEY_TABLE = 'portcullis-keys';
export const LOCAL_REGION = 'us-east-1';
/** dynalite accepts any credentials; the SDK insists on having some. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

export const DEFAULT_GATEWAY_PORT = 3000;
export const DEFAULT_ISSUER_PORT = 3001;
export const DEFAULT_DYNAMODB_PORT = 8000;
export const LOCAL_HOST = '127.0.0.1';

/** The stage the local gateway pretends to be (appears in method ARNs and request contexts). */
export const LOCAL_STAGE = Object.freeze({
  region: LOCAL_REGION,
  accountId: '123456789012',
  apiId: 'ptclocal01',
  stage: 'local',
  deploymentId: 'local01',
});

/** The endpoint of the running local store, from `DYNAMODB_PORT` (default 8000). */
export function localDynamoDbEndpoint(env: Env = process.env): string {
  const port = env.DYNAMODB_PORT?.trim() || String(DEFAULT_DYNAMODB_PORT);
  return `http://${LOCAL_HOST}:${port}`;
}
