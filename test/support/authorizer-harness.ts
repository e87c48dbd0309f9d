/**
 * Builds the real authorizer handler against real parts: dynalite on loopback for keys, an HTTPS JWKS endpoint for
 * tokens, configuration given as the environment variables the stack sets. Nothing of ours is replaced.
 */
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { evaluatePolicy } from '../../local/iam-policy-evaluator';
import { generateApiKey, generateKeyId, hashApiKey } from '../../lambda/api-key-format';
import { loadConfig } from '../../lambda/config';
import { createAuthorizerHandler, type AuthorizerHandler } from '../../lambda/create-handler';
import { DecisionLog } from '../../lambda/decision-log';
import { DynamoDbKeyStore } from '../../lambda/dynamodb-key-store';
import { apiKeyItem, type ApiKeyRecord } from '../../lambda/key-table-schema';
import type { RouteManifest } from '../../lambda/route-manifest';
import { TEST_CREDENTIALS, TEST_REGION, type LocalDynamoDb } from './local-dynamodb';
import { makeTempDir } from './temp-dir';

export const TEST_MANIFEST: RouteManifest = {
  routes: [
    { method: 'GET', path: '/whoami', scopes: [] },
    { method: 'GET', path: '/items', scopes: ['items:read'], metered: true },
    { method: 'POST', path: '/items', scopes: ['items:write'], metered: true },
    { method: 'GET', path: '/items/{id}', scopes: ['items:read'], metered: true },
    { method: 'DELETE', path: '/items/{id}', scopes: ['items:admin'], metered: true },
    { method: 'GET', path: '/items/{id}/audit', anyOf: [['items:admin'], ['audit:read']] },
  ],
};

export const API_ID = 'puhdx84jy9';
export const STAGE_ARN = `arn:aws:execute-api:eu-west-1:123456789012:${API_ID}/prod`;

const fixture = JSON.parse(
  readFileSync(join(__dirname, '../fixtures/apigateway-events/rest-authorizer-request.json'), 'utf8'),
) as APIGatewayRequestAuthorizerEvent;

export interface EventOptions {
  readonly method?: string;
  readonly resource?: string;
  readonly path?: string;
  /** One Authorization value; omitted when undefined. */
  readonly authorization?: string;
  /** Raw header maps, for duplicate-header cases (override `authorization`). */
  readonly headers?: Record<string, string>;
  readonly multiValueHeaders?: Record<string, string[]>;
  readonly query?: Record<string, string>;
}

/** A REQUEST authorizer event shaped exactly like the captured one, for the given route and credential. */
function withoutAuthorization<V>(map: Record<string, V>): Record<string, V> {
  const copy: Record<string, V> = {};
  for (const [name, value] of Object.entries(map)) if (name !== 'Authorization') copy[name] = value;
  return copy;
}

/**
 * The same event as the Lambda runtime hands it to the handler: parsed from the invocation's JSON payload (objects
 * of that shape, no shared references). Benchmarks use it so that they time what production sees.
 */
export function lambdaEvent(options: EventOptions = {}): APIGatewayRequestAuthorizerEvent {
  return JSON.parse(JSON.stringify(requestEvent(options))) as APIGatewayRequestAuthorizerEvent;
}

export function requestEvent(options: EventOptions = {}): APIGatewayRequestAuthorizerEvent {
  const method = options.method ?? 'GET';
  const resource = options.resource ?? '/items';
  const path = options.path ?? resource.replace(/\{[^}]+\}/g, '42');
  // Built without `delete`, which would turn the maps into slow dictionary-mode objects the runtime never hands over.
  const headers: Record<string, string> = withoutAuthorization(fixture.headers as Record<string, string>);
  const multiValueHeaders: Record<string, string[]> = withoutAuthorization(fixture.multiValueHeaders as Record<string, string[]>);
  if (options.authorization !== undefined) {
    headers.Authorization = options.authorization;
    multiValueHeaders.Authorization = [options.authorization];
  }
  return {
    ...fixture,
    methodArn: `${STAGE_ARN}/${method}${path}`,
    resource,
    path,
    httpMethod: method,
    headers: options.headers ?? headers,
    multiValueHeaders: options.multiValueHeaders ?? multiValueHeaders,
    queryStringParameters: options.query ?? {},
    multiValueQueryStringParameters: Object.fromEntries(Object.entries(options.query ?? {}).map(([k, v]) => [k, [v]])),
    pathParameters: resource.includes('{') ? { id: '42' } : {},
    requestContext: { ...fixture.requestContext, resourcePath: resource, httpMethod: method, path: `/prod${path}` },
  } as APIGatewayRequestAuthorizerEvent;
}

export interface IssuerUnderTest {
  readonly issuer: string;
  readonly jwksUri: string;
  readonly ca: string;
  readonly audience?: string | string[] | null;
  readonly scopeClaim?: 'scope' | 'scp';
}

export interface HarnessOptions {
  readonly issuers?: IssuerUnderTest[];
  readonly dynamo?: LocalDynamoDb;
  /** DynamoDB endpoint override (e.g. a fault proxy in front of dynalite). */
  readonly dynamoEndpoint?: string;
  readonly env?: Record<string, string>;
  readonly nowMs?: () => number;
  readonly manifest?: RouteManifest;
}

