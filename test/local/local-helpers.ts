/**
 * Helpers for the local-mode tests: a temporary `.local/` directory, keys written the way the key CLI writes them
 * (key record + usage key in the local registry), and token requests against the local issuer.
 */
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { generateApiKey, generateKeyId, hashApiKey } from '../../lambda/api-key-format';
import { apiKeyItem, type ApiKeyRecord } from '../../lambda/key-table-schema';
import { LOCAL_KEY_PREFIX } from '../../infra/sample-api';
import { startLocalMode, type LocalMode, type LocalModeOptions } from '../../local/mode';
import { inject } from 'vitest';
import { seedIssuerMaterial } from '../support/issuer-material';
import { makeTempDir } from '../support/temp-dir';

/**
 * A temporary `.local/` folder. It holds the issuer's certificate and signing key of this test run (as after a
 * user's first start: see test/support/issuer-material.ts), unless `fresh`, for tests of the first start itself.
 */
export function tempDataDir(options: { fresh?: boolean } = {}): string {
  const dir = makeTempDir('portcullis-local-');
  if (options.fresh !== true) seedIssuerMaterial(inject('issuerMaterialDir'), dir);
  return dir;
}

/**
 * The local mode as most tests run it: free ports, the store in memory, a data folder of their own (removed when the
 * test file ends), the log silent; `options` adds to or replaces these.
 */
export function startTestLocalMode(options: LocalModeOptions = {}): Promise<LocalMode> {
  return startLocalMode({ ports: { gateway: 0, issuer: 0, dynamodb: 0 }, memory: true, dataDir: tempDataDir(), env: {}, logLevel: 'SILENT', ...options });
}

export interface CreatedKey {
  readonly key: string;
  readonly keyId: string;
  readonly usageKey: string;
  readonly basic: string;
}

/** Creates an API key as `npm run keys -- create --local` does: the hashed record plus its usage key in a plan. */
export async function createLocalKey(
  local: LocalMode,
  options: { scopes: string[]; plan?: string; usageKeyEnabled?: boolean; registerUsageKey?: boolean } = { scopes: ['items:read'] },
): Promise<CreatedKey> {
  const key = generateApiKey(LOCAL_KEY_PREFIX);
  const keyId = generateKeyId();
  const plan = options.plan ?? 'free';
  const usageKey = `usage-${keyId}-${Math.random().toString(36).slice(2)}`;
  const record: ApiKeyRecord = {
    keyId,
    owner: 'acme',
    name: 'test key',
    scopes: options.scopes,
    plan,
    status: 'active',
    createdAt: Math.floor(Date.now() / 1000) - 60,
    usageIdentifierKey: usageKey,
  };
  await local.store.client.send(new PutItemCommand({ TableName: local.store.keyTableName, Item: apiKeyItem(hashApiKey(key), record) as never }));
  if (options.registerUsageKey !== false) {
    await local.store.registry.put({ value: usageKey, plan, name: keyId, enabled: options.usageKeyEnabled ?? true });
  }
  return { key, keyId, usageKey, basic: `Basic ${Buffer.from(`${keyId}:${key}`).toString('base64')}` };
}

/** An HTTPS request to the local issuer, trusting its self-signed certificate. */
export function issuerRequest(
  local: LocalMode,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; text: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${local.issuerUrl}${path}`,
      { method: options.method ?? 'GET', headers: options.headers, ca: readFileSync(local.paths.tlsCert, 'utf8') },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

export async function tokenRequest(
  local: LocalMode,
  form: Record<string, string> | string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Record<string, string | string[] | undefined> }> {
  const response = await issuerRequest(local, '/oauth2/token', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: typeof form === 'string' ? form : new URLSearchParams(form).toString(),
  });
  return { status: response.status, body: JSON.parse(response.text) as Record<string, unknown>, headers: response.headers };
}

/** An access token from `/oauth2/token` for a dev client (secret `<id>-secret`), with HTTP Basic client auth. */
export async function clientToken(local: LocalMode, clientId: string, scope?: string): Promise<string> {
  const { status, body } = await tokenRequest(
    local,
    { grant_type: 'client_credentials', ...(scope !== undefined ? { scope } : {}) },
    { authorization: `Basic ${Buffer.from(`${clientId}:${clientId}-secret`).toString('base64')}` },
  );
  if (status !== 200) throw new Error(`token request failed: ${status} ${JSON.stringify(body)}`);
  return body.access_token as string;
}

export async function call(
  local: LocalMode,
  method: string,
  path: string,
  authorization?: string,
  body?: unknown,
): Promise<{ status: number; body: string; json: () => unknown; headers: Headers }> {
  const response = await fetch(`${local.gatewayUrl}${path}`, {
    method,
    headers: {
      ...(authorization !== undefined ? { authorization } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text, json: () => JSON.parse(text), headers: response.headers };
}
