/**
 * The in-process section: per-request cost of the handler, the raw node:crypto limit and the peers, all cases
 * interleaved. Each round is cut into slices; every slice runs every case (a block of calls each) in a fresh random
 * order, so slow phases of the machine spread over all cases. Per case and round we keep p50/p99 of the per-call
 * times; the result is the median over rounds, and every ratio is computed per round (side by side) before its
 * median is taken.
 *
 * Run by bench/run.ts in a child process whose stdout is /dev/null (the production logger writes there).
 */
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { verify as cryptoVerify } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { evaluatePolicy } from '../local/iam-policy-evaluator';
import type { AuthorizerHandler } from '../lambda/create-handler';
import { authorizerEnv, lambdaEvent } from '../test/support/authorizer-harness';
import { startJwksServer } from '../test/support/jwks-server';
import { TEST_CREDENTIALS, TEST_REGION } from '../test/support/local-dynamodb';
import { parseOptions } from './lib/args';
import { finishSection, progress } from './lib/child';
import { algFixtures, ALGS, AUDIENCE, mintToken, prepareSignature, tamperSignature, type AlgFixture, type BenchAlg, type PreparedSignature } from './lib/fixtures';
import { startRemoteDynamoDb } from './lib/remote-dynamodb';
import { median, shuffle, summarize, type Summary } from './lib/stats';
import { loadBaselineCore, loadCore } from './lib/core-bundle';
import type { PeerAuthorizer, PeerConfig } from './peers/common';

export type CaseGroup = 'overhead' | 'limit' | 'portcullis' | 'portcullis-prod' | 'baseline' | 'peer' | 'library';
export type CaseKind = 'floor' | 'raw' | 'first' | 'repeat' | 'refused' | 'apikey-hit' | 'apikey-miss';

interface MicroCase {
  readonly name: string;
  readonly group: CaseGroup;
  readonly kind: CaseKind;
  readonly alg?: BenchAlg;
  readonly note?: string;
  /** Calls per round; defaults to --iterations. */
  readonly iterations?: number;
  readonly sync?: boolean;
  /** Untimed, once per round before its slices: make the inputs of `count` calls. */
  prepare?(count: number): Promise<void> | void;
  run(i: number): unknown;
  /** Untimed, after each timed call (e.g. wait for a background write). */
  settle?(): Promise<void>;
  /** Untimed, around each block of calls (e.g. turn EMF metrics on). */
  enter?(): void;
  leave?(): void;
}

export interface CaseResult {
  readonly name: string;
  readonly group: CaseGroup;
  readonly kind: CaseKind;
  readonly alg?: BenchAlg;
  readonly note?: string;
  readonly callsPerRound: number;
  readonly rounds: Summary[];
  /** Medians over rounds of the per-round p50 / p99, microseconds. */
  readonly p50: number;
  readonly p99: number;
  /** Median over rounds of p50(case) / p50(raw verify of the same algorithm). */
  readonly ratioToLimit?: number;
  /** Median over rounds of p50(case) / p50(bare aws-jwt-verify handler, same algorithm and kind). */
  readonly ratioToBareAwsJwtVerify?: number;
  /** With --baseline: median over rounds of p50(case) / p50(the same case on the baseline commit). */
  readonly ratioToBaseline?: number;
}

export interface MicroResult {
  /** With --baseline: the git ref timed side by side. */
  readonly baseline?: string;
  readonly rounds: number;
  readonly iterations: number;
  readonly slices: number;
  readonly cases: CaseResult[];
  readonly node: string;
  readonly loadAverage: number[];
}

const isUnauthorized = (error: unknown) => error instanceof Error && error.message === 'Unauthorized';

async function expectUnauthorized(call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
  } catch (error) {
    if (isUnauthorized(error)) return;
    throw error;
  }
  throw new Error('expected Unauthorized');
}