export interface Harness extends AuthorizerHandler {
  readonly keyStore?: DynamoDbKeyStore;
  /** Every decision the handler logged, in order (the structured log line's fields). */
  readonly decisions: Array<Record<string, unknown>>;
  /** The reason code of the last decision. */
  lastReason(): string | undefined;
  /** Every WARN line the authorizer logged (JWKS prefetch failures, dropped keys...), parsed. */
  readonly warnings: Array<Record<string, unknown>>;
}

/** Made on first use (the bench imports this module too), removed at the end of the test file. */
let caDir: string | undefined;

export function authorizerEnv(options: HarnessOptions): Record<string, string> {
  const env: Record<string, string> = {
    ROUTE_MANIFEST: JSON.stringify(options.manifest ?? TEST_MANIFEST),
    API_KEY_PREFIX: 'ptc_test_',
    DEFAULT_PLAN: 'pro',
    DEFAULT_USAGE_IDENTIFIER_KEY: 'default-usage-key-value-000000000000',
    ...options.env,
  };
  if (options.issuers?.length) {
    env.JWT_ISSUERS = JSON.stringify(
      options.issuers.map((issuer) => ({
        issuer: issuer.issuer,
        audience: issuer.audience === undefined ? 'portcullis-api' : issuer.audience,
        jwksUri: issuer.jwksUri,
        ...(issuer.scopeClaim ? { scopeClaim: issuer.scopeClaim } : {}),
      })),
    );
    // Made again for each test file: the setup file removes a file's temp dirs when it ends, and files may share
    // this module (vitest runs them without isolation).
    if (caDir === undefined || !existsSync(caDir)) caDir = makeTempDir('portcullis-ca-');
    const caFile = join(caDir, `ca-${options.issuers.length}-${Math.random().toString(36).slice(2)}.pem`);
    writeFileSync(caFile, options.issuers.map((issuer) => issuer.ca).join('\n'));
    env.JWKS_EXTRA_CA_FILE = caFile;
  }
  if (options.dynamo) env.KEY_TABLE_NAME = options.dynamo.tableName;
  return env;
}

export function createHarness(options: HarnessOptions): Harness {
  const config = loadConfig(authorizerEnv(options));
  const keyStore = options.dynamo
    ? new DynamoDbKeyStore({
        tableName: options.dynamo.tableName,
        endpoint: options.dynamoEndpoint ?? options.dynamo.endpoint,
        region: TEST_REGION,
        requestTimeoutMs: config.dynamoDbTimeoutMs,
        connectTimeoutMs: config.dynamoDbConnectTimeoutMs,
        maxAttempts: config.dynamoDbMaxAttempts,
        credentials: TEST_CREDENTIALS,
      })
    : undefined;
  const decisions: Array<Record<string, unknown>> = [];
  const warnings: Array<Record<string, unknown>> = [];
  const log = new DecisionLog({
    serviceName: 'portcullis-test',
    level: 'INFO',
    metricsNamespace: 'PortcullisTest',
    // Keep the decision lines, so tests can read the reason codes the authorizer logs.
    write: (line) => {
      const entry = JSON.parse(line) as Record<string, unknown>;
      if (entry.message === 'authorizer decision') decisions.push(entry);
      else if (entry.level === 'WARN') warnings.push(entry);
    },
  });
  const built = createAuthorizerHandler(config, {
    log,
    nowMs: options.nowMs,
    keyStore,
  });
  return { ...built, keyStore, decisions, warnings, lastReason: () => decisions.at(-1)?.reason as string | undefined };
}

export interface StoredKey {
  readonly key: string;
  readonly record: ApiKeyRecord;
}

/** A fresh active key as the CLI creates it: its secret, its record, and the item stored for it (hash only). */
export function newApiKey(overrides: Partial<ApiKeyRecord> = {}, prefix = 'ptc_test_'): StoredKey & { readonly item: ReturnType<typeof apiKeyItem> } {
  const key = generateApiKey(prefix);
  const record: ApiKeyRecord = {
    keyId: generateKeyId(),
    owner: 'acme',
    name: 'test key',
    scopes: ['items:read'],
    plan: 'free',
    status: 'active',
    createdAt: Math.floor(Date.now() / 1000) - 60,
    usageIdentifierKey: `usage-${Math.random().toString(36).slice(2)}-0000000000000000`,
    ...overrides,
  };
  return { key, record, item: apiKeyItem(hashApiKey(key), record) };
}

/** Writes a key record straight into the table (as the CLI does) and returns the secret. */
export async function storeApiKey(
  dynamo: LocalDynamoDb,
  overrides: Partial<ApiKeyRecord> = {},
  prefix = 'ptc_test_',
): Promise<StoredKey> {
  const { key, record, item } = newApiKey(overrides, prefix);
  await dynamo.putItem(item);
  return { key, record };
}

/** Runs the handler and reports what API Gateway would answer: 200 (Allow), 403 (Deny), 401, or 500. */
export async function gatewayStatus(harness: AuthorizerHandler, event: APIGatewayRequestAuthorizerEvent): Promise<number> {
  try {
    const result = await harness.handler(event);
    return evaluatePolicy(result.policyDocument, event.methodArn) === 'allow' ? 200 : 403;
  } catch (error) {
    return (error as Error).message === 'Unauthorized' ? 401 : 500;
  }
}
