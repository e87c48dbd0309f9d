#!/usr/bin/env node
/**
 * `portcullis manifest` (in the repository `npm run manifest -- ...`): route manifests from OpenAPI files or from an
 * API Gateway export. Everything is in cli/manifest/main.ts; this file connects it to the process.
 */
import type { CommandIo } from './portcullis';
import { runAsScript } from './run-as-script';
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

runAsScript(module, __filename, 'manifest', () => main(process.argv.slice(2)));
