/**
 * The cpu section: V8's sampling profiler (the one behind `node --cpu-prof`, driven through node:inspector so only
 * the tight loop is recorded) over the handler on one path, then self time summed by function and by where the
 * code lives (node:crypto native, aws-jwt-verify, lambda/, node internals, GC). The raw .cpuprofile is written to
 * bench/results/ (open it in Chrome DevTools or speedscope).
 *
 * Paths: jwt-first (fresh RS256 token per call), jwt-repeat, apikey-hit.
 */
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session, type Profiler } from 'node:inspector';
import { join } from 'node:path';
import { authorizerEnv, lambdaEvent } from '../test/support/authorizer-harness';
import { startJwksServer } from '../test/support/jwks-server';
import { TEST_CREDENTIALS, TEST_REGION } from '../test/support/local-dynamodb';
import { finishSection, progress, REPO_ROOT } from './lib/child';
import { algFixtures, ALGS, mintToken } from './lib/fixtures';
import { coreBundlePath, loadCore } from './lib/core-bundle';
import { startRemoteDynamoDb } from './lib/remote-dynamodb';

export interface CpuProfileEntry {
  readonly name: string;
  readonly selfPercent: number;
}

export interface CpuProfileResult {
  readonly path: string;
  readonly calls: number;
  readonly usPerCall: number;
  readonly file: string;
  readonly byCategory: CpuProfileEntry[];
  readonly topFunctions: CpuProfileEntry[];
}

/** Which source module a line of the unminified bundle belongs to (esbuild marks each with a `// path` comment). */
function moduleMap(bundleFile: string): (line: number) => string {
  const starts: Array<[number, string]> = [];
  readFileSync(bundleFile, 'utf8')
    .split('\n')
    .forEach((text, index) => {
      const match = /^\/\/ (\S*(?:lambda|bench|node_modules)\/\S+)$/.exec(text);
      if (match) starts.push([index, match[1]!.replace(/^.*node_modules\//, '').replace(/^(\.\.\/)+/, '')]);
    });
  return (line) => {
    let found = 'bundle';
    for (const [start, name] of starts) {
      if (start > line) break;
      found = name;
    }
    return found;
  };
}

function category(module: string | undefined, url: string, functionName: string): string {
  if (functionName === '(garbage collector)') return 'GC';
  if (functionName === '(program)' || functionName === '(idle)') return '(program)';
  if (module !== undefined) {
    if (module.startsWith('aws-jwt-verify/')) return 'aws-jwt-verify';
    if (module.startsWith('lambda/')) return `lambda/ (ours)`;
    return module.split('/')[0]!;
  }
  if (url.includes('/bench/')) return 'bench loop';
  return 'node internals and native (crypto, Map, JSON, Buffer...)';
}

function summarize(profile: Profiler.Profile, moduleOf: (line: number) => string): { byCategory: CpuProfileEntry[]; topFunctions: CpuProfileEntry[] } {
  const counts = new Map<number, number>();
  for (const id of profile.samples ?? []) counts.set(id, (counts.get(id) ?? 0) + 1);
  const total = (profile.samples ?? []).length || 1;
  const byCategory = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const node of profile.nodes) {
    const hits = counts.get(node.id) ?? 0;
    if (hits === 0) continue;
    const { url, functionName, lineNumber } = node.callFrame;
    const module = url.includes('bench-core') ? moduleOf(lineNumber) : undefined;
    const cat = category(module, url, functionName);
    byCategory.set(cat, (byCategory.get(cat) ?? 0) + hits);
    const where = module ?? url.replace(`file://${REPO_ROOT}/`, '').replace(/^.*node_modules\//, '');
    const key = `${functionName || '(anonymous)'} ${where}`.trim();
    byFunction.set(key, (byFunction.get(key) ?? 0) + hits);
  }
  const sorted = (m: Map<string, number>, limit: number) =>
    [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, limit).map(([name, hits]) => ({ name, selfPercent: (100 * hits) / total }));
  return { byCategory: sorted(byCategory, 20), topFunctions: sorted(byFunction, 25) };
}

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  // Not minified, so the profile names functions; otherwise the production bundling (see lib/core-bundle.ts).
  const { loadConfig, createAuthorizerHandler, DecisionLog, DynamoDbKeyStore } = loadCore({ minify: false });
  const pathIndex = process.argv.indexOf('--path');
  const path = pathIndex < 0 ? 'jwt-first' : process.argv[pathIndex + 1]!;
  const callsIndex = process.argv.indexOf('--calls');
  const calls = callsIndex < 0 ? (path === 'jwt-first' ? 4000 : 100_000) : Number(process.argv[callsIndex + 1]);

  const fixtures = algFixtures();
  const jwksServer = await startJwksServer(ALGS.map((alg) => fixtures[alg].key));
  const dynamo = await startRemoteDynamoDb();
  const config = loadConfig(
    authorizerEnv({ issuers: [{ issuer: jwksServer.issuer, jwksUri: jwksServer.jwksUri, ca: jwksServer.ca }], env: { KEY_TABLE_NAME: dynamo.tableName } }),
  );
  const { handler, deps } = createAuthorizerHandler(config, {
    log: new DecisionLog({ serviceName: 'portcullis-bench', level: 'SILENT' }),
    keyStore: new DynamoDbKeyStore({ tableName: dynamo.tableName, endpoint: dynamo.endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS, requestTimeoutMs: 1000, connectTimeoutMs: 500, maxAttempts: 2 }),
  });
  const event = (authorization: string) => lambdaEvent({ method: 'GET', resource: '/items', authorization });
  let events: APIGatewayRequestAuthorizerEvent[];
  if (path === 'jwt-first') {
    progress(`cpu: minting ${calls + 500} RS256 tokens`);
    events = [];
    for (let i = 0; i < calls + 500; i++) events.push(event(`Bearer ${mintToken(fixtures.RS256, jwksServer.issuer)}`));
  } else if (path === 'jwt-repeat') {
    const e = event(`Bearer ${mintToken(fixtures.RS256, jwksServer.issuer)}`);
    events = new Array(calls + 500).fill(e);
  } else if (path === 'apikey-hit') {
    const e = event(`ApiKey ${await dynamo.storeKey()}`);
    events = new Array(calls + 500).fill(e);
  } else {
    throw new Error(`unknown --path ${path}`);
  }
  for (let i = 0; i < 500; i++) await handler(events[calls + i]!);
  await deps.apiKeys?.flush();

  const session = new Session();
  session.connect();
  const post = <T>(method: string, params?: object) =>
    new Promise<T>((resolve, reject) => session.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result as T))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 50 });
  await post('Profiler.start');
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) await handler(events[i]!);
  const elapsed = performance.now() - t0;
  const { profile } = await post<{ profile: Profiler.Profile }>('Profiler.stop');
  session.disconnect();

  const dir = join(REPO_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `handler-${path}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));
  dynamo.stop();
  await jwksServer.stop();
  finishSection({ path, calls, usPerCall: (elapsed * 1000) / calls, file: file.replace(`${REPO_ROOT}/`, ''), ...summarize(profile, moduleMap(coreBundlePath(false))) } satisfies CpuProfileResult);
}

void main().catch((error: unknown) => {
  process.stderr.write(`cpu profile failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
