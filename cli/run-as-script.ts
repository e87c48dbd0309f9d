/**
 * Runs a command's `main` when its file is the script Node was started with (`tsx cli/keys.ts`), and only then:
 * bundled into the `portcullis` bin, `require.main === module` holds for every module, so the file name decides too.
 * The exit code becomes the process's; an unexpected rejection is one `error:` line and exit code 1.
 */
import { basename, extname } from 'node:path';

export function runAsScript(module: NodeModule, filename: string, name: string, run: () => Promise<number>): void {
  if (require.main !== module || basename(filename, extname(filename)) !== name) return;
  run().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
