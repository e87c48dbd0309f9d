/**
 * What each authorizer cache key costs: authorizer invocations per 1,000 requests, from a deterministic simulation of
 * API Gateway's result cache (an entry per key, living `ttl` seconds from the invocation that filled it).
 *
 * Traffic mix (stated in the output): C callers and R routes, each request's caller and route drawn independently
 * from Zipf distributions (exponent 1: the busiest caller sends about 1/H(C) of the traffic), arrivals Poisson at a
 * total rate, one simulated hour, seeded PRNG. Under the identity key a caller's entry serves every route; under the
 * route key each (caller, method + resource) pair has its own entry.
 *
 * `npx tsx bench/cache-keys.ts [--json]`, or `npm run bench -- --only cache-keys`.
 */
import { fmt, table } from './lib/stats';

export interface CacheKeyScenario {
  readonly callers: number;
  readonly routes: number;
  readonly requestsPerSecond: number;
  readonly ttlSeconds: number;
  readonly identityPer1000: number;
  readonly routePer1000: number;
  /** route / identity */
  readonly ratio: number;
}

export interface CacheKeysResult {
  readonly mix: string;
  readonly seconds: number;
  readonly scenarios: readonly CacheKeyScenario[];
}

/** mulberry32: small, fast, deterministic. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A sampler of ranks 0..n-1 with P(k) proportional to 1/(k+1)^s. */
function zipf(n: number, s: number, random: () => number): () => number {
  const cumulative = new Float64Array(n);
  let sum = 0;
  for (let k = 0; k < n; k++) cumulative[k] = sum += 1 / (k + 1) ** s;
  return () => {
    const target = random() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

export function simulate(callers: number, routes: number, requestsPerSecond: number, ttlSeconds: number, seconds: number, seed = 11): CacheKeyScenario {
  const random = prng(seed);
  const caller = zipf(callers, 1, random);
  const route = zipf(routes, 1, random);
  const identityExpiry = new Float64Array(callers).fill(-1);
  const routeExpiry = new Float64Array(callers * routes).fill(-1);
  let now = 0;
  let requests = 0;
  let identityInvocations = 0;
  let routeInvocations = 0;
  while (true) {
    now += -Math.log(1 - random()) / requestsPerSecond;
    if (now >= seconds) break;
    requests++;
    const c = caller();
    const r = route();
    if (ttlSeconds === 0 || identityExpiry[c]! <= now) {
      identityInvocations++;
      identityExpiry[c] = now + ttlSeconds;
    }
    const key = c * routes + r;
    if (ttlSeconds === 0 || routeExpiry[key]! <= now) {
      routeInvocations++;
      routeExpiry[key] = now + ttlSeconds;
    }
  }
  const identityPer1000 = (identityInvocations / requests) * 1000;
  const routePer1000 = (routeInvocations / requests) * 1000;
  return { callers, routes, requestsPerSecond, ttlSeconds, identityPer1000, routePer1000, ratio: routePer1000 / identityPer1000 };
}

export function runCacheKeys(quick = false): CacheKeysResult {
  const seconds = quick ? 600 : 3600;
  const scenarios: CacheKeyScenario[] = [];
  for (const [callers, routes] of [
    [100, 4],
    [1000, 12],
  ] as const) {
    for (const requestsPerSecond of [5, 50, 500]) scenarios.push(simulate(callers, routes, requestsPerSecond, 60, seconds));
  }
  scenarios.push(simulate(1000, 12, 50, 300, seconds));
  return {
    mix:
      'C callers x R routes, caller and route each Zipf (s = 1) and independent, Poisson arrivals at the stated total rate, ' +
      `${seconds / 60} simulated minutes, result cache TTL as stated (60 s is the construct's default), seed 11`,
    seconds,
    scenarios,
  };
}

export function cacheKeysTable(result: CacheKeysResult): string {
  return table(
    ['callers', 'routes', 'req/s', 'TTL s', 'identity /1000', 'route /1000', 'route/identity'],
    result.scenarios.map((s) => [
      String(s.callers),
      String(s.routes),
      String(s.requestsPerSecond),
      String(s.ttlSeconds),
      fmt(s.identityPer1000, 1),
      fmt(s.routePer1000, 1),
      `${s.ratio.toFixed(2)}x`,
    ]),
    [true, true, true, true, true, true, true],
  );
}

if (require.main === module) {
  const result = runCacheKeys(process.argv.includes('--quick'));
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else process.stdout.write(`Authorizer invocations per 1,000 requests by cache key\n${result.mix}\n\n${cacheKeysTable(result)}\n`);
}
