/**
 * Temporary directories a test file makes, removed when the file ends (the setup file calls
 * {@link removeTempDirs} in its afterAll): no test leaves a folder behind in the system temp dir.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];

// Outside vitest (the bench imports the test harness) no setup file runs: remove them when the process exits.
process.once('exit', () => removeTempDirs());

/** A new empty directory under the system temp dir, named `<prefix>XXXXXX`, removed at the end of the test file. */
export function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of made.splice(0).reverse()) rmSync(dir, { recursive: true, force: true });
}
