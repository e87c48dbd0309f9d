/**
 * Every answer of every cache entry, judged by an independent IAM engine (@cloud-copilot/iam-simulate) against the
 * manifest's own answer, which this file computes itself (its own router and scope check; nothing from lambda/policy.ts
 * or local/).
 *
 * For each generated manifest: a caller's scope set, the request that fills the cache entry, the key the manifest gets
 * (lambda/cache-key-mode.ts), and one of the two ARN spellings API Gateway may use (raw: the path as sent, routed on
 * decoded segments; decoded: the decoded path, routed as decoded). The entry's policy is then evaluated on every request
 * that entry serves: all of them under the identity key, those of the same method and resource under the route key.
 *
 * Seed and size: PROPERTY_SEED (or FC_SEED, as the other property tests) and PROPERTY_RUNS. At least 5,000
 * manifests: fewer, or a time limit cutting the run short, fails the test.
 */
import { runUnsafeSimulation } from '@cloud-copilot/iam-simulate';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chooseCacheKeyMode, type CacheKeyMode } from '../../lambda/cache-key-mode';
import { policyForRequest } from '../../lambda/policy';
import { compileManifest, type RouteSpec } from '../../lambda/route-manifest';

const SEED = Number(process.env.PROPERTY_SEED ?? process.env.FC_SEED ?? 20261130);
const MIN_MANIFESTS = 5_000;
const RUNS = Math.max(MIN_MANIFESTS, Number(process.env.PROPERTY_RUNS ?? MIN_MANIFESTS));
const ACCOUNT = '123456789012';
const STAGE_ARN = `arn:aws:execute-api:eu-west-1:${ACCOUNT}:abc123/prod`;
const SCOPE_POOL = ['a', 'b', 'c'] as const;
const CONCRETE_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'] as const;

// ---------------------------------------------------------------------------------------------------------------------
// The oracle: an independent router and scope check

interface Request {
  readonly method: string;
  /** The path as the client sends it (percent-encoded). */
  readonly rawPath: string;
  /** A literal segment is spelled with a percent-escape. */
  readonly spelled: boolean;
}

type Spelling = 'raw' | 'decoded';

const decodeOr = (text: string) => {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
};

/** API Gateway's resource choice: segment by segment, a literal before a parameter before a greedy parameter. */
function resolveTemplate(templates: readonly string[], segments: readonly string[]): string | undefined {
  const split = (template: string) => (template === '/' ? [] : template.slice(1).split('/'));
  const rank = (segment: string) => (segment.endsWith('+}') ? 2 : segment.startsWith('{') ? 1 : 0);
  const matches = (template: string) => {
    const parts = split(template);
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      if (rank(part) === 2) return segments.length > i;
      if (i >= segments.length) return false;
      if (rank(part) === 0 && part !== segments[i]) return false;
    }
    return parts.length === segments.length;
  };
  const candidates = templates.filter(matches);
  candidates.sort((x, y) => {
    const a = split(x);
    const b = split(y);
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (rank(a[i]!) !== rank(b[i]!)) return rank(a[i]!) - rank(b[i]!);
    return 0;
  });
  return candidates[0];
}

interface Routed {
  readonly route: RouteSpec;
  readonly arn: string;
}

function route(manifest: readonly RouteSpec[], request: Request, spelling: Spelling): Routed | undefined {
  const withoutSlash = request.rawPath.slice(1);
  const segments =
    spelling === 'raw'
      ? withoutSlash === '' ? [] : withoutSlash.split('/').map(decodeOr)
      : decodeOr(withoutSlash) === '' ? [] : decodeOr(withoutSlash).split('/');
  if (segments.some((segment) => segment === '')) return undefined;
  const templates = new Set<string>();
  for (const spec of manifest) {
    const parts = spec.path === '/' ? [] : spec.path.slice(1).split('/');
    for (let i = 0; i <= parts.length; i++) templates.add(i === 0 ? '/' : `/${parts.slice(0, i).join('/')}`);
  }
  const template = resolveTemplate([...templates], segments);
  if (template === undefined) return undefined;
  const found =
    manifest.find((spec) => spec.path === template && spec.method === request.method) ??
    manifest.find((spec) => spec.path === template && spec.method === 'ANY');
  if (found === undefined) return undefined;
  const arnPath = spelling === 'raw' ? withoutSlash : decodeOr(withoutSlash);
  return { route: found, arn: `${STAGE_ARN}/${request.method}/${arnPath}` };
}

function mayCall(spec: RouteSpec, held: ReadonlySet<string>): boolean {
  const sets = spec.anyOf ?? [spec.scopes ?? []];
  return sets.some((set) => set.every((scope) => held.has(scope)));
}

// ---------------------------------------------------------------------------------------------------------------------
// The judge: iam-simulate, memoised (the same policy and ARN recur)

