#!/usr/bin/env node
/**
 * Entry point of the key CLI: `npm run keys -- <command> ...`, and `portcullis keys <command> ...` through the
 * dispatcher (cli/portcullis.ts). Everything is in cli/keys/ (main.ts parses and prints, key-manager.ts does the work);
 * this file only connects it to the process.
 */
import { runAsScript } from './run-as-script';
import { runKeysCli } from './keys/main';

export interface ProcessIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

const processIo: ProcessIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** Runs the key CLI with these arguments; resolves to the exit code. */
export async function main(argv: readonly string[], io: ProcessIo = processIo): Promise<number> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  try {
    return await runKeysCli([...argv], { ...io, env: process.env });
  } catch (error) {
    io.stderr(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

runAsScript(module, __filename, 'keys', () => main(process.argv.slice(2)));
