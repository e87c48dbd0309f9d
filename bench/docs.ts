/**
 * `npm run bench:docs [-- results.json]`: writes docs/performance.md from a bench report (default: the last run,
 * bench/results/last-run.json). Every figure in that page comes from the report; the prose around the tables
 * names no number, so the page cannot drift from what was measured.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ColdStartResult } from './cold-start';
import type { CpuProfileResult } from './cpu-profile';
import type { GatewayResult } from './gateway';
import { REPO_ROOT } from './lib/child';
import { fmt } from './lib/stats';
import { checkTargets, ratio } from './lib/targets';
import type { MicroResult } from './micro';
import type { ProfileResult } from './profile';

interface Report {
  readonly machine: { node: string; cpus: number; loadAverageAtStart: number[]; note: string };
  readonly micro?: MicroResult;
  readonly cold?: ColdStartResult;
  readonly profile?: ProfileResult;
  readonly cpu?: CpuProfileResult[];
  readonly gateway?: GatewayResult;
}

function markdownTable(headers: readonly string[], rows: readonly (readonly string[])[], right: readonly boolean[] = []): string {
  const escape = (cell: string) => cell.replace(/\|/g, '\\|');
  return [
    `| ${headers.map(escape).join(' | ')} |`,
    `|${headers.map((_, i) => (right[i] ? '---:' : '---')).join('|')}|`,
    ...rows.map((row) => `| ${row.map(escape).join(' | ')} |`),
  ].join('\n');
}

function microSection(micro: MicroResult): string[] {
  const out = [
    '## Per request, in process',
    '',
    `${micro.rounds} rounds of ${micro.iterations} calls per case, each round cut into ${micro.slices} slices that run every case in a new random order; p50 and p99 are medians over rounds, ratios are taken per round and then their median. "limit" is \`crypto.verify\` with a prepared key and buffers; "bare ajv" is a minimal authorizer calling aws-jwt-verify's \`verifySync\`.`,
    '',
  ];
  const withBaseline = micro.baseline !== undefined;
  const headers = ['case', 'p50 us', 'p99 us', 'p50 / limit', 'p50 / bare ajv', ...(withBaseline ? [`p50 / ${micro.baseline}`] : []), 'note'];
  const rows = micro.cases
    .filter((c) => c.group !== 'overhead')
    .map((c) => [c.name, fmt(c.p50), fmt(c.p99), ratio(c.ratioToLimit), ratio(c.ratioToBareAwsJwtVerify), ...(withBaseline ? [ratio(c.ratioToBaseline)] : []), c.note ?? '']);
  out.push(markdownTable(headers, rows, [false, true, true, true, true, ...(withBaseline ? [true] : []), false]), '');
  const floors = micro.cases.filter((c) => c.group === 'overhead');
  if (floors.length > 0) out.push(`Timer overhead, included in every figure: ${floors.map((c) => `${c.name.replace('floor: ', '')} ${fmt(c.p50, 2)} us`).join(', ')}.`, '');
  return out;
}

function profileSection(profile: ProfileResult): string[] {
  const out = [
    '## Where the microseconds go',
    '',
    `Each stage is a real function of \`lambda/\` (or aws-jwt-verify, or node:crypto) called on the inputs the handler sees, timed in batches of ${profile.batchSize} and interleaved; the figure is the median of ${profile.batches} batches. Indentation shows what a stage is part of.`,
    '',
  ];
  const rows = profile.stages.map((s) => [s.path, `${'&nbsp;&nbsp;'.repeat(s.depth)}${s.name}`, fmt(s.us, 2), s.note ?? '']);
  out.push(markdownTable(['path', 'stage', 'us per call', 'note'], rows, [false, false, true, false]), '');
  return out;
}

function coldSection(cold: ColdStartResult): string[] {
  const out = [
    '## Cold start',
    '',
    `Each bundle is built with the Lambda's esbuild options and \`require\`d in a fresh \`node\` process; ${cold.runs} runs, alternating in a new random order, medians; the ratio is taken per run against an empty \`node\`.`,
    '',
  ];
  const rows = cold.variants.map((v) => [
    v.name,
    v.bytes === undefined ? '' : (v.bytes / 1000).toFixed(1),
    v.gzipBytes === undefined ? '' : (v.gzipBytes / 1000).toFixed(1),
    fmt(v.ms),
    ratio(v.ratio),
    ratio(v.ratioToBare, 3),
    v.note ?? '',
  ]);
  out.push(markdownTable(['variant', 'KB minified', 'KB gzipped', 'ms', 'vs empty node', 'vs bare aws-jwt-verify, per run', 'note'], rows, [false, true, true, true, true, true, false]), '');
  // What "bundle" measures: the file every cold start loads. The split features ship in files of their own.
  const ours = cold.variants.find((v) => v.name === 'portcullis, JWT only');
  if (ours?.bytes !== undefined) {
    const { extensions, keyTable } = cold;
    const kb = (bytes: number) => `${(bytes / 1000).toFixed(1)} KB`;
    out.push(
      extensions === undefined || keyTable === undefined
        ? `"Bundle" is \`index.js\`, the file every cold start loads: ${kb(ours.bytes)} minified.`
        : [
            `"Bundle" (the issue's 60 KB target, read as 60,000 bytes) is \`index.js\`, the file every cold start loads: ${kb(ours.bytes)} minified (KB = 1,000 bytes here). Two files ship beside it, each \`require\`d only by the configurations that use it (each repeats the few modules it shares with \`index.js\`):`,
            '',
            `- \`key-table.js\`, ${kb(keyTable.bytes)} (${kb(keyTable.gzipBytes)} gzipped): API keys and client bindings (\`lambda/key-table-features.ts\`), loaded at cold start when \`KEY_TABLE_NAME\` is set, as in the "JWT + API keys" variants above: ${kb(ours.bytes + keyTable.bytes)} at cold start;`,
            `- \`extensions.js\`, ${kb(extensions.bytes)} (${kb(extensions.gzipBytes)} gzipped): provider presets, discovery, \`{tenantid}\` templates, \`scopeClaims\`, introspection with its Secrets Manager client secret (\`lambda/optional-features.ts\`), loaded when a setting uses one of them; none of the variants above does.`,
          ].join('\n'),
      '',
    );
  }
  out.push(
    `\`@aws-sdk/client-dynamodb\` loaded at start: JWT only ${cold.sdkLoadedAtStart.jwtOnly ? 'yes' : 'no'}, with \`KEY_TABLE_NAME\` ${cold.sdkLoadedAtStart.full ? 'yes' : 'no'} (it is loaded when a key first needs it).`,
    '',
  );
  return out;
}

function gatewaySection(gateway: GatewayResult): string[] {
  const out = ['## Through the local gateway', ''];
  if ('skipped' in gateway) return [...out, `Not measured: ${gateway.skipped}.`, ''];
  out.push(
    `autocannon on loopback, ${gateway.connections} connections, ${gateway.rounds} rounds of ${gateway.seconds} s per route, alternating. \`/health\` is public; \`/whoami\` goes through the authorizer on every request (the gateway's result cache off) and prints a decision line per request. The load generator shares the machine with the gateway.`,
    '',
  );
  const rows = [gateway.health, gateway.whoami].map((r) => [r.route, fmt(r.requestsPerSecond, 0), fmt(r.p50Ms), fmt(r.p99Ms), String(r.non2xx)]);
  out.push(markdownTable(['route', 'requests/s', 'p50 ms', 'p99 ms', 'non-2xx'], rows, [false, true, true, true, true]), '');
  out.push(`\`/whoami\` serves ${ratio(gateway.ratio)} the requests per second of \`/health\`.`, '');
  return out;
}

export function renderPerformancePage(report: Report, source: string): string {
  const m = report.machine;
  const out = [
    '# Performance',
    '',
    '<!-- Generated by `npm run bench:docs` from a `npm run bench` report: edit bench/docs.ts, not this file. -->',
    '',
    'The authorizer sits in front of every request, so its cost is measured, not guessed. `npm run bench` runs the',
    'measurements (`npm run bench -- --help` lists the options; `--quick` is a smoke run) and saves its report as',
    'JSON; `npm run bench:docs` turns that report into this page. How each figure is measured is described in',
    '[bench/README.md](../bench/README.md).',
    '',
    `Report: \`${source}\`, Node ${m.node}, ${m.cpus} CPUs, load average ${m.loadAverageAtStart.map((l) => l.toFixed(2)).join(' / ')} at the start. ${m.note}`,
    '',
    '## Targets',
    '',
  ];
  const checks = checkTargets(report);
  out.push(markdownTable(['target', 'measured', 'met'], checks.map((c) => [c.target, c.measured || 'not in this report', c.met === undefined ? '-' : c.met ? 'yes' : 'no']), [false, false, false]), '');
  if (report.micro) out.push(...microSection(report.micro));
  if (report.profile) out.push(...profileSection(report.profile));
  if (report.cold) out.push(...coldSection(report.cold));
  if (report.gateway) out.push(...gatewaySection(report.gateway));
  out.push(
    '## What is not here',
    '',
    'Bounds that are behaviour rather than speed are held by tests, not by this page: at most one DynamoDB read per',
    'key per `KEY_CACHE_TTL` and one last-used write per key per `LAST_USED_INTERVAL`',
    '(`test/integration/api-key-store.test.ts`), and the revocation timing of the local mode',
    '(`test/local/revocation-timing.test.ts`).',
    '',
  );
  return out.join('\n');
}

const REPORT_COPY = join('docs', 'performance-report.json');

function main(): void {
  const source = process.argv[2] ?? join('bench', 'results', 'last-run.json');
  const text = readFileSync(resolve(REPO_ROOT, source), 'utf8'); // a path relative to the repository, or absolute
  const report = JSON.parse(text) as Report;
  // The report is kept next to the page, so that anyone can check (or regenerate) every figure.
  writeFileSync(join(REPO_ROOT, REPORT_COPY), text);
  writeFileSync(join(REPO_ROOT, 'docs', 'performance.md'), renderPerformancePage(report, REPORT_COPY));
  process.stderr.write(`wrote docs/performance.md and ${REPORT_COPY} from ${source}\n`);
}

if (require.main === module) main();
