#!/usr/bin/env node
/**
 * The `portcullis` command: a dispatcher to subcommands (`portcullis keys create ...`). Adding a subcommand is one
 * line in SUBCOMMANDS: a module whose `main(argv, io)` resolves to the exit code, loaded only when it runs. The io
 * carries `program` (`portcullis`), so each command's help names the installed command (`portcullis attach ...`);
 * run from the repository without it, the same mains name the npm scripts (`npm run attach -- ...`).
 */
import { runAsScript } from './run-as-script';

export interface CommandIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** The installed program the command runs under (`portcullis`); absent when run from the repository's npm scripts. */
  readonly program?: string;
}

type CommandMain = (argv: string[], io: CommandIo) => Promise<number>;

interface Subcommand {
  readonly summary: string;
  /** For a command whose help is fixed text: its in-repo invocation (`npm run keys --`), rewritten to `portcullis <name>`. */
  readonly repoCommand?: string;
  readonly load: () => Promise<CommandMain>;
}

export const SUBCOMMANDS: Readonly<Record<string, Subcommand>> = {
  keys: { summary: 'manage API keys and JWT client bindings', repoCommand: 'npm run keys --', load: async () => (await import('./keys.js')).main },
  attach: { summary: 'put the authorizer on an existing REST API (plan, apply, check)', load: async () => (await import('./attach.js')).main },
  detach: { summary: 'restore what attach apply changed and redeploy the stage', load: async () => (await import('./attach.js')).detachMain },
  manifest: { summary: 'route manifests from OpenAPI/Swagger or an API Gateway export', load: async () => (await import('./manifest.js')).main },
  issuers: { summary: 'resolve a JWT issuer by its URL into an issuers file', load: async () => (await import('./issuers.js')).main },
  local: { summary: 'the local mode: gateway, key store and OAuth issuer on loopback', load: async () => (await import('./local-command.js')).main },
};

const PROGRAM = 'portcullis';

function usage(): string {
  const width = Math.max(...Object.keys(SUBCOMMANDS).map((name) => name.length));
  const lines = Object.entries(SUBCOMMANDS).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`);
  return `Usage: ${PROGRAM} <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun "${PROGRAM} <command> --help" for a command's options.\n`;
}

/** The io a subcommand gets: the program's name, and for fixed help text its in-repo invocation renamed. */
function commandIo(io: CommandIo, name: string, repoCommand: string | undefined): CommandIo {
  if (repoCommand === undefined) return { stdout: io.stdout, stderr: io.stderr, program: PROGRAM };
  const rename = (text: string) => text.split(repoCommand).join(`${PROGRAM} ${name}`);
  return { stdout: (text) => io.stdout(rename(text)), stderr: (text) => io.stderr(rename(text)), program: PROGRAM };
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
  return run(rest, commandIo(io, name, command.repoCommand));
}

runAsScript(module, __filename, 'portcullis', () => main(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  }));
