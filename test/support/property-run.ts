/**
 * Runs fast-check properties the same way in every test file: from a fixed seed (so a run is repeatable and CI sees
 * the same cases), another one with `FC_SEED=<n>`, a bounded number of cases, and an optional time limit. A run the
 * time limit stops early passes only when it ran at least `minRuns` cases, and says how many it ran either way.
 * A failure names the seed and the counterexample (fast-check's report), so it can be replayed.
 *
 *   import { checkProperty } from '../support/property-run';
 *   checkProperty(fc.property(arb, (x) => { expect(...) }), { numRuns: 500 });
 *   await checkProperty(fc.asyncProperty(arb, async (x) => { ... }), { numRuns: 300, timeLimitMs: 15_000, minRuns: 100 });
 */
import fc from 'fast-check';

/** The seed every property test runs from unless FC_SEED says otherwise. */
export const DEFAULT_PROPERTY_SEED = 20261130;

function seedFromEnv(): number {
  const raw = process.env.FC_SEED;
  if (raw === undefined || raw === '') return DEFAULT_PROPERTY_SEED;
  const seed = Number(raw);
  if (!Number.isSafeInteger(seed)) throw new Error(`FC_SEED must be an integer, got ${JSON.stringify(raw)}`);
  return seed;
}

export const PROPERTY_SEED = seedFromEnv();

export interface PropertyRunOptions {
  /** Cases to run. */
  readonly numRuns: number;
  /** Stop generating new cases after this long (the run so far is checked against `minRuns`). */
  readonly timeLimitMs?: number;
  /** Fewest cases a run stopped by the time limit must have run; defaults to a quarter of numRuns. */
  readonly minRuns?: number;
}

let announced = false;

/** One line per test file, on stderr so the quiet-output setup does not hold it back. */
function announceSeed(): void {
  if (announced) return;
  announced = true;
  const source = PROPERTY_SEED === DEFAULT_PROPERTY_SEED ? 'default' : 'from FC_SEED';
  process.stderr.write(`property tests: seed ${PROPERTY_SEED} (${source}; FC_SEED=<n> runs another)\n`);
}

function parameters(options: PropertyRunOptions): fc.Parameters<unknown> {
  return {
    seed: PROPERTY_SEED,
    numRuns: options.numRuns,
    ...(options.timeLimitMs === undefined ? {} : { interruptAfterTimeLimit: options.timeLimitMs, markInterruptAsFailure: false }),
  };
}

function verdict(details: fc.RunDetails<unknown>, options: PropertyRunOptions): void {
  const replay = `seed ${PROPERTY_SEED}; replay with FC_SEED=${PROPERTY_SEED}`;
  if (details.failed) {
    throw new Error(`Property failed (${replay}):\n${fc.defaultReportMessage(details) ?? String(details.errorInstance)}`, { cause: details.errorInstance });
  }
  if (details.interrupted) {
    const minRuns = options.minRuns ?? Math.ceil(options.numRuns / 4);
    const ran = `stopped at its time limit of ${options.timeLimitMs} ms after ${details.numRuns} of ${options.numRuns} cases`;
    if (details.numRuns < minRuns) throw new Error(`Property ${ran}: fewer than the ${minRuns} required (${replay})`);
    process.stderr.write(`property ${ran} (at least ${minRuns} required)\n`);
  }
}

export function checkProperty<Ts extends [unknown, ...unknown[]]>(property: fc.IProperty<Ts>, options: PropertyRunOptions): void;
export function checkProperty<Ts extends [unknown, ...unknown[]]>(property: fc.IAsyncProperty<Ts>, options: PropertyRunOptions): Promise<void>;
export function checkProperty<Ts extends [unknown, ...unknown[]]>(
  property: fc.IProperty<Ts> | fc.IAsyncProperty<Ts>,
  options: PropertyRunOptions,
): void | Promise<void> {
  announceSeed();
  if (property.isAsync()) {
    return fc.check(property as fc.IAsyncProperty<Ts>, parameters(options) as fc.Parameters<Ts>).then((details) => verdict(details as fc.RunDetails<unknown>, options));
  }
  verdict(fc.check(property as fc.IProperty<Ts>, parameters(options) as fc.Parameters<Ts>) as fc.RunDetails<unknown>, options);
}
