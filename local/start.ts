/**
 * `npm start [-- --memory] [--manifest FILE [--issuers FILE] [--backend URL]]`, from the package `portcullis local`
 * (cli/local-command.ts): the local mode (arguments: start-options.ts). Prints `Gateway ready at
 * http://127.0.0.1:<port>` once the gateway accepts requests, one access-log line per request, and the authorizer's
 * decision log. Startup problems (a port in use, a bad setting) are one line on stderr and exit code 1.
 *
 * Ctrl-C (SIGINT), SIGTERM or SIGHUP stops everything. The npm script execs tsx, so npm relays SIGINT and SIGTERM to
 * tsx (and tsx to this process) rather than to a shell that would keep them; and the end of the process that
 * launched it (npm killed outright) stops it too (launcher-watch.ts).
 */
import { basename, extname, relative } from 'node:path';
import { ConfigurationError } from '../lambda/errors';
import type { AccessLogEntry } from './gateway-server';
import { watchLauncher } from './launcher-watch';
import { PortInUseError, PortNotPermittedError } from './listen';
import { startLocalMode, type LocalMode } from './mode';
import { oauthStartLines } from './oauth-start-lines';
import { LineWriter } from './log-writer';
import { describeCacheKey } from '../infra/cache-key';
import { defaultDataDir } from './state';
import { DataDirectoryInUseError } from './store';
import { parseStartArgs, startUsage, StartUsageError, type StartOptions } from './start-options';

// The decision metrics are EMF lines meant for CloudWatch; locally the decision log says the same.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

// The access log and the authorizer's decision log share one writer: lines in order, one stdout write per event-loop
// turn (see log-writer.ts), flushed before anything else is printed and on exit.
const log = new LineWriter();
process.on('exit', () => log.flush());
// A terminal or pipe that closed under us must not kill the process before it has stopped its servers.
process.stdout.on('error', () => undefined);
process.stderr.on('error', () => undefined);

function accessLog(entry: AccessLogEntry): void {
  let details = '';
  if (entry.responseType) details += `; ${entry.responseType}`;
  if (entry.authorizerCache) details += `; authorizer cache ${entry.authorizerCache}`;
  if (entry.error) details += `; ${entry.error}`;
  log.line(`${entry.method} ${entry.path} -> ${entry.status} (${entry.latencyMs} ms${details})`);
}

/** `npm start ...`: the arguments, then {@link serve}. Usage errors exit 1 with the usage. */
export async function main(argv: string[]): Promise<number> {
  let args: StartOptions;
  try {
    args = parseStartArgs(argv);
  } catch (error) {
    if (error instanceof StartUsageError) fail(`${error.message}\n\n${startUsage()}`);
    throw error;
  }
  if (args.help) {
    process.stdout.write(`${startUsage()}\n`);
    return 0;
  }
  return serve(args);
}

export interface ServeDefaults {
  /** The data folder unless PORTCULLIS_LOCAL_DIR names one. Default: the repository's `.local/`. */
  readonly dataDir?: string;
}

/** Starts the local mode; resolves 0 once it serves, and keeps running until a signal. Startup problems exit 1. */
export async function serve(args: StartOptions, defaults: ServeDefaults = {}): Promise<number> {
  let local: LocalMode;
  try {
    local = await startLocalMode({
      memory: args.memory,
      env: process.env,
      ...(defaults.dataDir !== undefined ? { dataDir: defaultDataDir(process.env, defaults.dataDir) } : {}),
      onRequest: accessLog,
      writeLog: log.line,
      ...(args.api ? { api: args.api } : {}),
      ...(args.issuers ? { issuers: args.issuers } : {}),
      ...(args.backend ? { backend: args.backend } : {}),
    });
  } catch (error) {
    if (
      error instanceof PortInUseError ||
      error instanceof PortNotPermittedError ||
      error instanceof DataDirectoryInUseError ||
      error instanceof ConfigurationError
    ) {
      fail(error.message);
    }
    fail(`The local mode could not start: ${(error as Error).message}`);
  }

  const shown = (path: string) => {
    const rel = relative(process.cwd(), path);
    return rel && !rel.startsWith('..') ? rel : path;
  };
  log.flush();
  const clients = local.devClients.map((client) => `${client.clientId} (${client.scopes.join(' ') || 'no scopes'})`).join(', ');
  process.stdout.write(
    [
      `Key store at ${local.dynamoDbEndpoint} (${local.memory ? 'in memory: nothing is kept' : `data kept in ${shown(local.paths.dynamoDbDir)}`})`,
      `Issuer at ${local.issuerUrl} (token endpoint ${local.issuerUrl}/oauth2/token; CA certificate ${shown(local.paths.tlsCert)})`,
      ...oauthStartLines(local, shown),
      `Dev clients: ${clients}`,
      `Authorizer cache TTL ${local.authorizerCacheTtlSeconds} s, key cache TTL ${local.config.keyCacheTtlSeconds} s`,
      ...(args.description ? [args.description] : []),
      describeCacheKey(local.cacheKey),
      `Gateway ready at ${local.gatewayUrl}`,
      '',
    ].join('\n'),
  );

  // Ctrl-C reaches npm, tsx and this process at once, and npm and tsx relay it: signals within a second of the first
  // are that same Ctrl-C. A later one is the user insisting.
  let stoppingSince: number | undefined;
  const LAUNCHER_EXITED = 'launcher exited';
  const shutdown = (signal: string) => {
    if (stoppingSince !== undefined) {
      // The launcher's end is no user insisting: the stop under way finishes.
      if (signal === LAUNCHER_EXITED || Date.now() - stoppingSince < 1000) return;
      process.stderr.write(`${signal} again: exiting now\n`);
      process.exit(130);
    }
    stoppingSince = Date.now();
    log.flush();
    process.stdout.write(`${signal}: stopping\n`);
    local.stop().then(
      () => {
        log.flush();
        process.stdout.write('Stopped\n');
        process.exit(0);
      },
      (error: Error) => fail(`Stopping failed: ${error.message}`),
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGHUP', () => shutdown('SIGHUP'));
  // npm (or its shell) ended without passing the signal on: stop as if it had.
  watchLauncher(() => shutdown(LAUNCHER_EXITED));
  return 0;
}

// Only as the script itself: bundled into the portcullis bin, `require.main === module` holds for every module.
if (require.main === module && basename(__filename, extname(__filename)) === 'start') {
  main(process.argv.slice(2)).catch((error: Error) => fail(`The local mode failed: ${error.message}`));
}
