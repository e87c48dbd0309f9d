/**
 * Runs before every test file (vitest `setupFiles`). Two hygiene rules hold for every test without each file
 * repeating them:
 *
 * - Nothing is left in the system temp dir. The file gets a private TMPDIR, removed with everything in it when the
 *   file ends: the CDK App's default `cdk.out*` output, bundling folders, and whatever a child process writes there.
 *   Directories made with {@link makeTempDir} are removed too.
 * - Quiet output. Lines written straight to stdout (the decision log's default writer, metric lines) and
 *   console.log/info/debug are held back, and printed only when a test fails, after its name. Tests that assert the
 *   log capture it with the log's `write` option and are unaffected.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach } from 'vitest';
import { removeTempDirs } from './temp-dir';

const sandbox = mkdtempSync(join(tmpdir(), 'portcullis-test-'));
process.env.TMPDIR = sandbox;

/** Output of the file's hooks (beforeAll...) is kept, up to this many lines, and shown with a failing test's own. */
const MAX_FILE_LEVEL_LINES = 200;
let fileLevel: string[] = [];
let current: string[] | undefined;

function hold(text: string): void {
  if (current !== undefined) current.push(text);
  else if (fileLevel.length < MAX_FILE_LEVEL_LINES) fileLevel.push(text);
}

const realStdoutWrite = process.stdout.write.bind(process.stdout);
process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
  hold(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
  const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
  callback?.();
  return true;
}) as typeof process.stdout.write;

const format = (args: unknown[]) => `${args.map((arg) => (typeof arg === 'string' ? arg : JSON.stringify(arg))).join(' ')}\n`;
console.log = (...args: unknown[]) => hold(format(args));
console.info = (...args: unknown[]) => hold(format(args));
console.debug = (...args: unknown[]) => hold(format(args));

beforeEach((context) => {
  const lines: string[] = [];
  current = lines;
  context.onTestFailed(() => {
    const held = [...fileLevel, ...lines].join('');
    if (held.length > 0) realStdoutWrite(`\n--- output of "${context.task.name}" (held back while it ran) ---\n${held}--- end ---\n`);
  });
});

afterAll(() => {
  current = undefined;
  fileLevel = [];
  removeTempDirs();
  rmSync(sandbox, { recursive: true, force: true });
});
