/**
 * The profile section: where the handler's microseconds go. Each stage is a real function of lambda/ (or of
 * aws-jwt-verify, or node:crypto) called on the same inputs the handler sees, timed in batches (so sub-microsecond
 * stages are measurable) and interleaved with every other stage; the figure is the median over batches.
 * Stages that must see a token for the first time each get their own authenticator instance and walk the same pool
 * of fresh tokens.
 *
 * Paths profiled: JWT RS256 first sighting, JWT repeated token, API key cache hit.
 */
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { createVerify, verify as cryptoVerify } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { DecomposedJwt } from 'aws-jwt-verify/jwt';
import type { AuthorizerDependencies, AuthorizerRequest } from '../lambda/authorize';
import type { AuthorizerConfig } from '../lambda/config';
import type { AuthorizerHandler } from '../lambda/create-handler';
import type { DecisionEntry } from '../lambda/decision-log';
import type { JwtAuthenticator } from '../lambda/jwt-authenticator';
import type { HardenedJwksCache } from '../lambda/jwks-cache';
import type { ClockCache } from '../lambda/clock-cache';
import { authorizerEnv, lambdaEvent } from '../test/support/authorizer-harness';
import { startJwksServer } from '../test/support/jwks-server';
import { TEST_CREDENTIALS, TEST_REGION } from '../test/support/local-dynamodb';
import { finishSection, progress } from './lib/child';
import { algFixtures, ALGS, mintToken, prepareSignature } from './lib/fixtures';
import { startRemoteDynamoDb } from './lib/remote-dynamodb';
import { loadCore } from './lib/core-bundle';
import { median, shuffle } from './lib/stats';

export interface StageResult {
  readonly path: string;
  readonly name: string;
  /** Nesting depth in the breakdown (0 = the whole path). */
  readonly depth: number;
  readonly us: number;
  readonly note?: string;
}

export interface ProfileResult {
  readonly batches: number;
  readonly batchSize: number;
  readonly stages: StageResult[];
}

interface Stage {
  readonly path: string;
  readonly name: string;
  readonly depth: number;
  readonly note?: string;
  /** Consumes fresh tokens: walks the pool with its own cursor. */
  readonly fresh?: boolean;
  readonly async?: boolean;
  run(i: number): unknown;
}

