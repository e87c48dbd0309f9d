#!/usr/bin/env node
/**
 * `portcullis manifest` (in the repository `npm run manifest -- ...`): route manifests from OpenAPI files or from an
 * API Gateway export. Everything is in cli/manifest/main.ts; this file connects it to the process.
 */
import { runManifestCli } from './manifest/main';

export async function main(argv: string[]): Promise<number> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return runManifestCli(argv, {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  });
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
