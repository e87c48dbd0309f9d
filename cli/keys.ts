#!/usr/bin/env node
/**
 * Entry point of the key CLI: `npm run keys -- <command> ...`. Everything is in cli/keys/ (main.ts parses and
 * prints, key-manager.ts does the work); this file only connects it to the process.
 */
import { runKeysCli } from './keys/main';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

runKeysCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
