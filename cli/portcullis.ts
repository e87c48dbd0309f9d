#!/usr/bin/env node
/**
 * The `portcullis` command: a dispatcher to subcommands (`portcullis keys create ...`). Adding a subcommand is one
 * line in SUBCOMMANDS: a module whose `main(argv, io)` resolves to the exit code, loaded only when it runs.
 */

export interface CommandIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

type CommandMain = (argv: readonly string[], io: CommandIo) => Promise<number>;

interface Subcommand {
  readonly summary: string;
  /** How a user in this repository runs the same command (its help names it); rewritten to `portcullis <name>`. */
  readonly repoCommand?: string;
  readonly load: () => Promise<CommandMain>;
}

export const SUBCOMMANDS: Readonly<Record<string, Subcommand>> = {
  keys: { summary: 'manage API keys and JWT client bindings', repoCommand: 'npm run keys --', load: async () => (await import('./keys.js')).main },
  // attach, manifest, local, issuers: one line each, here.
};

const PROGRAM = 'portcullis';

function usage(): string {
  const width = Math.max(...Object.keys(SUBCOMMANDS).map((name) => name.length));
  const lines = Object.entries(SUBCOMMANDS).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`);
  return `Usage: ${PROGRAM} <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun "${PROGRAM} <command> --help" for a command's options.\n`;
}

/** Output of a subcommand with its in-repo invocation (`npm run keys --`) named as the installed one. */
function renamed(io: CommandIo, name: string, repoCommand: string | undefined): CommandIo {
  if (repoCommand === undefined) return io;
  const rename = (text: string) => text.split(repoCommand).join(`${PROGRAM} ${name}`);
  return { stdout: (text) => io.stdout(rename(text)), stderr: (text) => io.stderr(rename(text)) };
}

/** Runs `portcullis <command> ...`; resolves to the exit code (2 for an unknown command, as for a usage error). */
export async function main(argv: readonly string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout)(usage());
    return name === undefined ? 2 : 0;
  }
  const command = Object.prototype.hasOwnProperty.call(SUBCOMMANDS, name) ? SUBCOMMANDS[name] : undefined;
  if (command === undefined) {
    io.stderr(`error: unknown command ${JSON.stringify(name)}\n\n${usage()}`);
    return 2;
  }
  const run = await command.load();
  return run(rest, renamed(io, name, command.repoCommand));
}

if (require.main === module) {
  void main(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  }).then((code) => {
    process.exitCode = code;
  });
}

