/**
 * `npm run bench [-- options]`: the benchmark suite. Figures, not tests: nothing here fails a build.
 *
 * Sections (see bench/README.md): micro (in-process per-request cost, interleaved, with the raw crypto limit and
 * the peers), cold (bundle size and load time in fresh processes), profile (where the handler's microseconds go),
 * cpu (V8 sampling profile of a tight loop; opt-in), gateway (autocannon through the local gateway).
 */
import { ALL_SECTIONS, optionsToArgv, parseOptions } from './lib/args';
import { REPO_ROOT, runSection, progress } from './lib/child';
import { fmt, table } from './lib/stats';
import { targetLines } from './lib/targets';
import { runColdStart, type ColdStartResult } from './cold-start';
import type { CpuProfileResult } from './cpu-profile';
import { runGateway, type GatewayResult } from './gateway';
import { cacheKeysTable, runCacheKeys, type CacheKeysResult } from './cache-keys';
import type { MicroResult } from './micro';
import type { ProfileResult } from './profile';

interface Report {
  readonly machine: { node: string; cpus: number; loadAverageAtStart: number[]; note: string };
  micro?: MicroResult;
  cold?: ColdStartResult;
  profile?: ProfileResult;
  cpu?: CpuProfileResult[];
  gateway?: GatewayResult;
  cacheKeys?: CacheKeysResult;
}

const x = (ratio: number | undefined) => (ratio === undefined || !Number.isFinite(ratio) ? '' : `${ratio.toFixed(2)}x`);

function microTable(micro: MicroResult): string {
  if (micro.baseline !== undefined) {
    const rows = micro.cases.map((c) => [c.name, fmt(c.p50), fmt(c.p99), x(c.ratioToLimit), x(c.ratioToBareAwsJwtVerify), x(c.ratioToBaseline), c.note ?? '']);
    return table(['case', 'p50 us', 'p99 us', 'p50/limit', 'p50/bare ajv', 'p50/baseline', 'note'], rows, [false, true, true, true, true, true, false]);
  }
  const rows = micro.cases.map((c) => [c.name, fmt(c.p50), fmt(c.p99), x(c.ratioToLimit), x(c.ratioToBareAwsJwtVerify), c.note ?? '']);
  return table(['case', 'p50 us', 'p99 us', 'p50/limit', 'p50/bare ajv', 'note'], rows, [false, true, true, true, true, false]);
}

