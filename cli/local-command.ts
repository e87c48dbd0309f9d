/**
 * `portcullis local ...`: the local mode from the installed package. Its store (dynalite, with native LevelDB bindings
 * that cannot be bundled) and its certificates (selfsigned) are optional peer dependencies, so a consumer who only
 * deploys the construct installs neither. Without them this command exits 2 saying what to install; `--help` and
 * argument errors need neither. The data folder is `./.local` in the working directory (in the repository, `npm start`
 * keeps it at the repository root).
 */
import { resolve } from 'node:path';
import { parseStartArgs, startUsage, StartUsageError, type StartOptions } from '../local/start-options';
import type { CommandIo } from './portcullis';

/** The versions this repository develops and tests the local mode with (package.json peerDependencies). */
export const LOCAL_MODE_PEERS: Readonly<Record<string, string>> = { dynalite: '4.0.0', selfsigned: '5.5.0' };

export const INSTALL_LOCAL_MODE_PEERS = `npm install --save-dev ${Object.entries(LOCAL_MODE_PEERS)
  .map(([name, version]) => `${name}@${version}`)
  .join(' ')}`;

/** The peers that do not resolve from this module (in the bin: from the installed package, i.e. the consumer's app). */
export function missingLocalModePeers(resolvePackage: (name: string) => string = require.resolve): string[] {
  return Object.keys(LOCAL_MODE_PEERS).filter((name) => {
    try {
      resolvePackage(name);
      return false;
    } catch {
      return true;
    }
  });
}

const processIo: CommandIo = { stdout: (text) => process.stdout.write(text), stderr: (text) => process.stderr.write(text) };

export async function main(argv: string[], io: CommandIo = processIo): Promise<number> {
  const command = `${io.program ?? 'portcullis'} local`;
  let options: StartOptions;
  try {
    options = parseStartArgs(argv);
  } catch (error) {
    if (!(error instanceof StartUsageError)) throw error;
    // Exit 1 for a usage error, as `npm start` does.
    io.stderr(`${error.message}\n\n${startUsage(command)}\n`);
    return 1;
  }
  if (options.help) {
    io.stdout(`${startUsage(command)}\n`);
    return 0;
  }
  const missing = missingLocalModePeers();
  if (missing.length > 0) {
    const peers = Object.keys(LOCAL_MODE_PEERS).join(' and ');
    io.stderr(
      `error: ${command} needs ${peers} (optional peer dependencies of portcullis-authorizer); missing: ${missing.join(', ')}.\n` +
        `Install them in this project:\n  ${INSTALL_LOCAL_MODE_PEERS}\n`,
    );
    return 2;
  }
  const { serve } = await import('../local/start.js');
  return serve(options, { dataDir: resolve('.local') });
}
