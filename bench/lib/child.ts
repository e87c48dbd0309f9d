/**
 * Runs a bench script in a child Node process whose stdout goes to /dev/null (so the production INFO logger and
 * the EMF metrics lines cost what they cost, without flooding the terminal) and whose result comes back over IPC.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

export const REPO_ROOT = join(__dirname, '..', '..');

export function runSection<T>(script: string, args: string[], nodeFlags: string[] = []): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeFlags, '--expose-gc', '--import', 'tsx', join(REPO_ROOT, 'bench', script), ...args], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });
    let result: T | undefined;
    child.on('message', (message) => {
      result = message as T;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (result !== undefined && code === 0) resolve(result);
      else reject(new Error(`bench/${script} exited with ${signal ?? code}${result === undefined ? ' without a result' : ''}`));
    });
  });
}

/** For section scripts: hands the result to the parent (or prints it when run directly), then exits. */
export function finishSection(result: unknown): void {
  if (process.send) {
    process.send(result, () => process.exit(0));
  } else {
    process.stderr.write(`${JSON.stringify(result, null, 2)}\n`);
    process.exit(0);
  }
}

export function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}
