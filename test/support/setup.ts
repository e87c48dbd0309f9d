/**
 * Runs before every test file (vitest `setupFiles`). Two hygiene rules hold for every test without each file
 * repeating them:
 *
 * - Nothing is left in the system temp dir. Each worker process gets a private TMPDIR: the CDK App's default
 *   `cdk.out*` output, bundling folders and whatever a child process writes there land in it. It is removed, with
 *   everything in it, when each test file ends (and made again at the same path for the process's next file).
 *   Directories made with {@link makeTempDir} are removed at the end of their file too.
 * - Quiet output. Lines written straight to stdout (the decision log's default writer, metric lines) and
 *   console.log/info/debug are held back, and printed only when a test fails, after its name. Tests that assert the
 *   log capture it with the log's `write` option and are unaffected.
 *
 * Files that share a worker without isolation (the synth tests, see vitest.config.mts) run this file once each; the
 * state below is kept on globalThis so that the patches are made once per process.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach } from 'vitest';
import { removeTempDirs } from './temp-dir';

interface SetupState {
  readonly sandbox: string;
  readonly writeOut: (text: string) => void;
  /** Output of the file's hooks (beforeAll...), kept up to a limit and shown with a failing test's own. */
  fileLevel: string[];
  current: string[] | undefined;
}

/** Hook output kept per file; more is dropped (a failing test's own output is always kept whole). */
const MAX_FILE_LEVEL_LINES = 200;

function install(): SetupState {
  const sandbox = mkdtempSync(join(tmpdir(), 'portcullis-test-'));
  process.env.TMPDIR = sandbox;

  const realStdoutWrite = process.stdout.write.bind(process.stdout);
  const state: SetupState = { sandbox, writeOut: (text) => void realStdoutWrite(text), fileLevel: [], current: undefined };
  const hold = (text: string) => {
    if (state.current !== undefined) state.current.push(text);
    else if (state.fileLevel.length < MAX_FILE_LEVEL_LINES) state.fileLevel.push(text);
  };
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
  return state;
}

const global = globalThis as { portcullisTestSetup?: SetupState };
const state = (global.portcullisTestSetup ??= install());
// Made again (same path) for a later file of this process: aws-cdk-lib remembers the temp dir it first saw.
mkdirSync(state.sandbox, { recursive: true });
state.fileLevel = [];
state.current = undefined;

beforeEach((context) => {
  const lines: string[] = [];
  state.current = lines;
  context.onTestFailed(() => {
    const held = [...state.fileLevel, ...lines].join('');
    if (held.length > 0) state.writeOut(`\n--- output of "${context.task.name}" (held back while it ran) ---\n${held}--- end ---\n`);
  });
});

afterAll(() => {
  state.current = undefined;
  state.fileLevel = [];
  removeTempDirs();
  rmSync(state.sandbox, { recursive: true, force: true });
});