const verdicts = new Map<string, boolean>();

/** iam-simulate reads `*` and `?` in the requested resource as a query; no policy here names these stand-ins. */
const concrete = (arn: string) => arn.replaceAll('*', '\u00a7').replaceAll('?', '\u00b6');

function iamAllows(policy: unknown, arn: string): boolean {
  const text = JSON.stringify(policy);
  const key = `${text}\n${arn}`;
  let allowed = verdicts.get(key);
  if (allowed === undefined) {
    const result = runUnsafeSimulation(
      {
        request: {
          principal: `arn:aws:iam::${ACCOUNT}:role/caller`,
          action: 'execute-api:Invoke',
          resource: { resource: concrete(arn), accountId: ACCOUNT },
          contextVariables: {},
        },
        identityPolicies: [{ name: 'authorizer', policy }],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
      },
      {},
    );
    allowed = result === 'Allowed';
    if (verdicts.size > 200_000) verdicts.clear();
    verdicts.set(key, allowed);
  }
  return allowed;
}

// ---------------------------------------------------------------------------------------------------------------------
// Generators

const LITERALS = ['items', 'users', 'me', 'export', 'secret', 'audit'] as const;
const PARAM_VALUES = ['1', 'me', 'export', 'audit', '*', 'a*', '%2A', '%3F', 'x%2Fy', '%6De'] as const;
const GREEDY_VALUES = ['1', 'a/b', 'me/secret', '%2A/x'] as const;

const segmentArb = (depth: number) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...LITERALS) },
    { weight: 2, arbitrary: fc.constant(`{p${depth}}`) },
    { weight: 1, arbitrary: fc.constant('{proxy+}') },
  );

const pathArb = fc
  .integer({ min: 0, max: 4 })
  .chain((length) => fc.tuple(...Array.from({ length }, (_, i) => segmentArb(i))))
  .map((segments) => {
    const greedyAt = segments.findIndex((segment) => segment === '{proxy+}');
    const kept = greedyAt < 0 ? segments : segments.slice(0, greedyAt + 1);
    return kept.length === 0 ? '/' : `/${kept.join('/')}`;
  });

const scopeSetArb = fc.subarray([...SCOPE_POOL], { minLength: 0, maxLength: 2 });
const requirementArb = fc.oneof(
  { weight: 3, arbitrary: scopeSetArb.map((scopes) => ({ scopes })) },
  { weight: 1, arbitrary: fc.array(scopeSetArb, { minLength: 1, maxLength: 2 }).map((anyOf) => ({ anyOf })) },
);

const routeArb = fc.record({
  method: fc.constantFrom('GET', 'GET', 'POST', 'DELETE', 'ANY'),
  path: pathArb,
  requirement: requirementArb,
});

const manifestArb = fc
  .array(routeArb, { minLength: 1, maxLength: 6 })
  .map((routes) => {
    const seen = new Set<string>();
    const specs: RouteSpec[] = [];
    for (const { method, path, requirement } of routes) {
      const key = `${method} ${path}`;
      if (seen.has(key)) continue;
      seen.add(key);
      specs.push({ method: method as RouteSpec['method'], path, ...requirement });
    }
    return specs;
  });

/** Concrete requests for a route: a value per parameter, sometimes a literal spelled with an escape. */
function requestsFor(spec: RouteSpec, pick: (n: number) => number): Request[] {
  const out: Request[] = [];
  for (let variant = 0; variant < 2; variant++) {
    let spelled = false;
    const parts = spec.path === '/' ? [] : spec.path.slice(1).split('/');
    const concretePath = parts.map((part) => {
      if (part === '{proxy+}') return GREEDY_VALUES[pick(GREEDY_VALUES.length)]!;
      if (part.startsWith('{')) return PARAM_VALUES[pick(PARAM_VALUES.length)]!;
      if (variant === 1 && !spelled && pick(3) === 0) {
        spelled = true;
        return `%${part.charCodeAt(0).toString(16).toUpperCase()}${part.slice(1)}`;
      }
      return part;
    });
    const method = spec.method === 'ANY' ? CONCRETE_METHODS[pick(CONCRETE_METHODS.length)]! : spec.method;
    out.push({ method, rawPath: `/${concretePath.join('/')}`, spelled });
  }
  return out;
}

/** One cache entry: a caller's scopes and the request that fills the entry. */
interface Entry {
  readonly held: string[];
  readonly first: number;
}

interface Case {
  readonly specs: RouteSpec[];
  /** Two entries per manifest: two callers (or one caller on two routes, under the route key). */
  readonly entries: Entry[];
  readonly spelling: Spelling;
  readonly forceIdentity: boolean;
  readonly choices: number[];
}