function print(report: Report): void {
  const out: string[] = [];
  out.push(`Portcullis benchmarks: node ${report.machine.node}, ${report.machine.cpus} CPUs, load average at start ${report.machine.loadAverageAtStart.map((l) => l.toFixed(2)).join(' ')}`);
  out.push(report.machine.note, '');
  if (report.micro) {
    const m = report.micro;
    out.push(`## In-process, warm (${m.rounds} rounds x ${m.iterations} calls per case, ${m.slices} interleaved slices per round; medians of per-round p50/p99; ratios per round, then median)`, '');
    out.push(microTable(m), '');
  }
  if (report.profile) {
    const p = report.profile;
    out.push(`## Profile: microseconds per call by stage (median of ${p.batches} interleaved batches of ${p.batchSize})`, '');
    let last = '';
    const rows: string[][] = [];
    for (const s of p.stages) {
      rows.push([s.path === last ? '' : s.path, `${'  '.repeat(s.depth)}${s.name}`, fmt(s.us, 2), s.note ?? '']);
      last = s.path;
    }
    out.push(table(['path', 'stage', 'us/call', 'note'], rows, [false, false, true, false]), '');
  }
  for (const cpu of report.cpu ?? []) {
    out.push(`## CPU profile, ${cpu.path}: ${cpu.calls} calls, ${fmt(cpu.usPerCall, 2)} us/call under the profiler (${cpu.file})`, '');
    out.push(table(['self %', 'where'], cpu.byCategory.map((c) => [c.selfPercent.toFixed(1), c.name]), [true, false]), '');
    out.push(table(['self %', 'function'], cpu.topFunctions.slice(0, 15).map((c) => [c.selfPercent.toFixed(1), c.name]), [true, false]), '');
  }
  if (report.cold) {
    const c = report.cold;
    out.push(`## Cold start: require() of the bundle in a fresh node process (${c.runs} alternating runs, medians; ratio per run vs empty node)`, '');
    out.push(
      table(
        ['variant', 'min KB', 'gzip KB', 'ms', 'vs empty', 'vs bare ajv', 'note'],
        c.variants.map((v) => [v.name, v.bytes === undefined ? '' : (v.bytes / 1000).toFixed(1), v.gzipBytes === undefined ? '' : (v.gzipBytes / 1000).toFixed(1), fmt(v.ms), x(v.ratio), v.ratioToBare === undefined ? '' : `${v.ratioToBare.toFixed(3)}x`, v.note ?? '']),
        [false, true, true, true, true, true, false],
      ),
      '',
    );
    out.push(`@aws-sdk/client-dynamodb in require.cache after load: JWT-only ${c.sdkLoadedAtStart.jwtOnly}, with KEY_TABLE_NAME ${c.sdkLoadedAtStart.full}`, '');
    const f = c.firstDecision;
    out.push(`## First decision of a fresh process, JWKS on an HTTPS server (${f.runs} alternating runs, medians; "at once": ms from process start, "after 500 ms": ms of the invocation alone)`, '');
    out.push(table(['variant', 'invoked', 'ms', 'vs bare hydrate', 'note'], f.rows.map((r) => [r.name, r.when, fmt(r.ms), x(r.ratioToBare), r.note ?? '']), [false, false, true, true, false]), '');
  }
  if (report.gateway) {
    const g = report.gateway;
    out.push('## Local gateway (autocannon, loopback)', '');
    if ('skipped' in g) out.push(`skipped: ${g.skipped}`, '');
    else {
      out.push(`${g.rounds} rounds x ${g.seconds} s per route, ${g.connections} connections, alternating`, '');
      out.push(table(['route', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx'], [g.health, g.whoami].map((r) => [r.route, fmt(r.requestsPerSecond, 0), fmt(r.p50Ms), fmt(r.p99Ms), String(r.non2xx)]), [false, true, true, true, true]), '');
      out.push(`/whoami vs /health: ${x(g.ratio)}`, '');
    }
  }
  if (report.cacheKeys) {
    out.push('## Authorizer invocations per 1,000 requests, by cache key (simulated)', '', report.cacheKeys.mix, '', cacheKeysTable(report.cacheKeys), '');
  }
  out.push('## Targets', '', ...targetLines(report), '');
  process.stdout.write(`${out.join('\n')}\n`);
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const { cpus, loadavg } = await import('node:os');
  const report: Report = {
    machine: {
      node: process.version,
      cpus: cpus().length,
      loadAverageAtStart: loadavg(),
      note: 'Measured on a shared, busy machine unless stated otherwise: compare ratios within one run; re-measure absolute figures on a quiet machine.',
    },
  };
  const argv = optionsToArgv(options);
  if (options.quick) argv.push('--quick');
  const failed: string[] = [];
  for (const section of ALL_SECTIONS) {
    if (!options.sections.has(section)) continue;
    progress(`section ${section}`);
    // A section that fails is reported and left out; the others' figures are kept.
    try {
      if (section === 'micro') report.micro = await runSection<MicroResult>('micro.ts', argv);
      if (section === 'profile') report.profile = await runSection<ProfileResult>('profile.ts', argv);
      if (section === 'cpu') {
        report.cpu = [];
        for (const path of ['jwt-first', 'jwt-repeat', 'apikey-hit']) report.cpu.push(await runSection<CpuProfileResult>('cpu-profile.ts', ['--path', path]));
      }
      if (section === 'cold') report.cold = await runColdStart(options.coldRuns);
      if (section === 'gateway') report.gateway = await runGateway({ seconds: options.gatewaySeconds, rounds: options.quick ? 2 : 3 });
      if (section === 'cache-keys') report.cacheKeys = runCacheKeys(options.quick);
    } catch (error) {
      failed.push(section);
      progress(`section ${section} failed: ${(error as Error).message}`);
    }
  }
  if (failed.length > 0) process.exitCode = 1;
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  mkdirSync(join(REPO_ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(REPO_ROOT, 'bench', 'results', 'last-run.json'), `${JSON.stringify(report, null, 2)}\n`);
  if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else print(report);
}

void main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
