/**
 * The command line of a subcommand-style CLI (attach, manifest): node's parseArgs, strict, with positionals. A bad
 * flag prints its message and the usage on stderr (exit 2, bad input), `--help` prints the usage on stdout (exit 0).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

export interface CommandLineIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

/** The parsed flags and positionals, or the exit code when the command ends here (bad flag, or --help). */
export function parseCommandLine<T extends Options>(argv: readonly string[], options: T, usage: string, io: CommandLineIo) {
  let args;
  try {
    args = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error) {
    io.stderr(`${(error as Error).message}\n\n${usage}\n`);
    return 2;
  }
  if ((args.values as { help?: unknown }).help === true) {
    io.stdout(`${usage}\n`);
    return 0;
  }
  return args;
}
