/**
 * `npm run token`: mints one access token signed by the local issuer's current key (from `.local/`), with the same
 * claims as `/oauth2/token` gives, and options to make any token a test needs.
 *
 *   --client-id C     client_id (and default sub): one of the dev clients; default: the first dev client
 *   --scope "a b"     space-delimited scopes; default: all of the client's scopes ("" = none)
 *   --sub S           subject; default: the client id
 *   --aud A           audience; default: the sample API's
 *   --iss I           issuer; default: the running (last started) local issuer
 *   --ttl SECONDS     lifetime; negative for an expired token (write --ttl=-300)
 *   --claim k=v       extra or replacing claim, repeatable; a value that parses as JSON is used as JSON
 */
import { parseArgs } from 'node:util';
import { SAMPLE_AUDIENCE } from '../infra/sample-api';
import { DEFAULT_TOKEN_TTL_SECONDS, mintAccessToken } from './access-token';
import type { DevClient } from './dev-clients';
import { DEFAULT_ISSUER_PORT, LOCAL_HOST } from './constants';
import { loadOrCreateSigningKey, readIssuerInfo, type LocalPaths } from './state';

export const TOKEN_USAGE = `Usage: npm run token -- [--client-id C] [--scope "a b"] [--sub S] [--aud A] [--iss I] [--ttl SECONDS] [--claim k=v]...

Prints one access token signed by the local issuer's current key. --ttl=-300 makes an expired token;
a --claim value that parses as JSON is used as JSON (--claim nbf=1767225600 is a number).`;

/** Bad input: the command exits 2 (as the keys CLI does); other failures exit 1. */
export class TokenUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenUsageError';
  }
}

export interface TokenRequest {
  readonly clientId: string;
  readonly scopes: readonly string[];
  readonly subject?: string;
  readonly audience: string;
  readonly issuer?: string;
  readonly ttlSeconds: number;
  readonly claims: Readonly<Record<string, unknown>>;
  readonly help: boolean;
}

function claimValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** `--ttl -300`: node's parseArgs reads a dash-led value as a missing one; a negative number is --ttl's value. */
function attachNegativeTtl(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--ttl' && /^-\d+$/.test(args[i + 1] ?? '')) {
      out.push(`--ttl=${args[++i]}`);
    } else {
      out.push(args[i]!);
    }
  }
  return out;
}

/** Node's parseArgs messages, restated: which flag, and what is wrong with it. */
function usageMessage(error: unknown): string {
  const message = (error as Error).message;
  const option = /'(-[^' ]*)/.exec(message)?.[1];
  if (/does not take an argument/.test(message)) return `${option} takes no value`;
  if (/argument missing|argument is ambiguous/.test(message)) return `${option} needs a value`;
  if (/Unknown option/.test(message)) return `unknown option ${option}`;
  return message;
}

export function parseTokenArgs(args: readonly string[], clients: readonly DevClient[]): TokenRequest {
  let parsed;
  try {
    parsed = parseArgs({
      args: attachNegativeTtl(args),
      options: {
        'client-id': { type: 'string' },
        scope: { type: 'string' },
        sub: { type: 'string' },
        aud: { type: 'string' },
        iss: { type: 'string' },
        ttl: { type: 'string' },
        claim: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: false,
    });
  } catch (error) {
    throw new TokenUsageError(usageMessage(error));
  }
  const values = parsed.values;
  const clientId = values['client-id'] ?? clients[0]?.clientId;
  if (!clientId) throw new TokenUsageError('--client-id is required (no dev clients are configured)');
  const client = clients.find((candidate) => candidate.clientId === clientId);
  // A token for a client the issuer does not have could never be obtained from it: a typo, not a test case.
  if (client === undefined) {
    throw new TokenUsageError(`--client-id: unknown client ${JSON.stringify(clientId)}; the dev clients are: ${clients.map((c) => c.clientId).join(', ')}`);
  }
  const scopes = values.scope !== undefined ? values.scope.split(' ').filter((scope) => scope !== '') : [...client.scopes];

  let ttlSeconds = DEFAULT_TOKEN_TTL_SECONDS;
  if (values.ttl !== undefined) {
    if (!/^-?\d+$/.test(values.ttl.trim())) throw new TokenUsageError(`--ttl must be a whole number of seconds, got ${JSON.stringify(values.ttl)}`);
    ttlSeconds = Number(values.ttl);
  }

  const claims: Record<string, unknown> = {};
  for (const claim of values.claim ?? []) {
    const equals = claim.indexOf('=');
    if (equals <= 0) throw new TokenUsageError(`--claim must be name=value, got ${JSON.stringify(claim)}`);
    claims[claim.slice(0, equals)] = claimValue(claim.slice(equals + 1));
  }

  return {
    clientId,
    scopes,
    ...(values.sub !== undefined ? { subject: values.sub } : {}),
    audience: values.aud ?? SAMPLE_AUDIENCE,
    ...(values.iss !== undefined ? { issuer: values.iss } : {}),
    ttlSeconds,
    claims,
    help: values.help === true,
  };
}

/** The issuer tokens name by default: ISSUER_PORT when set, else the last started issuer, else the default port. */
export function defaultIssuer(paths: LocalPaths, env: Readonly<Record<string, string | undefined>>): string {
  const port = env.ISSUER_PORT?.trim();
  if (port) return `https://${LOCAL_HOST}:${port}`;
  return readIssuerInfo(paths)?.issuer ?? `https://${LOCAL_HOST}:${DEFAULT_ISSUER_PORT}`;
}

/** Signs the token with the issuer's current key, creating the key when the issuer has never started. */
export function mintLocalToken(request: TokenRequest, paths: LocalPaths, env: Readonly<Record<string, string | undefined>>) {
  const { key, created } = loadOrCreateSigningKey(paths);
  const token = mintAccessToken(key, {
    issuer: request.issuer ?? defaultIssuer(paths, env),
    audience: request.audience,
    clientId: request.clientId,
    scopes: request.scopes,
    ...(request.subject !== undefined ? { subject: request.subject } : {}),
    ttlSeconds: request.ttlSeconds,
    extraClaims: request.claims,
  });
  return { token, keyCreated: created };
}
