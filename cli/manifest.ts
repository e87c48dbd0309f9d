#!/usr/bin/env node
/**
 * `portcullis manifest` (in the repository `npm run manifest -- ...`): route manifests from OpenAPI files or from an
 * API Gateway export. Everything is in cli/manifest/main.ts; this file connects it to the process.
 */
import { basename, extname } from 'node:path';
import type { CommandIo } from './portcullis';
import { runManifestCli } from './manifest/main';

const processIo: CommandIo = { stdout: (text) => process.stdout.write(text), stderr: (text) => process.stderr.write(text) };

export async function main(argv: string[], io: CommandIo = processIo): Promise<number> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return runManifestCli(argv, {
    stdout: io.stdout,
    stderr: io.stderr,
    ...(io.program !== undefined ? { command: `${io.program} manifest` } : {}),
  });
}

// Only as the script itself: bundled into the portcullis bin, `require.main === module` holds for every module.
if (require.main === module && basename(__filename, extname(__filename)) === 'manifest') {
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
