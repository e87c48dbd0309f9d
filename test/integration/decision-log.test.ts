/**
 * What the authorizer writes to its logs: one structured line per decision with the reason code, and never a
 * token, a key, its hash or an Authorization header, whatever the outcome.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKey, signJwt, type SigningKey } from '../../local/jwt-signer';
import { generateApiKey, hashApiKey } from '../../lambda/api-key-format';
import { loadConfig } from '../../lambda/config';
import { createAuthorizerHandler } from '../../lambda/create-handler';
import { DynamoDbKeyStore } from '../../lambda/dynamodb-key-store';
import { authorizerEnv, requestEvent, storeApiKey } from '../support/authorizer-harness';
import { startJwksServer, type JwksServer } from '../support/jwks-server';
import { startLocalDynamoDb, TEST_CREDENTIALS, TEST_REGION, type LocalDynamoDb } from '../support/local-dynamodb';

let dynamo: LocalDynamoDb;
let jwks: JwksServer;
let rsa: SigningKey;

beforeAll(async () => {
  rsa = generateSigningKey('RS256', 'rsa-1');
  [dynamo, jwks] = await Promise.all([startLocalDynamoDb(), startJwksServer([rsa])]);
});

afterAll(async () => {
  await Promise.all([dynamo.stop(), jwks.stop()]);
});

/** Runs `fn` and returns everything written to stdout and stderr meanwhile. */
async function captureOutput(fn: () => Promise<void>): Promise<string> {
  const chunks: string[] = [];
  const stdout = process.stdout.write.bind(process.stdout);
  const stderr = process.stderr.write.bind(process.stderr);
  const grab = (chunk: unknown) => {
    chunks.push(String(chunk));
    return true;
  };
  process.stdout.write = grab as typeof process.stdout.write;
  process.stderr.write = grab as typeof process.stderr.write;
  try {
    await fn();
  } finally {
    process.stdout.write = stdout;
    process.stderr.write = stderr;
  }
  return chunks.join('');
}

describe('Decision log', () => {
  it('logs one line per decision with reason codes and never a secret', async () => {
    // The production log: default level and metrics from the environment, written to stdout.
    const config = loadConfig({ ...authorizerEnv({ issuers: [jwks], dynamo }), POWERTOOLS_METRICS_NAMESPACE: 'Portcullis' });
    const { handler, deps } = createAuthorizerHandler(config, {
      keyStore: new DynamoDbKeyStore({
        tableName: dynamo.tableName,
        endpoint: dynamo.endpoint,
        region: TEST_REGION,
        credentials: TEST_CREDENTIALS,
        requestTimeoutMs: 1000,
        connectTimeoutMs: 500,
        maxAttempts: 1,
      }),
    });
    const { key, record } = await storeApiKey(dynamo);
    const now = Math.floor(Date.now() / 1000);
    const token = signJwt(rsa, { iss: jwks.issuer, aud: 'portcullis-api', sub: 'user-9', exp: now + 60, scope: 'items:read' });
    const expired = signJwt(rsa, { iss: jwks.issuer, aud: 'portcullis-api', sub: 'user-9', exp: now - 600 });
    const basic = `Basic ${Buffer.from(`${record.keyId}:${key}`).toString('base64')}`;
    const secrets = [key, hashApiKey(key), token, expired, basic.slice(6), token.split('.')[2]!];

    const output = await captureOutput(async () => {
      for (const authorization of [`Bearer ${token}`, `Bearer ${expired}`, `ApiKey ${key}`, basic, `ApiKey ${key}x`, `Bearer ${token}`]) {
        await handler(requestEvent({ method: 'DELETE', resource: '/items/{id}', authorization })).catch(() => undefined);
        await handler(requestEvent({ authorization })).catch(() => undefined);
      }
      await dynamo.stop();
      await handler(requestEvent({ authorization: `ApiKey ${generateApiKey('ptc_test_')}` })).catch(() => undefined);
      await deps.apiKeys?.flush();
    });
    dynamo = await startLocalDynamoDb();

    for (const secret of secrets) expect(output).not.toContain(secret);
    const lines = output
      .split('\n')
      .filter((line) => line.includes('authorizer decision'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(13);
    expect(lines.map((line) => `${line.decision}:${line.reason}`)).toEqual([
      'deny:insufficient_scope',
      'allow:authorized',
      'unauthorized:token_expired',
      'unauthorized:token_expired',
      'deny:insufficient_scope',
      'allow:authorized',
      'deny:insufficient_scope',
      'allow:authorized',
      'unauthorized:malformed_api_key',
      'unauthorized:malformed_api_key',
      'deny:insufficient_scope',
      'allow:authorized',
      'error:key_store_unavailable',
    ]);
    expect(lines[1]).toMatchObject({ authMethod: 'jwt', principal: 'user-9', method: 'GET', route: 'GET /items', cacheHit: true });
    expect(lines[5]).toMatchObject({ authMethod: 'apiKey', principal: record.keyId, keyId: record.keyId });
    expect(lines[0]).toMatchObject({ route: 'DELETE /items/{id}', cacheHit: false });
    expect(typeof lines[1]!.latencyMs).toBe('number');
    // Each line is also an EMF document: the Decisions metric by service, decision and reason.
    expect(lines[1]).toMatchObject({
      level: 'INFO',
      service: 'portcullis-authorizer',
      Decisions: 1,
      _aws: { CloudWatchMetrics: [{ Namespace: 'Portcullis', Dimensions: [['service', 'decision', 'reason']] }] },
    });
    expect(lines[12]).toMatchObject({ level: 'ERROR', decision: 'error' });
  });
});
