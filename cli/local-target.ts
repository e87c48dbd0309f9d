/**
 * How the key CLI (`--local`) reaches the local mode's store. The names and values themselves are the local mode's
 * (local/constants.ts), re-exported here so both sides always agree; this module adds the validation the
 * CLI needs (a bad DYNAMODB_PORT is a clear input error, and the host is always loopback).
 */
import { LOCAL_KEY_PREFIX } from '../infra/sample-api';
import {
  DEFAULT_DYNAMODB_PORT,
  DEFAULT_GATEWAY_PORT,
  DEFAULT_ISSUER_PORT,
  LOCAL_CREDENTIALS,
  LOCAL_HOST,
  LOCAL_KEY_TABLE,
  LOCAL_REGION,
} from '../local/constants';

/** The key table of the local mode. */
export const LOCAL_KEY_TABLE_NAME = LOCAL_KEY_TABLE;
export const DEFAULT_LOCAL_DYNAMODB_PORT = DEFAULT_DYNAMODB_PORT;
export { LOCAL_CREDENTIALS, LOCAL_KEY_PREFIX, LOCAL_REGION };

export class LocalTargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LocalTargetError';
  }
}

function portFromEnv(env: Readonly<Record<string, string | undefined>>, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const port = /^\d{1,5}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(port >= 1 && port <= 65_535)) {
    throw new LocalTargetError(`${name} must be a port number (1-65535), got ${JSON.stringify(raw)}`);
  }
  return port;
}

/** The store's port from `DYNAMODB_PORT` (default 8000). Throws {@link LocalTargetError} naming the variable. */
export function localDynamoDbPort(env: Readonly<Record<string, string | undefined>>): number {
  return portFromEnv(env, 'DYNAMODB_PORT', DEFAULT_LOCAL_DYNAMODB_PORT);
}

/** The local gateway, `http://127.0.0.1:${PORT:-3000}`, whose authorizer cache `revoke --local` flushes. */
export function localGatewayUrl(env: Readonly<Record<string, string | undefined>>): string {
  return `http://${LOCAL_HOST}:${portFromEnv(env, 'PORT', DEFAULT_GATEWAY_PORT)}`;
}

/** The local issuer as its tokens' `iss` spells it: `https://127.0.0.1:${ISSUER_PORT:-3001}`. */
export function localIssuerUrl(env: Readonly<Record<string, string | undefined>>): string {
  return `https://${LOCAL_HOST}:${portFromEnv(env, 'ISSUER_PORT', DEFAULT_ISSUER_PORT)}`;
}

/** `http://127.0.0.1:${DYNAMODB_PORT:-8000}`: loopback only, never another host. */
export function localDynamoDbEndpoint(env: Readonly<Record<string, string | undefined>>): string {
  return `http://${LOCAL_HOST}:${localDynamoDbPort(env)}`;
}

/** DynamoDB client settings for the local store (pass to `new DynamoDBClient(...)`). */
export function localDynamoDbClientConfig(env: Readonly<Record<string, string | undefined>>): {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
} {
  return { endpoint: localDynamoDbEndpoint(env), region: LOCAL_REGION, credentials: { ...LOCAL_CREDENTIALS } };
}
