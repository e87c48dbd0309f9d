/**
 * `npm run issuers -- add <issuer URL> [options]` (`portcullis issuers add`): resolves an issuer by its URL alone
 * (OIDC Discovery, else RFC 8414 metadata), checks the metadata names exactly that issuer, and writes the resolved
 * entry (issuer, jwksUri, provider preset) into a JWT_ISSUERS file, so the deployed function needs no discovery call.
 * The file is what `cdk synth -c jwtIssuers=<file>` and `JwtIssuer.fromSetting` read. `list` prints the file.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { parseIssuers } from '../lambda/config';
import { DependencyFaultError } from '../lambda/errors';
import { discoveryUrl, type DiscoveryDocument } from '../lambda/issuer-config';
import { PROVIDERS, type ProviderName } from '../lambda/issuer-presets';
import { createJwksFetcher } from '../lambda/jwks-fetcher';
import { runAsScript } from './run-as-script';
import { parseIssuerMetadata, type IssuerMetadata } from '../lambda/oidc-discovery';

/** How the user runs this command in the repository; installed, it is `portcullis issuers`. */
export const REPO_ISSUERS_COMMAND = 'npm run issuers --';

export function issuersUsage(command: string = REPO_ISSUERS_COMMAND): string {
  return `Usage:
  ${command} add <issuer URL> --audience <aud> [options]
  ${command} list [--file <path>]

add: reads the issuer's metadata (.well-known/openid-configuration, else .well-known/oauth-authorization-server),
checks it names exactly this issuer, and writes the issuer with its resolved jwksUri into the issuers file.

Options:
  --audience <aud>        an accepted aud value (repeat for several)
  --any-audience          skip the audience check (written as "audience": null)
  --client-id <id>        an accepted client id (repeat; Cognito requires it, or --any-client)
  --any-client            accept every client (Cognito: "clientIds": null)
  --provider <name>       claim layout preset: ${PROVIDERS.join(', ')} (default: guessed from the URL)
  --metadata <document>   openid-configuration or oauth-authorization-server (default: try both, in that order)
  --file <path>           the issuers file (default: portcullis.issuers.json)
  --ca-file <pem>         extra CA certificate to trust (a local issuer's)
  --timeout-ms <n>        metadata fetch timeout (default 5000)`;
}

export interface IssuersIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** The installed program (`portcullis`), for the help; absent in the repository. */
  readonly program?: string;
}

const processIo: IssuersIo = { stdout: (text) => process.stdout.write(text), stderr: (text) => process.stderr.write(text) };

class UsageError extends Error {}

interface AddOptions {
  issuer: string;
  audience: string[] | null | undefined;
  clientIds: string[] | null | undefined;
  provider?: ProviderName;
  metadata?: DiscoveryDocument;
  file: string;
  caFile?: string;
  timeoutMs: number;
}

/** The provider whose documented issuer form the URL has, if any. */
export function guessProvider(issuer: string): ProviderName | undefined {
  const url = new URL(issuer);
  if (/\.(okta|oktapreview|okta-emea)\.com$/.test(url.hostname)) return 'okta';
  if (url.hostname === 'sts.windows.net') return 'entra-v1';
  if (url.hostname.startsWith('login.microsoftonline.') && url.pathname.endsWith('/v2.0')) return 'entra-v2';
  if (url.hostname.endsWith('.auth0.com')) return 'auth0';
  if (/^(issuer-)?cognito-idp\./.test(url.hostname)) return 'cognito';
  if (/\/realms\/[^/]+\/?$/.test(url.pathname)) return 'keycloak';
  return undefined;
}

function parseAdd(args: string[]): AddOptions {
  const options: AddOptions = { issuer: '', audience: undefined, clientIds: undefined, file: 'portcullis.issuers.json', timeoutMs: 5000 };
  const value = (i: number, flag: string) => {
    const next = args[i + 1];
    if (next === undefined || next.startsWith('--')) throw new UsageError(`${flag} needs a value`);
    return next;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    switch (arg) {
      case '--audience':
        options.audience = [...(options.audience ?? []), value(i++, arg)];
        break;
      case '--any-audience':
        options.audience = null;
        break;
      case '--client-id':
        options.clientIds = [...(options.clientIds ?? []), value(i++, arg)];
        break;
      case '--any-client':
        options.clientIds = null;
        break;
      case '--provider': {
        const provider = value(i++, arg);
        if (!(PROVIDERS as readonly string[]).includes(provider)) throw new UsageError(`--provider must be one of ${PROVIDERS.join(', ')}`);
        options.provider = provider as ProviderName;
        break;
      }
      case '--metadata': {
        const document = value(i++, arg);
        if (document !== 'openid-configuration' && document !== 'oauth-authorization-server') {
          throw new UsageError('--metadata must be openid-configuration or oauth-authorization-server');
        }
        options.metadata = document;
        break;
      }
      case '--file':
        options.file = value(i++, arg);
        break;
      case '--ca-file':
        options.caFile = value(i++, arg);
        break;
      case '--timeout-ms':
        options.timeoutMs = Number(value(i++, arg));
        if (!Number.isInteger(options.timeoutMs) || options.timeoutMs < 100 || options.timeoutMs > 60_000) throw new UsageError('--timeout-ms must be 100..60000');
        break;
      default:
        if (arg.startsWith('--') || options.issuer !== '') throw new UsageError(`unexpected argument ${JSON.stringify(arg)}`);
        options.issuer = arg;
    }
  }
  if (options.issuer === '') throw new UsageError('add needs the issuer URL');
  let url: URL;
  try {
    url = new URL(options.issuer);
  } catch {
    throw new UsageError(`${JSON.stringify(options.issuer)} is not a URL`);
  }
  if (url.protocol !== 'https:') throw new UsageError('the issuer URL must use https');
  if (options.audience === undefined) throw new UsageError('give --audience <aud> (or --any-audience)');
  return options;
}