/** The answer must let the request through, as the gateway evaluates the policy. */
function expectAllow(result: APIGatewayAuthorizerResult, event: APIGatewayRequestAuthorizerEvent, name: string): void {
  if (evaluatePolicy(result.policyDocument, event.methodArn) !== 'allow') {
    throw new Error(`${name}: expected a policy allowing ${event.methodArn}, got ${JSON.stringify(result.policyDocument)}`);
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  // lambda/ and the peers, bundled as the CDK bundles the Lambda (see lib/core-bundle.ts).
  const { loadConfig, createAuthorizerHandler, DecisionLog, DynamoDbKeyStore, awsJwtVerifyPeer, fastJwtPeer, josePeer, jsonwebtokenPeer } = loadCore();

  progress('micro: generating keys, starting the JWKS server and dynalite');
  const fixtures = algFixtures();
  const jwksServer = await startJwksServer(ALGS.map((alg) => fixtures[alg].key));
  const issuer = jwksServer.issuer;
  const jwks = { keys: ALGS.map((alg) => fixtures[alg].key.publicJwk) };
  const dynamo = await startRemoteDynamoDb();

  const config = loadConfig(
    authorizerEnv({
      issuers: [{ issuer, jwksUri: jwksServer.jwksUri, ca: jwksServer.ca }],
      env: { KEY_TABLE_NAME: dynamo.tableName },
    }),
  );
  const keyStore = () =>
    new DynamoDbKeyStore({
      tableName: dynamo.tableName,
      endpoint: dynamo.endpoint,
      region: TEST_REGION,
      credentials: TEST_CREDENTIALS,
      requestTimeoutMs: config.dynamoDbTimeoutMs,
      connectTimeoutMs: config.dynamoDbConnectTimeoutMs,
      maxAttempts: config.dynamoDbMaxAttempts,
    });
  // Silent: log level SILENT and metrics off, so the decision log returns at once.
  const silentLog = () => new DecisionLog({ serviceName: 'portcullis-bench', level: 'SILENT' });
  const silent: AuthorizerHandler = createAuthorizerHandler(config, { log: silentLog(), keyStore: keyStore() });
  // Production observability: the configuration's default decision log (INFO line + EMF metrics, one JSON line per
  // decision) written to this process's stdout, which is /dev/null.
  const prod: AuthorizerHandler = createAuthorizerHandler(config, { keyStore: keyStore() });
  if (config.logLevel !== 'INFO' || config.metricsNamespace === undefined) throw new Error('expected the default INFO log with metrics');
  // The same handler as of another commit, wired the same way (its own config parser, log and store).
  const baseline = options.baseline === undefined ? undefined : (() => {
    const core = loadBaselineCore(options.baseline!);
    const baseConfig = core.loadConfig(authorizerEnv({ issuers: [{ issuer, jwksUri: jwksServer.jwksUri, ca: jwksServer.ca }], env: { KEY_TABLE_NAME: dynamo.tableName } }));
    const store = new core.DynamoDbKeyStore({
      tableName: dynamo.tableName,
      endpoint: dynamo.endpoint,
      region: TEST_REGION,
      credentials: TEST_CREDENTIALS,
      requestTimeoutMs: baseConfig.dynamoDbTimeoutMs,
      connectTimeoutMs: baseConfig.dynamoDbConnectTimeoutMs,
      maxAttempts: baseConfig.dynamoDbMaxAttempts,
    });
    return core.createAuthorizerHandler(baseConfig, { log: new core.DecisionLog({ serviceName: 'portcullis-bench', level: 'SILENT' }), keyStore: store });
  })();

  const peerConfig: PeerConfig = { issuer, audience: AUDIENCE, jwksUri: jwksServer.jwksUri, jwks };
  const peers: Array<{ name: string; peer: PeerAuthorizer; algs: readonly BenchAlg[]; note?: string }> = [
    { name: 'jsonwebtoken+jwks-rsa', peer: jsonwebtokenPeer(peerConfig), algs: ['RS256', 'ES256'], note: 'PEM keys; no EdDSA' },
    { name: 'jose', peer: josePeer(peerConfig), algs: ALGS, note: 'createLocalJWKSet + jwtVerify' },
    { name: 'fast-jwt', peer: fastJwtPeer(peerConfig), algs: ALGS, note: 'sync verifier per kid' },
    { name: 'aws-jwt-verify', peer: awsJwtVerifyPeer(peerConfig), algs: ALGS, note: 'bare verifySync' },
  ];
  const fastJwtCached = fastJwtPeer({ ...peerConfig, cache: true });

  // Token pools: per round, `iterations` fresh tokens per algorithm, shared by every first-sighting case.
  const maxIterations = options.iterations;
  const pool: Record<BenchAlg, { tokens: string[]; events: APIGatewayRequestAuthorizerEvent[]; prepared: PreparedSignature[] }> = {
    RS256: { tokens: [], events: [], prepared: [] },
    ES256: { tokens: [], events: [], prepared: [] },
    EdDSA: { tokens: [], events: [], prepared: [] },
  };
  const bearerEvent = (authorization: string) => lambdaEvent({ method: 'GET', resource: '/items', authorization });
  const fillPool = (alg: BenchAlg, count: number) => {
    const p = pool[alg];
    p.tokens = [];
    p.events = [];
    p.prepared = [];
    for (let i = 0; i < count; i++) {
      const token = mintToken(fixtures[alg], issuer);
      p.tokens.push(token);
      p.events.push(bearerEvent(`Bearer ${token}`));
      p.prepared.push(prepareSignature(token));
    }
  };
  const repeated = Object.fromEntries(
    ALGS.map((alg) => {
      const token = mintToken(fixtures[alg], issuer);
      return [alg, { token, event: bearerEvent(`Bearer ${token}`) }];
    }),
  ) as Record<BenchAlg, { token: string; event: APIGatewayRequestAuthorizerEvent }>;
  const badSignature = bearerEvent(`Bearer ${tamperSignature(mintToken(fixtures.RS256, issuer))}`);
  const expired = bearerEvent(`Bearer ${mintToken(fixtures.RS256, issuer, { iat: Math.floor(Date.now() / 1000) - 7200, exp: Math.floor(Date.now() / 1000) - 3600 })}`);
  const malformed = bearerEvent('Bearer eyJhbGciOiJSUzI1NiJ9.not-a-jwt');
  const hitKey = await dynamo.storeKey();
  const hitEvent = bearerEvent(`ApiKey ${hitKey}`);
  let missEvents: APIGatewayRequestAuthorizerEvent[] = [];

  const cases: MicroCase[] = [];
  cases.push({ name: 'floor: empty sync call', group: 'overhead', kind: 'floor', sync: true, run: () => undefined, note: 'timer overhead' });
  cases.push({ name: 'floor: empty async call', group: 'overhead', kind: 'floor', run: async () => undefined, note: 'timer + await' });

  for (const alg of ALGS) {
    const fx: AlgFixture = fixtures[alg];
    const verifyKey = alg === 'ES256' ? { key: fx.publicKey, dsaEncoding: 'ieee-p1363' as const } : fx.publicKey;
    cases.push({
      name: `limit: node:crypto verify ${alg}`,
      group: 'limit',
      kind: 'raw',
      alg,
      sync: true,
      note: alg === 'RS256' ? 'prepared KeyObject, RSA 2048' : 'prepared KeyObject',
      run: (i) => {
        const { data, signature } = pool[alg].prepared[i]!;
        if (!cryptoVerify(fx.digest, data, verifyKey, signature)) throw new Error('raw verify failed');
      },
    });
    cases.push({ name: `portcullis ${alg} first sighting`, group: 'portcullis', kind: 'first', alg, run: (i) => silent.handler(pool[alg].events[i]!) });
    cases.push({ name: `portcullis ${alg} repeated token`, group: 'portcullis', kind: 'repeat', alg, run: () => silent.handler(repeated[alg].event) });
    for (const { name, peer, algs, note } of peers) {
      if (!algs.includes(alg)) continue;
      cases.push({ name: `peer ${name} ${alg}`, group: 'peer', kind: 'first', alg, note, run: (i) => peer.handler(pool[alg].events[i]!) });
    }
    cases.push({ name: `peer fast-jwt+cache ${alg} repeated`, group: 'peer', kind: 'repeat', alg, note: 'its verified-token cache', run: () => fastJwtCached.handler(repeated[alg].event) });
    cases.push({ name: `peer fast-jwt+cache ${alg} first`, group: 'peer', kind: 'first', alg, note: 'cache miss + insert', run: (i) => fastJwtCached.handler(pool[alg].events[i]!) });
    cases.push({ name: `library aws-jwt-verify verifySync ${alg}`, group: 'library', kind: 'first', alg, sync: true, note: 'library call only', run: (i) => peers[3]!.peer.verify(pool[alg].tokens[i]!) });
  }
  if (baseline !== undefined) {
    const note = `lambda/ as of ${options.baseline}`;
    cases.push({ name: 'baseline RS256 first sighting', group: 'baseline', kind: 'first', alg: 'RS256', note, run: (i) => baseline.handler(pool.RS256.events[i]!) });
    for (const alg of ALGS) cases.push({ name: `baseline ${alg} repeated token`, group: 'baseline', kind: 'repeat', alg, note, run: () => baseline.handler(repeated[alg].event) });
    cases.push({ name: 'baseline API key cache hit', group: 'baseline', kind: 'apikey-hit', note, run: () => baseline.handler(hitEvent) });
  }
  cases.push({ name: 'portcullis RS256 first (prod log+EMF)', group: 'portcullis-prod', kind: 'first', alg: 'RS256', note: 'INFO line + EMF, stdout=/dev/null', run: (i) => prod.handler(pool.RS256.events[i]!) });
  cases.push({ name: 'portcullis RS256 repeated (prod log+EMF)', group: 'portcullis-prod', kind: 'repeat', alg: 'RS256', note: 'INFO line + EMF, stdout=/dev/null', run: () => prod.handler(repeated.RS256.event) });
  cases.push({ name: 'portcullis API key cache hit', group: 'portcullis', kind: 'apikey-hit', note: 'SHA-256 + cache + policy', run: () => silent.handler(hitEvent) });
  cases.push({ name: 'portcullis API key hit (prod log+EMF)', group: 'portcullis-prod', kind: 'apikey-hit', note: 'INFO line + EMF, stdout=/dev/null', run: () => prod.handler(hitEvent) });
  cases.push({
    name: 'portcullis API key cache miss',
    group: 'portcullis',
    kind: 'apikey-miss',
    note: 'GetItem on dynalite (own process)',
    iterations: options.missIterations,
    async prepare(count) {
      missEvents = [];
      for (let i = 0; i < count; i++) missEvents.push(bearerEvent(`ApiKey ${await dynamo.storeKey()}`));
    },
    run: (i) => silent.handler(missEvents[i]!),
    settle: () => silent.deps.apiKeys!.flush(),
  });
  cases.push({ name: 'portcullis refused: bad RS256 signature', group: 'portcullis', kind: 'refused', alg: 'RS256', note: 'verify fails, 401', run: () => expectUnauthorized(() => silent.handler(badSignature)) });
  cases.push({ name: 'portcullis refused: expired RS256', group: 'portcullis', kind: 'refused', alg: 'RS256', note: 'library refuses exp, 401', run: () => expectUnauthorized(() => silent.handler(expired)) });
  cases.push({ name: 'portcullis refused: malformed token', group: 'portcullis', kind: 'refused', note: 'preflight, 401', run: () => expectUnauthorized(() => silent.handler(malformed)) });
  for (const { name, peer } of peers) {
    cases.push({ name: `peer ${name} refused: bad RS256 signature`, group: 'peer', kind: 'refused', alg: 'RS256', run: () => expectUnauthorized(() => peer.handler(badSignature)) });
  }

  const selected = options.filter.length === 0 ? cases : cases.filter((c) => options.filter.some((f) => c.name.includes(f)));

  // Warm-up: JIT, the JWKS fetch (first token of each algorithm goes through the async path), the SDK load, and a
  // correctness check of every case's answer.
  progress(`micro: warming up ${selected.length} cases`);
  const warm = Math.min(200, maxIterations);
  for (const alg of ALGS) fillPool(alg, warm);
  for (const alg of ALGS) {
    expectAllow(await silent.handler(pool[alg].events[0]!), pool[alg].events[0]!, `portcullis ${alg}`);
    for (const { name, peer, algs } of peers) if (algs.includes(alg)) expectAllow(await peer.handler(pool[alg].events[0]!), pool[alg].events[0]!, `${name} ${alg}`);
  }
  expectAllow(await silent.handler(hitEvent), hitEvent, 'api key');
  if (baseline !== undefined) {
    for (const alg of ALGS) expectAllow(await baseline.handler(pool[alg].events[0]!), pool[alg].events[0]!, `baseline ${alg}`);
    expectAllow(await baseline.handler(hitEvent), hitEvent, 'baseline api key');
  }
  for (const c of selected) {
    await c.prepare?.(Math.min(c.iterations ?? warm, warm));
    c.enter?.();
    for (let i = 0; i < Math.min(c.iterations ?? warm, warm); i++) {
      await c.run(i);
      await c.settle?.();
    }
    c.leave?.();
  }

  const perCase = new Map<MicroCase, Summary[]>(selected.map((c) => [c, []]));
  const g = globalThis as { gc?: () => void };
  for (let round = 0; round < options.rounds; round++) {
    progress(`micro: round ${round + 1}/${options.rounds}: minting ${maxIterations} tokens per algorithm`);
    for (const alg of ALGS) fillPool(alg, maxIterations);
    for (const c of selected) await c.prepare?.(c.iterations ?? maxIterations);
    const samples = new Map<MicroCase, Float64Array>(selected.map((c) => [c, new Float64Array(c.iterations ?? maxIterations)]));
    g.gc?.();
    for (let slice = 0; slice < options.slices; slice++) {
      for (const c of shuffle([...selected])) {
        const total = c.iterations ?? maxIterations;
        const start = Math.floor((total * slice) / options.slices);
        const end = Math.floor((total * (slice + 1)) / options.slices);
        const out = samples.get(c)!;
        c.enter?.();
        if (c.sync) {
          for (let i = start; i < end; i++) {
            const t0 = performance.now();
            c.run(i);
            out[i] = (performance.now() - t0) * 1000;
          }
        } else {
          for (let i = start; i < end; i++) {
            const t0 = performance.now();
            await c.run(i);
            out[i] = (performance.now() - t0) * 1000;
            if (c.settle) await c.settle();
          }
        }
        c.leave?.();
      }
    }
    for (const c of selected) perCase.get(c)!.push(summarize(samples.get(c)!));
  }

  const limitOf = (alg: BenchAlg | undefined) => selected.find((c) => c.kind === 'raw' && c.alg === alg);
  const bareOf = (c: MicroCase) =>
    c.kind === 'first' || c.kind === 'repeat' ? selected.find((p) => p.name === `peer aws-jwt-verify ${c.alg}`) : undefined;
  const baselineOf = (c: MicroCase) => selected.find((p) => p.group === 'baseline' && p.kind === c.kind && p.alg === c.alg);
  const perRoundRatio = (c: MicroCase, ref: MicroCase | undefined) => {
    if (!ref || ref === c) return undefined;
    const a = perCase.get(c)!;
    const b = perCase.get(ref)!;
    return median(a.map((s, r) => s.p50 / b[r]!.p50));
  };
  const results: CaseResult[] = selected.map((c) => {
    const rounds = perCase.get(c)!;
    return {
      name: c.name,
      group: c.group,
      kind: c.kind,
      alg: c.alg,
      note: c.note,
      callsPerRound: c.iterations ?? maxIterations,
      rounds,
      p50: median(rounds.map((s) => s.p50)),
      p99: median(rounds.map((s) => s.p99)),
      ratioToLimit: c.alg && c.kind !== 'raw' ? perRoundRatio(c, limitOf(c.alg)) : undefined,
      ratioToBareAwsJwtVerify: c.group === 'portcullis' || c.group === 'portcullis-prod' || c.group === 'baseline' ? perRoundRatio(c, bareOf(c)) : undefined,
      ratioToBaseline: c.group === 'portcullis' ? perRoundRatio(c, baselineOf(c)) : undefined,
    };
  });

  dynamo.stop();
  await jwksServer.stop();
  const { loadavg } = await import('node:os');
  finishSection({ baseline: options.baseline, rounds: options.rounds, iterations: maxIterations, slices: options.slices, cases: results, node: process.version, loadAverage: loadavg() } satisfies MicroResult);
}

void main().catch((error: unknown) => {
  process.stderr.write(`micro failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});

