/**
 * The first decision of a new container: a fresh `node` process loads a Lambda bundle (its configuration from the
 * environment, its issuer's JWKS on a real HTTPS server on loopback), then is invoked once with a real REST
 * REQUEST event carrying a valid RS256 token. Part of the cold section.
 *
 * Two moments of invocation:
 * - at once after the bundle is loaded (an on-demand cold start: Lambda invokes right after init);
 * - 500 ms later (a pre-initialised container, e.g. provisioned concurrency: init ran before the request came).
 *   Here the figure is the invocation alone: what a prefetch of the JWKS during init saves the first caller.
 *
 * Variants: ours (which prefetches the JWKS at init), the bare aws-jwt-verify authorizer that hydrates at init as the
 * library recommends, and the same without hydrate. Runs alternate in a new random order; medians, and the median of
 * per-run ratios to the hydrating bare authorizer.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lambdaEvent, TEST_MANIFEST } from '../test/support/authorizer-harness';
import { startJwksServer } from '../test/support/jwks-server';
import { progress, REPO_ROOT } from './lib/child';
import { algFixtures, AUDIENCE, mintToken } from './lib/fixtures';
import { median, shuffle } from './lib/stats';

export interface FirstDecisionRow {
  readonly name: string;
  readonly when: 'at once' | 'after 500 ms';
  /** At once: ms from process start to the decision. After 500 ms: ms from the invocation to the decision. */
  readonly ms: number;
  /** Median of per-run ratios to the hydrating bare aws-jwt-verify authorizer in the same moment. */
  readonly ratioToBare?: number;
  readonly note?: string;
}

export interface FirstDecisionResult {
  readonly runs: number;
  readonly rows: FirstDecisionRow[];
}

/** The child: load the bundle, invoke once (at once or after a gap), report times from process start. */
const CHILD = `
const { performance } = require('node:perf_hooks');
const { handler } = require(process.env.BENCH_BUNDLE);
const loaded = performance.now();
const event = JSON.parse(process.env.BENCH_EVENT);
const invoke = () => {
  const invokedAt = performance.now();
  Promise.resolve(handler(event, { awsRequestId: 'bench' })).then((result) => {
    const decidedAt = performance.now();
    const allowed = JSON.stringify(result.policyDocument).includes('"Allow"');
    process.stdout.write('\\nBENCH ' + JSON.stringify({ loaded, invokedAt, decidedAt, allowed }) + '\\n');
    process.exit(0);
  }, (error) => {
    process.stdout.write('\\nBENCH ' + JSON.stringify({ error: String(error && error.message) }) + '\\n');
    process.exit(1);
  });
};
const gap = Number(process.env.BENCH_GAP_MS);
if (gap > 0) setTimeout(invoke, gap); else invoke();
`;

interface ChildTimes {
  readonly loaded: number;
  readonly invokedAt: number;
  readonly decidedAt: number;
  readonly allowed: boolean;
}

function runChild(env: Record<string, string>): Promise<ChildTimes> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', CHILD], { env, cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('exit', () => {
      const line = out.split('\n').find((l) => l.startsWith('BENCH '));
      const parsed = line ? (JSON.parse(line.slice(6)) as ChildTimes & { error?: string }) : undefined;
      if (!parsed || parsed.error !== undefined || !parsed.allowed) {
        reject(new Error(`first decision failed: ${parsed?.error ?? (parsed ? 'not allowed' : 'no result')} ${err.slice(0, 500)}`));
      } else resolve(parsed);
    });
  });
}

export async function runFirstDecision(bundles: { portcullis: string; peerAwsJwtVerify: string }, runs: number): Promise<FirstDecisionResult> {
  const fixture = algFixtures().RS256;
  const jwks = await startJwksServer([fixture.key]);
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-'));
  try {
    const caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, jwks.ca);
    const event = JSON.stringify(lambdaEvent({ method: 'GET', resource: '/items', authorization: `Bearer ${mintToken(fixture, jwks.issuer)}` }));
    // Both trust the JWKS server's certificate the same way (Node's extra CA store), read at process start.
    const base = { PATH: process.env.PATH ?? '', AWS_REGION: 'eu-west-1', NODE_EXTRA_CA_CERTS: caFile, BENCH_EVENT: event };
    const ours = {
      ...base,
      BENCH_BUNDLE: bundles.portcullis,
      ROUTE_MANIFEST: JSON.stringify(TEST_MANIFEST),
      JWT_ISSUERS: JSON.stringify([{ issuer: jwks.issuer, audience: AUDIENCE, jwksUri: jwks.jwksUri }]),
    };
    const peer = { ...base, BENCH_BUNDLE: bundles.peerAwsJwtVerify, PEER_ISSUER: jwks.issuer, PEER_AUDIENCE: AUDIENCE, PEER_JWKS_URI: jwks.jwksUri };
    const variants = [
      { name: 'bare aws-jwt-verify, hydrate', env: peer, note: 'reference' },
      { name: 'portcullis (JWKS prefetched at init)', env: ours },
      { name: 'bare aws-jwt-verify, no hydrate', env: { ...peer, PEER_HYDRATE: 'false' }, note: 'what hydrate saves' },
    ];
    const rows: FirstDecisionRow[] = [];
    for (const [when, gap] of [['at once', 0], ['after 500 ms', 500]] as const) {
      progress(`cold: first decision, invoked ${when}, ${runs} alternating runs of ${variants.length} variants`);
      const samples = new Map(variants.map((v) => [v, [] as number[]]));
      const ratios = new Map(variants.map((v) => [v, [] as number[]]));
      for (let run = 0; run < runs; run++) {
        const thisRun = new Map<(typeof variants)[number], number>();
        for (const v of shuffle([...variants])) {
          const times = await runChild({ ...v.env, BENCH_GAP_MS: String(gap) });
          const ms = gap === 0 ? times.decidedAt : times.decidedAt - times.invokedAt;
          thisRun.set(v, ms);
          samples.get(v)!.push(ms);
        }
        for (const v of variants) ratios.get(v)!.push(thisRun.get(v)! / thisRun.get(variants[0]!)!);
      }
      for (const v of variants) {
        rows.push({ name: v.name, when, ms: median(samples.get(v)!), ratioToBare: v === variants[0] ? undefined : median(ratios.get(v)!), note: v.note });
      }
    }
    return { runs, rows };
  } finally {
    await jwks.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
