/**
 * The performance the project holds itself to (issue 12), checked against one bench report: every figure comes from
 * the same run, and ratios are the per-round (side by side) ratios the sections computed.
 */
import type { ColdStartResult } from '../cold-start';
import type { CaseResult, MicroResult } from '../micro';
import { fmt } from './stats';

export interface TargetCheck {
  readonly target: string;
  /** undefined: the report lacks the figure (section not run or case filtered out). */
  readonly met: boolean | undefined;
  readonly measured: string;
}

export interface ReportFigures {
  readonly micro?: MicroResult;
  readonly cold?: ColdStartResult;
}

export const ratio = (value: number | undefined, digits = 2) => (value === undefined || !Number.isFinite(value) ? "" : `${value.toFixed(digits)}x`);

export function checkTargets(report: ReportFigures): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const find = (name: string): CaseResult | undefined => report.micro?.cases.find((c) => c.name === name);
  const check = (target: string, met: boolean | undefined, measured: string) => checks.push({ target, met, measured });

  const first = find('portcullis RS256 first sighting');
  check('RS256 first sighting <= 1.03x bare aws-jwt-verify', first && first.ratioToBareAwsJwtVerify! <= 1.03, first ? `${ratio(first.ratioToBareAwsJwtVerify, 3)} (p50 ${fmt(first.p50)} us)` : '');
  const repeat = find('portcullis RS256 repeated token');
  check('repeated token <= 5 us p50', repeat && repeat.p50 <= 5, repeat ? `${fmt(repeat.p50, 2)} us` : '');
  const hit = find('portcullis API key cache hit');
  check('API key cache hit <= 3 us p50', hit && hit.p50 <= 3, hit ? `${fmt(hit.p50, 2)} us` : '');

  const cold = report.cold;
  const ours = cold?.variants.find((v) => v.name === 'portcullis, JWT only');
  const bare = cold?.variants.find((v) => v.name === 'peer aws-jwt-verify');
  // index.js, the file every cold start loads; key-table.js is loaded with it when a key table is configured, and the
  // optional features' file only when a setting uses them. 60 KB read as 60,000 bytes, the stricter reading.
  const keyTable = cold?.keyTable;
  const extensions = cold?.extensions;
  const splitNote =
    keyTable === undefined || extensions === undefined
      ? ''
      : `; with a key table + ${(keyTable.bytes / 1000).toFixed(1)} KB key-table.js (${((ours!.bytes! + keyTable.bytes) / 1000).toFixed(1)} KB at cold start); + ${(extensions.bytes / 1000).toFixed(1)} KB extensions.js, loaded on use`;
  check(
    'bundle <= 60 KB minified',
    ours?.bytes === undefined ? undefined : ours.bytes <= 60_000,
    ours?.bytes === undefined ? '' : `${(ours.bytes / 1000).toFixed(1)} KB (${(ours.gzipBytes! / 1000).toFixed(1)} KB gzipped)${splitNote}`,
  );
  // Side by side: per run, our load time over the bare authorizer's in the same run, then the median over runs (a
  // report from before that figure was kept gives the ratio of the two medians instead).
  const coldRatio = ours?.ratioToBare ?? (ours?.ms !== undefined && bare?.ms !== undefined ? ours.ms / bare.ms : undefined);
  check(
    'cold load <= 1.05x a bare aws-jwt-verify authorizer bundle',
    coldRatio === undefined ? undefined : coldRatio <= 1.05,
    coldRatio === undefined ? '' : `${ratio(coldRatio, 3)} (median of per-run ratios; medians ${fmt(ours!.ms)} vs ${fmt(bare!.ms)} ms)`,
  );
  if (cold) check('DynamoDB client not loaded at start', !cold.sdkLoadedAtStart.jwtOnly && !cold.sdkLoadedAtStart.full, `JWT-only: ${cold.sdkLoadedAtStart.jwtOnly}, with KEY_TABLE_NAME: ${cold.sdkLoadedAtStart.full}`);
  return checks;
}

export function targetLines(report: ReportFigures): string[] {
  return checkTargets(report).map((c) => `${c.met === undefined ? '  ?  ' : c.met ? ' met ' : 'MISS '} ${c.target}: ${c.measured || 'not measured in this run'}`);
}
