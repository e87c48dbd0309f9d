/**
 * A bounded load test through the local mode (gateway cache off, so every request reaches the authorizer), driven
 * by autocannon from a second process: thousands of requests mixing genuine, forged, expired, revoked and unknown
 * credentials, each checked against the answer it must get. Zero wrong decisions, zero 5xx for bad input, and the
 * authorizer's caches stay within their hard limits (heap reported before and after).
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signJwt } from '../../local/jwt-signer';
import { mintAccessToken } from '../../local/access-token';
import { startLocalMode, type LocalMode } from '../../local/mode';
import { loadSigningKey } from '../../local/state';
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { generateApiKey, hashApiKey } from '../../lambda/api-key-format';
import { SAMPLE_AUDIENCE, LOCAL_KEY_PREFIX } from '../../infra/sample-api';
import { createLocalKey, tempDataDir } from '../local/local-helpers';

const TOTAL_REQUESTS = Number(process.env.LOAD_REQUESTS ?? 6000);
const KEY_CACHE_MAX = 300;
const TOKEN_CACHE_MAX = 200;

let local: LocalMode;

interface LoadRequest {
  readonly kind: string;
  readonly method: string;
  readonly path: string;
  readonly authorization?: string;
  readonly expect: number;
}

function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

function heapMb(): number {
  collectGarbage();
  return Math.round((process.memoryUsage().heapUsed / 1_048_576) * 10) / 10;
}

beforeAll(async () => {
  local = await startLocalMode({
    ports: { gateway: 0, issuer: 0, dynamodb: 0 },
    memory: true,
    dataDir: tempDataDir(),
    env: {
      AUTHORIZER_CACHE_TTL: '0',
      KEY_CACHE_MAX_ENTRIES: String(KEY_CACHE_MAX),
      VERIFIED_TOKEN_CACHE_MAX_ENTRIES: String(TOKEN_CACHE_MAX),
    },
    logLevel: 'SILENT',
  });
});

afterAll(async () => {
  await local?.stop();
});

describe('Mixed-credential load through the local gateway', () => {
  it('makes zero wrong decisions and no 5xx for bad input, with bounded caches', async () => {
    const signingKey = loadSigningKey(local.paths)!;
    const now = Math.floor(Date.now() / 1000);
    const token = (claims: { subject?: string; ttlSeconds?: number }) =>
      mintAccessToken(signingKey, { issuer: local.issuerUrl, audience: SAMPLE_AUDIENCE, clientId: 'load', scopes: ['items:read'], ttlSeconds: 600, ...claims });
    const requests: LoadRequest[] = [];
    // Distinct genuine tokens (more than the verified-token cache holds) and keys, plus every kind of bad credential.
    for (let i = 0; i < 500; i++) {
      requests.push({ kind: 'jwt', method: 'GET', path: '/whoami', authorization: `Bearer ${token({ subject: `user-${i}` })}`, expect: 200 });
    }
    const keys = await Promise.all(Array.from({ length: 40 }, () => createLocalKey(local, { scopes: ['items:read'], plan: 'pro' })));
    for (const key of keys) {
      requests.push({ kind: 'apiKey', method: 'GET', path: '/whoami', authorization: `ApiKey ${key.key}`, expect: 200 });
      requests.push({ kind: 'basic', method: 'GET', path: '/whoami', authorization: key.basic, expect: 200 });
    }
    const revoked = await createLocalKey(local, { scopes: ['items:read'] });
    await local.store.client.send(
      new UpdateItemCommand({
        TableName: local.store.keyTableName,
        Key: { pk: { S: `key#${hashApiKey(revoked.key)}` } },
        UpdateExpression: 'SET #s = :r, revokedAt = :t',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':r': { S: 'revoked' }, ':t': { N: String(now - 1) } },
      }),
    );
    for (let i = 0; i < 100; i++) {
      const genuine = token({ subject: `bad-${i}` });
      const [h, p, s] = genuine.split('.');
      requests.push({ kind: 'no scope', method: 'DELETE', path: '/items/1', authorization: `Bearer ${genuine}`, expect: 403 });
      requests.push({ kind: 'expired', method: 'GET', path: '/whoami', authorization: `Bearer ${token({ ttlSeconds: -300, subject: `old-${i}` })}`, expect: 401 });
      requests.push({ kind: 'tampered', method: 'GET', path: '/whoami', authorization: `Bearer ${h}.${p}x.${s}`, expect: 401 });
      requests.push({ kind: 'forged', method: 'GET', path: '/whoami', authorization: `Bearer ${signJwt({ ...signingKey, kid: `nope-${i}` }, { iss: local.issuerUrl, aud: SAMPLE_AUDIENCE, sub: 'x', exp: now + 60 })}`, expect: 401 });
      for (let j = 0; j < 4; j++) {
        requests.push({ kind: 'unknown key', method: 'GET', path: '/whoami', authorization: `ApiKey ${generateApiKey(LOCAL_KEY_PREFIX)}`, expect: 401 });
      }
      requests.push({ kind: 'bad checksum', method: 'GET', path: '/whoami', authorization: `ApiKey ${generateApiKey(LOCAL_KEY_PREFIX).slice(0, -1)}0`, expect: 401 });
      requests.push({ kind: 'garbage', method: 'GET', path: '/whoami', authorization: `Bearer ${'A'.repeat(i + 1)}`, expect: 401 });
      requests.push({ kind: 'revoked', method: 'GET', path: '/whoami', authorization: `ApiKey ${revoked.key}`, expect: 401 });
      requests.push({ kind: 'no credential', method: 'GET', path: '/whoami', expect: 401 });
    }
    // Interleave kinds so every connection sees a mix.
    requests.sort(() => Math.random() - 0.5);

    const specFile = join(tempDataDir(), 'load.json');
    writeFileSync(specFile, JSON.stringify({ url: local.gatewayUrl, connections: 16, amount: TOTAL_REQUESTS, requests }));
    const heapBefore = heapMb();
    const output = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [join(__dirname, 'load-client.cjs'), specFile], { maxBuffer: 1 << 20 }, (error, stdout) =>
        error ? reject(error) : resolve(stdout),
      ),
    );
    const report = JSON.parse(output) as {
      sent: number;
      checked: number;
      wrong: number;
      wrongSamples: unknown[];
      byStatus: Record<string, number>;
      errors: number;
      requestsPerSecond: number;
      latencyMs: { p50: number; p99: number; max: number };
    };
    const heapAfter = heapMb();
    const keyCacheSize = local.authorizer.apiKeys!.cacheSize;
    const tokenCacheSize = local.authorizer.jwt!.verifiedTokenCount;
    console.log(
      `load: ${report.checked} requests, ${report.wrong} wrong, statuses ${JSON.stringify(report.byStatus)}, ` +
        `${Math.round(report.requestsPerSecond)} req/s, p50 ${report.latencyMs.p50} ms, p99 ${report.latencyMs.p99} ms; ` +
        `heap ${heapBefore} -> ${heapAfter} MB; key cache ${keyCacheSize}/${KEY_CACHE_MAX}, token cache ${tokenCacheSize}/${TOKEN_CACHE_MAX}`,
    );

    expect(report.errors).toBe(0);
    expect(report.checked).toBeGreaterThanOrEqual(TOTAL_REQUESTS);
    expect(report.wrongSamples).toEqual([]);
    expect(report.wrong).toBe(0);
    expect(Object.keys(report.byStatus).filter((status) => Number(status) >= 500)).toEqual([]);
    expect(keyCacheSize).toBeLessThanOrEqual(KEY_CACHE_MAX);
    expect(tokenCacheSize).toBeLessThanOrEqual(TOKEN_CACHE_MAX);
    expect(heapAfter - heapBefore).toBeLessThan(64);
  }, 120_000);
});