const caseArb: fc.Arbitrary<Case> = fc.record({
  specs: manifestArb,
  entries: fc.array(fc.record({ held: fc.subarray([...SCOPE_POOL]), first: fc.nat({ max: 1_000 }) }), { minLength: 2, maxLength: 2 }),
  spelling: fc.constantFrom<Spelling>('raw', 'decoded'),
  forceIdentity: fc.boolean(),
  choices: fc.array(fc.nat({ max: 1_000 }), { minLength: 48, maxLength: 48 }),
});

interface Verdict {
  readonly wrongAllow: string[];
  readonly wrongDeny: string[];
  readonly mode: CacheKeyMode;
}

/** Builds the entry's policy and judges it on every request the entry serves. */
function judge(testCase: Case): Verdict {
  const { specs, spelling } = testCase;
  const manifest = compileManifest({ routes: specs });
  const chosen = chooseCacheKeyMode(manifest).mode;
  const mode: CacheKeyMode = testCase.forceIdentity ? 'identity' : chosen;
  const exactExpected = mode === chosen;
  let next = 0;
  const pick = (n: number) => testCase.choices[next++ % testCase.choices.length]! % n;

  const universe: { request: Request; routed: Routed }[] = [];
  const seen = new Set<string>();
  for (const spec of specs) {
    for (const request of requestsFor(spec, pick)) {
      const key = `${request.method} ${request.rawPath}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const routed = route(specs, request, spelling);
      if (routed !== undefined) universe.push({ request, routed });
    }
  }
  const wrongAllow: string[] = [];
  const wrongDeny: string[] = [];
  if (universe.length === 0) return { wrongAllow, wrongDeny, mode };
  for (const entry of testCase.entries) judgeEntry(manifest, mode, exactExpected, spelling, universe, entry, wrongAllow, wrongDeny);
  return { wrongAllow, wrongDeny, mode };
}

function judgeEntry(
  manifest: ReturnType<typeof compileManifest>,
  mode: CacheKeyMode,
  exactExpected: boolean,
  spelling: Spelling,
  universe: readonly { request: Request; routed: Routed }[],
  cacheEntry: Entry,
  wrongAllow: string[],
  wrongDeny: string[],
): void {
  const held = new Set(cacheEntry.held);
  const first = universe[cacheEntry.first % universe.length]!;
  const policy = policyForRequest({
    manifest,
    mode,
    held,
    methodArn: first.routed.arn,
    httpMethod: first.request.method,
    resource: first.routed.route.path,
  });
  const served = universe.filter(
    ({ request, routed }) => mode === 'identity' || (request.method === first.request.method && routed.route.path === first.routed.route.path),
  );
  for (const entry of served) {
    const expected = mayCall(entry.routed.route, held);
    const actual = iamAllows(policy, entry.routed.arn);
    const what = `${entry.request.method} ${entry.request.rawPath} -> ${entry.routed.route.method} ${entry.routed.route.path} (${mode}, ${spelling})`;
    if (actual && !expected) wrongAllow.push(what);
    if (!actual && expected) {
      // Identity key, raw spelling: another request that spells a literal segment with an escape is refused from the
      // cache (never allowed; docs/cache-keys.md). The request itself is allowed by its exact ARN unless that ARN
      // carries * or ?, which never become a resource.
      const spelledOther = mode === 'identity' && spelling === 'raw' && entry.request.spelled;
      const self = entry === first;
      const residual = spelledOther && (!self || /[*?]/.test(entry.routed.arn));
      if (exactExpected && !residual) wrongDeny.push(what);
    }
  }
}

describe('Policy exactness per cache entry, judged by iam-simulate', () => {
  it(`gives 0 wrong Allow and 0 wrong Deny within each cache entry over ${RUNS} generated manifests (seed ${SEED})`, () => {
    const modes = { identity: 0, route: 0 };
    const result = fc.check(
      fc.property(caseArb, (testCase) => {
        const verdict = judge(testCase);
        modes[verdict.mode]++;
        return verdict.wrongAllow.length === 0 && verdict.wrongDeny.length === 0;
      }),
      { seed: SEED, numRuns: RUNS, interruptAfterTimeLimit: 120_000, markInterruptAsFailure: true },
    );
    if (result.failed) {
      const verdict = judge(result.counterexample![0]);
      expect.fail(
        `seed ${SEED}, path ${result.counterexamplePath}: ${JSON.stringify(result.counterexample![0].specs)} entries ` +
          `${JSON.stringify(result.counterexample![0].entries)}\nwrong Allow: ${verdict.wrongAllow.join('; ')}\nwrong Deny: ${verdict.wrongDeny.join('; ')}`,
      );
    }
    expect(result.numRuns).toBeGreaterThanOrEqual(MIN_MANIFESTS);
    // Both keys were exercised.
    expect(modes.identity).toBeGreaterThan(RUNS / 10);
    expect(modes.route).toBeGreaterThan(RUNS / 10);
  }, 180_000);
});
