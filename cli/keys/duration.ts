/**
 * Durations as people write them on the command line: a whole number and one unit, `90s`, `15m`, `1h`, `30d`.
 * One grammar for every flag (`--expires-in`, `--grace`).
 */
import { InputError } from './errors';

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;
const DURATION = /^(\d{1,9})([smhd])$/;

export interface DurationBounds {
  /** Smallest accepted value in seconds. @default 1 */
  readonly minSeconds?: number;
  /** Largest accepted value in seconds. @default 10 years */
  readonly maxSeconds?: number;
}

/** Seconds in `text`, or an {@link InputError} naming the flag, the value and the accepted form. */
export function parseDuration(flag: string, text: string, bounds: DurationBounds = {}): number {
  const match = DURATION.exec(text.trim());
  if (/^\s*-/.test(text)) {
    throw new InputError(
      'invalid_duration',
      `${flag}: ${JSON.stringify(text)} is negative, so it is not a duration: write a whole number and a unit, e.g. 90s, 15m, 1h, 30d`,
    );
  }
  if (!match) {
    throw new InputError(
      'invalid_duration',
      `${flag}: ${JSON.stringify(text)} is not a duration: write a whole number and a unit, e.g. 90s, 15m, 1h, 30d`,
    );
  }
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS];
  const min = bounds.minSeconds ?? 1;
  const max = bounds.maxSeconds ?? 3650 * 86_400;
  if (seconds < min || seconds > max) {
    throw new InputError(
      'invalid_duration',
      `${flag}: ${text} is out of range: must be between ${formatDuration(min)} and ${formatDuration(max)}`,
    );
  }
  return seconds;
}

/** The shortest exact spelling of `seconds` in the same grammar (`3600` -> `1h`, `90` -> `90s`). */
export function formatDuration(seconds: number): string {
  for (const [unit, size] of [['d', 86_400], ['h', 3600], ['m', 60]] as const) {
    if (seconds >= size && seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}