/** The metadata of `issuer` as typed, or spelled with/without its trailing slash as the provider writes it. */
async function resolve(options: AddOptions, io: IssuersIo): Promise<IssuerMetadata> {
  const fetchDocument = createJwksFetcher({
    timeoutMs: options.timeoutMs,
    maxBytes: 262_144,
    extraCa: options.caFile === undefined ? undefined : readFileSync(options.caFile, 'utf8'),
  });
  const documents: DiscoveryDocument[] = options.metadata ? [options.metadata] : ['openid-configuration', 'oauth-authorization-server'];
  const spellings = [options.issuer, options.issuer.endsWith('/') ? options.issuer.slice(0, -1) : `${options.issuer}/`];
  let lastError: unknown;
  for (const document of documents) {
    let body: Buffer;
    try {
      body = await fetchDocument(discoveryUrl(options.issuer, document));
    } catch (error) {
      lastError = error;
      continue;
    }
    let failure: unknown;
    for (const spelling of spellings) {
      try {
        const metadata = parseIssuerMetadata(body, spelling);
        if (spelling !== options.issuer) io.stderr(`note: the issuer spells itself ${JSON.stringify(spelling)}; written that way (tokens carry it exactly)\n`);
        return metadata;
      } catch (error) {
        failure ??= error;
      }
    }
    throw failure;
  }
  throw lastError;
}

function readIssuersFile(file: string): Record<string, unknown>[] {
  if (!existsSync(file)) return [];
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  if (!Array.isArray(parsed)) throw new UsageError(`${file} is not a JSON array of issuers`);
  return parsed as Record<string, unknown>[];
}

async function add(args: string[], io: IssuersIo): Promise<number> {
  const options = parseAdd(args);
  const metadata = await resolve(options, io);
  const provider = options.provider ?? guessProvider(metadata.issuer);
  const entry: Record<string, unknown> = { issuer: metadata.issuer, audience: options.audience, jwksUri: metadata.jwksUri };
  if (provider !== undefined) entry.provider = provider;
  if (options.clientIds !== undefined) entry.clientIds = options.clientIds;
  const existing = readIssuersFile(options.file);
  const others = existing.filter((issuer) => issuer.issuer !== metadata.issuer);
  const next = [...others, entry];
  // The function's own parser: what is written loads at cold start and at synth.
  parseIssuers(next, options.file);
  const temporary = `${options.file}.tmp-${process.pid}`;
  writeFileSync(temporary, `${JSON.stringify(next, null, 2)}\n`);
  renameSync(temporary, options.file);
  io.stderr(`${others.length === existing.length ? 'added' : 'updated'} ${metadata.issuer} in ${options.file} (keys at ${metadata.jwksUri}${provider ? `, provider ${provider}` : ''})\n`);
  if (metadata.introspectionEndpoint !== undefined) {
    io.stderr(`note: the issuer offers introspection at ${metadata.introspectionEndpoint}; add an "introspection" object to accept its opaque tokens\n`);
  }
  io.stdout(`${JSON.stringify(entry)}\n`);
  return 0;
}

export async function main(argv: readonly string[], io: IssuersIo = processIo): Promise<number> {
  const [command, ...args] = argv;
  const usage = issuersUsage(io.program === undefined ? REPO_ISSUERS_COMMAND : `${io.program} issuers`);
  try {
    if (command === undefined || command === '--help' || command === 'help') {
      io.stderr(`${usage}\n`);
      return command === undefined ? 1 : 0;
    }
    if (command === 'add') return await add([...args], io);
    if (command === 'list') {
      const fileFlag = args.indexOf('--file');
      const file = fileFlag >= 0 ? args[fileFlag + 1] ?? '' : 'portcullis.issuers.json';
      for (const issuer of readIssuersFile(file)) io.stdout(`${JSON.stringify(issuer)}\n`);
      return 0;
    }
    throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  } catch (error) {
    if (error instanceof UsageError) io.stderr(`error: ${error.message}\n\n${usage}\n`);
    else if (error instanceof DependencyFaultError) io.stderr(`error: discovery failed: ${error.message}\n`);
    else io.stderr(`error: ${(error as Error).message}\n`);
    return 1;
  }
}

runAsScript(module, __filename, 'issuers', () => main(process.argv.slice(2)));
