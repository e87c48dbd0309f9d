#!/usr/bin/env node
/**
 * `portcullis attach` (in the repository `npm run attach -- ...`): puts the Portcullis authorizer on an existing REST
 * API's methods from a route manifest, checks it, and takes it off again. Everything is in cli/attach/; this file
 * connects it to the process.
 */
import type { CommandIo } from './portcullis';
import { runAsScript } from './run-as-script';
import { REPO_ATTACH_COMMANDS, runAttachCli, type AttachCommandNames } from './attach/main';

const processIo: CommandIo = { stdout: (text) => process.stdout.write(text), stderr: (text) => process.stderr.write(text) };

function commandNames(program: string | undefined): AttachCommandNames {
  return program === undefined ? REPO_ATTACH_COMMANDS : { attach: `${program} attach`, detach: `${program} detach` };
}

export async function main(argv: string[], io: CommandIo = processIo): Promise<number> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return runAttachCli(argv, { stdout: io.stdout, stderr: io.stderr, commands: commandNames(io.program) });
}

/** `portcullis detach ...`, the same as `portcullis attach detach ...`. */
export async function detachMain(argv: string[], io: CommandIo = processIo): Promise<number> {
  return main(['detach', ...argv], io);
}

runAsScript(module, __filename, 'attach', () => main(process.argv.slice(2)));
