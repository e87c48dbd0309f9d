/**
 * `npm start` (`portcullis local`) arguments: `--memory`, and the user's API: `--manifest FILE` (a route manifest, or
 * an OpenAPI/Swagger file), `--issuers FILE` (a JWT_ISSUERS array trusted besides the local issuer), `--backend URL`
 * (where authorized requests go, as an HTTP proxy integration sends them; without it the gateway echoes the request
 * and context). A bad argument throws {@link StartUsageError} naming it. Nothing here needs the local mode's optional
 * peers (dynalite, selfsigned), so `portcullis local --help` works without them.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { readRouteManifestFile } from '../infra/openapi-manifest';
import type { LocalApi } from './mode';
import { createHttpProxyBackend, parseBackendUrl } from './proxy-backend';
import type { ProxyHandler } from './sample-backend';

/** How the user runs the local mode in the repository; from the package it is `portcullis local`. */
export const REPO_START_COMMAND = 'npm start --';

export function startUsage(command: string = REPO_START_COMMAND): string {
  return `Usage: ${command} [--memory] [--manifest FILE [--issuers FILE] [--backend URL]]

  --memory          keep the key store in memory (nothing is written under .local/dynamodb)
  --manifest FILE   serve your routes instead of the sample's: a route manifest ({"routes": [...]},
                    optional "publicRoutes") or an OpenAPI/Swagger file (JSON or YAML)
  --issuers FILE    JWT issuers to trust besides the local one: a JWT_ISSUERS array (JSON)
  --backend URL     forward authorized requests to your backend (e.g. http://127.0.0.1:8080) as an API Gateway
                    HTTP proxy integration would, with the authorizer context in X-Portcullis-* headers;
                    without it, every route answers with the request and context it received

Environment: PORT (3000), ISSUER_PORT (3001), DYNAMODB_PORT (8000), AUTHORIZER_CACHE_TTL (60, 0 = off),
AUTHORIZER_CACHE_KEY (auto, identity or route), KEY_CACHE_TTL (30), MTLS_PORT (unset: no mutual TLS listener) and the
authorizer settings: docs/local-mode.md, "Local settings".

Runs until stopped: Ctrl-C, SIGTERM or SIGHUP to any process of it (npm's own included) stops everything.`;
}

export class StartUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartUsageError';
  }
}

export interface StartOptions {
  readonly memory: boolean;
  readonly help: boolean;
  readonly api?: LocalApi;
  readonly issuers?: readonly Readonly<Record<string, unknown>>[];
  readonly backend?: ProxyHandler;
  /** For the start banner: what is served and where requests go. */
  readonly description?: string;
}

function readIssuers(file: string): Record<string, unknown>[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new StartUsageError(`--issuers ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (!Array.isArray(parsed) || parsed.some((entry) => typeof entry !== 'object' || entry === null || Array.isArray(entry))) {
    throw new StartUsageError(`--issuers ${file}: must be a JSON array of issuer objects (the JWT_ISSUERS setting)`);
  }
  return parsed as Record<string, unknown>[];
}

export function parseStartArgs(argv: readonly string[]): StartOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        memory: { type: 'boolean' },
        manifest: { type: 'string' },
        issuers: { type: 'string' },
        backend: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: false,
    }));
  } catch (error) {
    throw new StartUsageError((error as Error).message);
  }
  if (values.manifest === undefined && (values.issuers !== undefined || values.backend !== undefined)) {
    throw new StartUsageError('--issuers and --backend go with --manifest (your routes)');
  }
  let api: LocalApi | undefined;
  if (values.manifest !== undefined) {
    try {
      const manifest = readRouteManifestFile(values.manifest);
      api = { manifest: { routes: manifest.routes }, publicRoutes: manifest.publicRoutes };
    } catch (error) {
      throw new StartUsageError(`--manifest: ${(error as Error).message}`);
    }
  }
  let backend: ProxyHandler | undefined;
  let backendUrl: URL | undefined;
  if (values.backend !== undefined) {
    try {
      backendUrl = parseBackendUrl(values.backend);
    } catch (error) {
      throw new StartUsageError((error as Error).message);
    }
    backend = createHttpProxyBackend(backendUrl);
  }
  return {
    memory: values.memory === true,
    help: values.help === true,
    ...(api ? { api } : {}),
    ...(values.issuers !== undefined ? { issuers: readIssuers(values.issuers) } : {}),
    ...(backend ? { backend } : {}),
    ...(api
      ? {
          description: `Routes from ${values.manifest}: ${api.manifest.routes.length} behind the authorizer, ${api.publicRoutes.length} public; ${
            backendUrl ? `proxied to ${backendUrl.origin}${backendUrl.pathname.replace(/\/$/, '')}` : 'echoed (no --backend)'
          }`,
        }
      : {}),
  };
}
