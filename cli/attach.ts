#!/usr/bin/env node
/**
 * `portcullis attach` (in the repository `npm run attach -- ...`): puts the Portcullis authorizer on an existing REST
 * API's methods from a route manifest, checks it, and takes it off again. Everything is in cli/attach/; this file
 * connects it to the process.
 */
import { runAttachCli } from './attach/main';

export async function main(argv: string[]): Promise<number> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return runAttachCli(argv, {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  });
}

/** `portcullis detach ...`, the same as `portcullis attach detach ...`. */
export async function detachMain(argv: string[]): Promise<number> {
  return main(['detach', ...argv]);
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