function intArg(name: string, fallback: number): number {
  const index = process.argv.indexOf(name);
  return index < 0 ? fallback : Number(process.argv[index + 1]);
}

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const {
    hashApiKey, isWellFormedApiKey, authorize, assertCompactJwsShape, decomposeCompactJws, loadConfig, createAuthorizerHandler, extractCredential, DecisionLog,
    DynamoDbKeyStore, apiKeyRecordProblem, ClockCache, verifiedTokenKey, buildRouteStatements, decideRoutes, parseMethodArn, policyDocument,
    decomposeUnverifiedJwt, validateJwtFields, verifyJwsSignature,
  } = loadCore();
  const quick = process.argv.includes('--quick');
  const batches = intArg('--profile-batches', quick ? 8 : 20);
  const batchSize = intArg('--profile-batch-size', quick ? 50 : 100);
  progress(`profile: ${batches} batches of ${batchSize} calls per stage; minting ${batches * batchSize + 200} RS256 tokens`);

  const fixtures = algFixtures();
  const rs = fixtures.RS256;
  const jwksServer = await startJwksServer(ALGS.map((alg) => fixtures[alg].key));
  const issuer = jwksServer.issuer;
  const dynamo = await startRemoteDynamoDb();
  const config: AuthorizerConfig = loadConfig(
    authorizerEnv({ issuers: [{ issuer, jwksUri: jwksServer.jwksUri, ca: jwksServer.ca }], env: { KEY_TABLE_NAME: dynamo.tableName } }),
  );
  const silentLog = () => new DecisionLog({ serviceName: 'portcullis-bench', level: 'SILENT' });
  const makeHandler = (): AuthorizerHandler =>
    createAuthorizerHandler(config, {
      log: silentLog(),
      keyStore: new DynamoDbKeyStore({
        tableName: dynamo.tableName,
        endpoint: dynamo.endpoint,
        region: TEST_REGION,
        credentials: TEST_CREDENTIALS,
        requestTimeoutMs: 1000,
        connectTimeoutMs: 500,
        maxAttempts: 2,
      }),
    });
  // One handler per fresh-token consumer, so each sees every pool token for the first time.
  const handlers = { total: makeHandler(), authorize: makeHandler(), authenticate: makeHandler(), repeat: makeHandler() };

  const poolSize = batches * batchSize + 200;
  const tokens: string[] = [];
  for (let i = 0; i < poolSize; i++) tokens.push(mintToken(rs, issuer));
  const events: APIGatewayRequestAuthorizerEvent[] = tokens.map((t) => lambdaEvent({ method: 'GET', resource: '/items', authorization: `Bearer ${t}` }));
  const requests: AuthorizerRequest[] = events.map((e) => ({ methodArn: e.methodArn, httpMethod: e.httpMethod, resource: e.resource, headers: e.headers, multiValueHeaders: e.multiValueHeaders }));
  const prepared = tokens.map(prepareSignature);
  const decomposedPool: DecomposedJwt[] = tokens.map((t) => decomposeUnverifiedJwt(t));
  const repeatedToken = mintToken(rs, issuer);
  const repeatedEvent = lambdaEvent({ method: 'GET', resource: '/items', authorization: `Bearer ${repeatedToken}` });
  const apiKey = await dynamo.storeKey();
  const apiKeyEvent = lambdaEvent({ method: 'GET', resource: '/items', authorization: `ApiKey ${apiKey}` });

  // Warm every handler (JWKS fetch through the async path, SDK load, JIT) on tokens outside the pool.
  for (const h of Object.values(handlers)) {
    for (let i = 0; i < 200; i++) await h.handler(lambdaEvent({ method: 'GET', resource: '/items', authorization: `Bearer ${tokens[poolSize - 1 - (i % 200)]}` }));
    await h.handler(repeatedEvent);
    await h.handler(apiKeyEvent);
    await h.deps.apiKeys?.flush();
  }

  // The insides of the authenticator, reached through its private fields (bench only).
  const jwt = handlers.authenticate.deps.jwt as JwtAuthenticator;
  const jwtInternals = jwt as unknown as {
    options: { jwksCache: HardenedJwksCache };
    verifiedTokens: ClockCache<string, unknown>;
    issuers: Map<string, unknown>;
    checkClaims(entry: unknown, payload: unknown, header: unknown, nowMs: number): { scopes: readonly string[] };
  };
  const jwksCache = jwtInternals.options.jwksCache;
  const issuerConfig = config.issuers[0]!;
  const claimOptions = { issuer: [issuer], audience: ['portcullis-api'], graceSeconds: config.clockSkewSeconds };
  const kid = decomposedPool[0]!.header.kid as string;
  const verificationKey = jwksCache.keyAtHand(issuerConfig.jwksUri, kid)!;
  const payloads = decomposedPool.map((d) => d.payload);
  const lru = new ClockCache<string, unknown>(config.verifiedTokenCacheMaxEntries);
  for (let i = 0; i < config.verifiedTokenCacheMaxEntries; i++) lru.set(`warm-${i}`, {}, 60_000, Date.now());
  const issuerEntry = jwtInternals.issuers.get(issuer);
  const identity = jwtInternals.checkClaims(issuerEntry, payloads[0], decomposedPool[0]!.header, Date.now());

  // Authorize's own work after authentication, on the repeated-token handler's deps.
  const deps: AuthorizerDependencies = handlers.repeat.deps;
  const arn = parseMethodArn(events[0]!.methodArn);
  const held = new Set(identity.scopes);
  const routes = decideRoutes(deps.manifest, held);
  const statements = buildRouteStatements(arn.stageArn, deps.manifest, routes);
  const scopeDecision = deps.policies.decide(identity.scopes);
  const infoLog = new DecisionLog({ serviceName: 'portcullis-authorizer', level: 'INFO', metricsNamespace: 'Portcullis' });
  const infoLogNoWrite = new DecisionLog({ serviceName: 'portcullis-authorizer', level: 'INFO', metricsNamespace: 'Portcullis', write: () => undefined });
  const base = { method: 'GET', route: 'GET /items' };
  const entry: DecisionEntry = { method: 'GET', route: 'GET /items', decision: 'allow', reason: 'authorized', authMethod: 'jwt', principal: 'client-7f3a9c', cacheHit: false, latencyMs: 0.042 };
  const apiKeyAuth = handlers.repeat.deps.apiKeys!;
  const apiKeyLookup = (apiKeyAuth as unknown as { lookup: { get(key: string): Promise<unknown> } }).lookup;
  const keyHash = hashApiKey(apiKey);
  const keyRecord = ((await apiKeyLookup.get(keyHash)) as { outcome: { value: { record: Parameters<typeof apiKeyRecordProblem>[0] } } }).outcome.value.record;
  const sigInputs = tokens.map((t) => t.slice(0, t.lastIndexOf('.')));
  const sigB64 = tokens.map((t) => t.slice(t.lastIndexOf('.') + 1));
  const rsaVerifyKey = rs.publicKey;

  const stages: Stage[] = [
    // --- JWT RS256 first sighting
    { path: 'jwt-first', name: 'handler (SILENT log)', depth: 0, fresh: true, async: true, run: (i) => handlers.total.handler(events[i]!) },
    { path: 'jwt-first', name: 'authorize() (synchronous: keys at hand)', depth: 1, fresh: true, async: true, run: (i) => authorize(requests[i]!, handlers.authorize.deps) },
    { path: 'jwt-first', name: 'extractCredential (real event headers)', depth: 2, run: (i) => extractCredential(events[i]!.headers, events[i]!.multiValueHeaders) },
    { path: 'jwt-first', name: 'verified-token cache get (miss)', depth: 2, run: (i) => lru.get(verifiedTokenKey(tokens[i]!), Date.now()) },
    { path: 'jwt-first', name: 'JwtAuthenticator.verify()', depth: 2, fresh: true, run: (i) => jwt.verify(tokens[i]!) },
    { path: 'jwt-first', name: 'decomposeCompactJws (ours, no reviver)', depth: 3, run: (i) => decomposeCompactJws(tokens[i]!) },
    { path: 'jwt-first', name: 'assertCompactJwsShape (charset, canonical)', depth: 4, run: (i) => assertCompactJwsShape(tokens[i]!) },
    { path: 'jwt-first', name: 'aws-jwt-verify decomposeUnverifiedJwt', depth: 4, note: 'what ours replaces', run: (i) => decomposeUnverifiedJwt(tokens[i]!) },
    { path: 'jwt-first', name: 'jwksCache.keyAtHand (key step)', depth: 3, run: () => jwksCache.keyAtHand(issuerConfig.jwksUri, kid) },
    { path: 'jwt-first', name: 'verifyJwsSignature (signature step, one-shot)', depth: 3, run: (i) => verifyJwsSignature('RS256', verificationKey.keyObject, sigInputs[i]!, sigB64[i]!) },
    { path: 'jwt-first', name: 'createVerify().update().verify(b64) (aws-jwt-verify\'s signature step)', depth: 4, note: 'what ours replaces', run: (i) => createVerify('RSA-SHA256').update(`${sigInputs[i]}`).verify({ key: verificationKey.keyObject, dsaEncoding: 'ieee-p1363' }, sigB64[i]!, 'base64') },
    { path: 'jwt-first', name: 'limit: crypto.verify, prepared buffers', depth: 4, run: (i) => cryptoVerify('sha256', prepared[i]!.data, rsaVerifyKey, prepared[i]!.signature) },
    { path: 'jwt-first', name: 'validateJwtFields (aws-jwt-verify claim step)', depth: 3, run: (i) => validateJwtFields(payloads[i]!, claimOptions) },
    { path: 'jwt-first', name: 'checkClaims (ours)', depth: 3, run: (i) => jwtInternals.checkClaims(issuerEntry, payloads[i], decomposedPool[i]!.header, Date.now()) },
    { path: 'jwt-first', name: 'verified-token cache set (full, evicts)', depth: 3, run: (i) => lru.set(verifiedTokenKey(tokens[i]!), { token: tokens[i]!, identity }, 60_000, Date.now()) },
    // --- after authentication (any path)
    { path: 'authorize-rest', name: 'parseMethodArn', depth: 1, run: (i) => parseMethodArn(events[i]!.methodArn) },
    { path: 'authorize-rest', name: 'clientBindings.resolve (no client binding)', depth: 1, async: true, note: 'async form; the handler peeks', run: () => deps.clientBindings.resolve(issuer, 'client-7f3a9c') },
    { path: 'authorize-rest', name: 'new Set(scopes) + decideRoutes', depth: 1, note: 'once per scope list', run: () => decideRoutes(deps.manifest, new Set(identity.scopes)) },
    { path: 'authorize-rest', name: 'policies.decide (scope list WeakMap hit)', depth: 1, run: () => deps.policies.decide(identity.scopes) },
    { path: 'authorize-rest', name: 'policies.policy (stage|routes key + Map hit)', depth: 1, run: () => deps.policies.policy(arn.stageArn, scopeDecision) },
    { path: 'authorize-rest', name: 'manifest.find + indexOf + Set has', depth: 1, run: () => scopeDecision.allowed.has(deps.manifest.routes.indexOf(deps.manifest.find('GET', '/items')!)) },
    { path: 'authorize-rest', name: 'policyDocument (copy of memoised statements)', depth: 1, run: () => policyDocument(statements, undefined) },
    { path: 'authorize-rest', name: 'buildRouteStatements (memo miss only)', depth: 1, note: 'once per stage+scope set', run: () => buildRouteStatements(arn.stageArn, deps.manifest, routes) },
    // --- decision log
    { path: 'log', name: 'log.decision, SILENT, metrics off', depth: 1, run: () => silentLog().decision(entry) },
    { path: 'log', name: 'log.decision, INFO + EMF, formatting only', depth: 1, run: () => infoLogNoWrite.decision(entry) },
    { path: 'log', name: 'log.decision, INFO + EMF, stdout write (/dev/null)', depth: 1, run: () => infoLog.decision(entry) },
    // --- the V8 slow path (Node 20): an object literal starting with a spread and going on
    { path: 'spread', name: 'handler log entry {...base, 7 more} (per decision)', depth: 1, run: (i) => ({ ...base, decision: 'allow', reason: 'authorized', authMethod: 'jwt', principal: 'p', keyId: undefined, cacheHit: false, latencyMs: i }) },
    { path: 'spread', name: 'same entry as a plain literal', depth: 1, run: (i) => ({ method: base.method, route: base.route, decision: 'allow', reason: 'authorized', authMethod: 'jwt', principal: 'p', keyId: undefined, cacheHit: false, latencyMs: i }) },
    // --- repeated token
    { path: 'jwt-repeat', name: 'handler (SILENT log)', depth: 0, async: true, run: () => handlers.repeat.handler(repeatedEvent) },
    { path: 'jwt-repeat', name: 'authenticate() (cache hit)', depth: 1, async: true, run: () => jwt.authenticate(repeatedToken) },
    // --- API key cache hit
    { path: 'apikey-hit', name: 'handler (SILENT log)', depth: 0, async: true, run: () => handlers.repeat.handler(apiKeyEvent) },
    { path: 'apikey-hit', name: 'ApiKeyAuthenticator.authenticate()', depth: 1, async: true, run: () => apiKeyAuth.authenticate(apiKey) },
    { path: 'apikey-hit', name: 'isWellFormedApiKey (CRC32 checksum)', depth: 2, run: () => isWellFormedApiKey(apiKey, config.apiKeyPrefix) },
    { path: 'apikey-hit', name: 'hashApiKey (SHA-256 hex)', depth: 2, run: () => hashApiKey(apiKey) },
    { path: 'apikey-hit', name: 'CachedLookup.get (cache hit, async)', depth: 2, async: true, run: () => apiKeyLookup.get(keyHash) },
    { path: 'apikey-hit', name: 'apiKeyRecordProblem', depth: 2, run: () => apiKeyRecordProblem(keyRecord, Math.floor(Date.now() / 1000)) },
  ];
  // Keep one token as the "dummy" for helper objects that must not hold it.
  void ALGS;

  const samples = new Map<Stage, number[]>(stages.map((s) => [s, []]));
  const cursor = new Map<Stage, number>(stages.map((s) => [s, 0]));
  const g = globalThis as { gc?: () => void };
  for (let b = 0; b < batches; b++) {
    g.gc?.();
    for (const stage of shuffle([...stages])) {
      const base = stage.fresh ? cursor.get(stage)! : (b * batchSize) % (poolSize - batchSize - 200);
      const t0 = performance.now();
      if (stage.async) for (let k = 0; k < batchSize; k++) await stage.run(base + k);
      else for (let k = 0; k < batchSize; k++) stage.run(base + k);
      samples.get(stage)!.push(((performance.now() - t0) * 1000) / batchSize);
      if (stage.fresh) cursor.set(stage, base + batchSize);
    }
  }
  dynamo.stop();
  await jwksServer.stop();
  finishSection({
    batches,
    batchSize,
    stages: stages.map((s) => ({ path: s.path, name: s.name, depth: s.depth, note: s.note, us: median(samples.get(s)!) })),
  } satisfies ProfileResult);
}

void main().catch((error: unknown) => {
  process.stderr.write(`profile failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
