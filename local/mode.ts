/**
 * Starts the whole local mode in this process: the store, the OAuth issuer, and the gateway running the real
 * authorizer handler (`createAuthorizerHandler`) configured through `loadConfig` from the environment variables the
 * CDK stack sets, with the sample API's route manifest, tiers and settings. Stops everything it started.
 */
import { loadConfig, type AuthorizerConfig } from '../lambda/config';
import { DecisionLog, type LogLevel } from '../lambda/decision-log';
import type { AuthorizerDependencies } from '../lambda/authorize';
import { createAuthorizerHandler } from '../lambda/create-handler';
import { DynamoDbKeyStore } from '../lambda/dynamodb-key-store';
import type { Env } from '../lambda/env';
import {
  LOCAL_KEY_PREFIX,
  SAMPLE_AUDIENCE,
  SAMPLE_DEFAULT_PLAN,
  SAMPLE_PUBLIC_ROUTES,
  SAMPLE_ROUTE_MANIFEST,
  SAMPLE_SCOPES,
} from '../infra/sample-api';
import { USAGE_TIERS, type UsageTier } from '../infra/usage-tiers';
import { isCacheKeySetting, resolveCacheKey, type ResolvedCacheKey } from '../infra/cache-key';
import { ConfigurationError } from '../lambda/errors';
import { AuthorizerResultCache } from './authorizer-cache';
import { loadDevClients, loadDevUsers, type DevClient, type DevUser } from './dev-clients';
import { LocalGateway, type AccessLogEntry, type AuthorizerFunction } from './gateway-server';
import { servedGatewayResponses } from '../infra/gateway-responses';
import type { GatewayResponseDefinitions } from './gateway-responses';
import { closeServer, listen } from './listen';
import { LOCAL_CREDENTIALS, LOCAL_HOST, LOCAL_KEY_TABLE, LOCAL_REGION, LOCAL_STAGE } from './constants';
import { authorizerCacheTtlFromEnv, portsFromEnv, type LocalPorts } from './settings';
import { defaultDataDir, loadOrCreateIssuerTls, loadOrCreateSigningKey, localPaths, writeIssuerInfo, type LocalPaths } from './state';
import { startLocalStore, type LocalStore } from './store';
import { OAuthIssuer } from './oauth-issuer';
import { mtlsPortFromEnv, startMtlsListener, type MtlsListener } from './mtls-listener';
import { introspectionClient, type LocalIntrospection } from './introspection-credentials';
import { RouteTable, type RouteDefinition } from './route-table';
import { createEchoBackend } from './proxy-backend';
import { createSampleBackend, type ProxyHandler } from './sample-backend';
import type { RouteManifest } from '../lambda/route-manifest';
import { UsagePlanMeter } from './usage-plans';

/** The usage key JWT clients without a binding of their own are metered under (the default plan's shared key). */
export const LOCAL_SHARED_USAGE_KEY = `ptc-local-shared-${SAMPLE_DEFAULT_PLAN}-usage-key`;

/** Authorizer settings a user may tune for local runs; the others are set by the local mode like the stack sets them. */
const PASS_THROUGH_SETTINGS = [
  'KEY_CACHE_TTL',
  'KEY_NEGATIVE_CACHE_TTL',
  'KEY_CACHE_MAX_ENTRIES',
  'LAST_USED_INTERVAL',
  'CLOCK_SKEW',
  'MAX_TOKEN_LIFETIME',
  'JWKS_TIMEOUT_MS',
  'JWKS_MAX_BYTES',
  'JWKS_REFETCH_INTERVAL',
  'JWKS_MAX_AGE',
  'VERIFIED_TOKEN_CACHE_TTL',
  'VERIFIED_TOKEN_CACHE_MAX_ENTRIES',
  'DYNAMODB_TIMEOUT_MS',
  'DYNAMODB_CONNECT_TIMEOUT_MS',
  'DYNAMODB_MAX_ATTEMPTS',
  // The decision log's settings, as the Lambda runtime would pass them (`npm start` turns the EMF metrics off).
  'POWERTOOLS_LOG_LEVEL',
  'POWERTOOLS_SERVICE_NAME',
  'POWERTOOLS_METRICS_DISABLED',
  'POWERTOOLS_METRICS_NAMESPACE',
] as const;

export interface LocalModeOptions {
  /** Ports (0 = a free one). Defaults: PORT, ISSUER_PORT, DYNAMODB_PORT from `env`, else 3000, 3001, 8000. */
  readonly ports?: Partial<LocalPorts>;
  /**
   * Serve the gateway over mutual TLS too, on this port (0 = a free one). Default: MTLS_PORT from `env`, else off.
   */
  readonly mtlsPort?: number;
  /** Keep the store in memory (nothing under `.local/dynamodb`). The issuer's key and certificate are kept anyway. */
  readonly memory?: boolean;
  /** Defaults to `.local/` at the repository root (or PORTCULLIS_LOCAL_DIR). */
  readonly dataDir?: string;
  /** Environment: the local settings (AUTHORIZER_CACHE_TTL, ports) and tunable authorizer settings. */
  readonly env?: Env;
  /** Usage-plan tiers; defaults to the stack's USAGE_TIERS (tests add small ones). */
  readonly tiers?: Readonly<Record<string, UsageTier>>;
  readonly devClients?: readonly DevClient[];
  /** The login page's dev users; default: the `users` of dev-clients.json. */
  readonly devUsers?: readonly DevUser[];
  /** Gateway responses; defaults to the ones the CDK stack deploys (infra/gateway-responses.ts). */
  readonly gatewayResponses?: GatewayResponseDefinitions;
  /** Log level of the authorizer's decision log. Defaults to POWERTOOLS_LOG_LEVEL, else INFO. */
  readonly logLevel?: LogLevel;
  /** Where the decision log's lines go (one call per line, no newline). Defaults to one stdout write per line. */
  readonly writeLog?: (line: string) => void;
  readonly onRequest?: (entry: AccessLogEntry) => void;
  /** Wraps the authorizer function the gateway invokes (tests: fault injection). */
  readonly wrapAuthorizer?: (authorizer: AuthorizerFunction) => AuthorizerFunction;
  /** The user's API (`npm start -- --manifest`): its routes behind the authorizer and its public routes. Default: the sample's. */
  readonly api?: LocalApi;
  /** JWT_ISSUERS entries trusted besides the local issuer (`--issuers`). */
  readonly issuers?: readonly Readonly<Record<string, unknown>>[];
  /** What the gateway forwards to (`--backend`). Default: the sample backend, or with `api` an echo of the request. */
  readonly backend?: ProxyHandler;
}

/** A user's API for the local mode: the route manifest and the routes served without the authorizer. */
export interface LocalApi {
  readonly manifest: RouteManifest;
  readonly publicRoutes: readonly { readonly method: string; readonly path: string }[];
}

const SAMPLE_API: LocalApi = { manifest: SAMPLE_ROUTE_MANIFEST, publicRoutes: SAMPLE_PUBLIC_ROUTES };

export interface LocalMode {
  readonly ports: LocalPorts;
  readonly gatewayUrl: string;
  /** The mutual TLS listener, when started. */
  readonly mtls?: Omit<MtlsListener, 'stop'>;
  readonly issuerUrl: string;
  readonly dynamoDbEndpoint: string;
  readonly paths: LocalPaths;
  readonly memory: boolean;
  readonly devClients: readonly DevClient[];
  readonly devUsers: readonly DevUser[];
  /** The running issuer (tests: opaque tokens minted directly). */
  readonly oauthIssuer: OAuthIssuer;
  /** Where and as whom the API introspects opaque tokens: the first confidential dev client without grants. */
  readonly introspection?: LocalIntrospection;
  readonly store: LocalStore;
  readonly config: AuthorizerConfig;
  /** The authorizer's collaborators (its caches), for tests that check they stay bounded. */
  readonly authorizer: AuthorizerDependencies;
  readonly authorizerCacheTtlSeconds: number;
  /** The result cache key the gateway uses (AUTHORIZER_CACHE_KEY, default auto: as the construct would choose). */
  readonly cacheKey: ResolvedCacheKey;
  stop(): Promise<void>;
}

/** The name the local authorizer reads the introspection secret by (no Secrets Manager locally: the local mode answers). */
export const LOCAL_INTROSPECTION_SECRET_NAME = 'portcullis-local/introspection-client-secret';

/**
 * The local gateway's cache key: AUTHORIZER_CACHE_KEY (auto, identity or route; auto chooses from the manifest
 * served, the sample's or the user's).
 */
export function localCacheKey(env: Env, manifest: RouteManifest = SAMPLE_ROUTE_MANIFEST): ResolvedCacheKey {
  const setting = (env.AUTHORIZER_CACHE_KEY ?? 'auto').trim() || 'auto';
  if (!isCacheKeySetting(setting)) {
    throw new ConfigurationError('AUTHORIZER_CACHE_KEY', `must be auto, identity or route, got ${JSON.stringify(setting)}`);
  }
  return resolveCacheKey(setting, manifest);
}

/** The environment the CDK stack gives the authorizer function, pointed at the local issuer and store. */
export function localAuthorizerEnv(options: {
  issuerUrl: string;
  caFile: string;
  env: Env;
  routeManifest?: RouteManifest;
  issuers?: readonly Readonly<Record<string, unknown>>[];
  introspectionClientId?: string;
}): Record<string, string> {
  const routeManifest = options.routeManifest ?? SAMPLE_ROUTE_MANIFEST;
  const env: Record<string, string> = {};
  for (const name of PASS_THROUGH_SETTINGS) {
    const value = options.env[name];
    if (value !== undefined) env[name] = value;
  }
  return {
    ...env,
    ROUTE_MANIFEST: JSON.stringify({ routes: routeManifest.routes }),
    CACHE_KEY_MODE: localCacheKey(options.env, routeManifest).mode,
    JWT_ISSUERS: JSON.stringify([
      {
        issuer: options.issuerUrl,
        audience: SAMPLE_AUDIENCE,
        jwksUri: `${options.issuerUrl}/.well-known/jwks.json`,
        // Opaque tokens of the local issuer are introspected as the local-api client; its secret is handed to the
        // authorizer by the local mode (LOCAL_INTROSPECTION_SECRET_NAME), as Secrets Manager would.
        ...(options.introspectionClientId !== undefined
          ? { introspection: { endpoint: `${options.issuerUrl}/oauth2/introspect`, clientId: options.introspectionClientId, clientSecretArn: LOCAL_INTROSPECTION_SECRET_NAME } }
          : {}),
      },
      ...(options.issuers ?? []),
    ]),
    KEY_TABLE_NAME: LOCAL_KEY_TABLE,
    API_KEY_PREFIX: LOCAL_KEY_PREFIX,
    DEFAULT_PLAN: SAMPLE_DEFAULT_PLAN,
    DEFAULT_USAGE_IDENTIFIER_KEY: LOCAL_SHARED_USAGE_KEY,
    JWKS_EXTRA_CA_FILE: options.caFile,
  };
}

export function sampleRouteDefinitions(): RouteDefinition[] {
  return routeDefinitions(SAMPLE_API);
}

/** The gateway's routes for an API: public ones without the authorizer, the manifest's behind it. */
export function routeDefinitions(api: LocalApi): RouteDefinition[] {
  return [
    ...api.publicRoutes.map((route) => ({ method: route.method, path: route.path, authorized: false, metered: false })),
    ...api.manifest.routes.map((route) => ({
      method: route.method,
      path: route.path,
      authorized: true,
      metered: route.metered === true,
    })),
  ];
}

export async function startLocalMode(options: LocalModeOptions = {}): Promise<LocalMode> {
  const env = options.env ?? process.env;
  const ports = { ...portsFromEnv(env), ...options.ports };
  const authorizerCacheTtlSeconds = authorizerCacheTtlFromEnv(env);
  const cacheKey = localCacheKey(env, (options.api ?? SAMPLE_API).manifest);
  const paths = localPaths(options.dataDir ?? defaultDataDir(env));
  const memory = options.memory === true;
  const devClients = options.devClients ?? loadDevClients();
  const devUsers = options.devUsers ?? (options.devClients ? [] : loadDevUsers());
  const tiers = options.tiers ?? USAGE_TIERS;

  const cleanups: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  };

  try {
    const tls = await loadOrCreateIssuerTls(paths);
    const { key: signingKey } = loadOrCreateSigningKey(paths);

    const store = await startLocalStore({
      port: ports.dynamodb,
      ...(memory ? {} : { path: paths.dynamoDbDir }),
      keyTableName: LOCAL_KEY_TABLE,
      sharedUsageKeys: [{ value: LOCAL_SHARED_USAGE_KEY, plan: SAMPLE_DEFAULT_PLAN, name: `shared key of the ${SAMPLE_DEFAULT_PLAN} plan (JWT clients without a binding)` }],
    });
    cleanups.push(() => store.stop());

    const api = options.api ?? SAMPLE_API;
    const scopesSupported = options.api === undefined ? SAMPLE_SCOPES : manifestScopes(api.manifest);
    const issuer = new OAuthIssuer({ tls, signingKey, clients: devClients, users: devUsers, audience: SAMPLE_AUDIENCE, scopesSupported });
    const issuerServer = issuer.createServer();
    const issuerPort = await listen(issuerServer, ports.issuer, LOCAL_HOST, 'ISSUER_PORT', 'local OAuth issuer');
    cleanups.push(() => closeServer(issuerServer));
    const issuerUrl = `https://${LOCAL_HOST}:${issuerPort}`;
    issuer.setIssuer(issuerUrl);
    writeIssuerInfo(paths, {
      issuer: issuerUrl,
      jwksUri: `${issuerUrl}/.well-known/jwks.json`,
      tokenEndpoint: `${issuerUrl}/oauth2/token`,
    });

    const resourceServer = introspectionClient(devClients);
    const config = loadConfig(
      localAuthorizerEnv({
        issuerUrl,
        caFile: paths.tlsCert,
        env,
        routeManifest: api.manifest,
        ...(options.issuers ? { issuers: options.issuers } : {}),
        ...(resourceServer ? { introspectionClientId: resourceServer.clientId } : {}),
      }),
    );
    const { handler, deps } = createAuthorizerHandler(config, {
      issuerFeatures: {
        readSecret: async (name: string) => {
          if (name !== LOCAL_INTROSPECTION_SECRET_NAME || resourceServer?.clientSecret === undefined) throw new Error(`No local secret ${name}`);
          return resourceServer.clientSecret;
        },
      },
      log:
        options.logLevel || options.writeLog
          ? new DecisionLog({
              serviceName: config.serviceName,
              level: options.logLevel ?? config.logLevel,
              metricsNamespace: config.metricsNamespace,
              write: options.writeLog,
            })
          : undefined,
      keyStore: new DynamoDbKeyStore({
        tableName: LOCAL_KEY_TABLE,
        endpoint: store.endpoint,
        region: LOCAL_REGION,
        credentials: { ...LOCAL_CREDENTIALS },
        requestTimeoutMs: config.dynamoDbTimeoutMs,
        connectTimeoutMs: config.dynamoDbConnectTimeoutMs,
        maxAttempts: config.dynamoDbMaxAttempts,
      }),
    });
    cleanups.push(async () => {
      await deps.apiKeys?.flush();
    });

    const authorizer: AuthorizerFunction = (event, context) => handler(event, context);
    const gateway = new LocalGateway({
      routes: new RouteTable(routeDefinitions(api)),
      stage: LOCAL_STAGE,
      authorizer: options.wrapAuthorizer ? options.wrapAuthorizer(authorizer) : authorizer,
      cache: new AuthorizerResultCache(authorizerCacheTtlSeconds),
      cacheKeyMode: cacheKey.mode,
      usageKeys: store.registry,
      meter: new UsagePlanMeter(tiers),
      backend: options.backend ?? (options.api === undefined ? createSampleBackend() : createEchoBackend()),
      responses: options.gatewayResponses ?? servedGatewayResponses(),
      ...(options.onRequest ? { onRequest: options.onRequest } : {}),
    });
    const gatewayServer = gateway.createServer();
    const gatewayPort = await listen(gatewayServer, ports.gateway, LOCAL_HOST, 'PORT', 'local gateway');
    cleanups.push(() => closeServer(gatewayServer));

    const mtlsPort = options.mtlsPort ?? mtlsPortFromEnv(env);
    let mtls: MtlsListener | undefined;
    if (mtlsPort !== undefined) {
      mtls = await startMtlsListener({ gateway, serverTls: tls, dataDir: paths.dataDir, port: mtlsPort });
      cleanups.push(mtls.stop);
    }

    let stopping: Promise<void> | undefined;
    return {
      ports: { gateway: gatewayPort, issuer: issuerPort, dynamodb: store.port },
      gatewayUrl: `http://${LOCAL_HOST}:${gatewayPort}`,
      ...(mtls ? { mtls: { port: mtls.port, url: mtls.url, clientCaFile: mtls.clientCaFile } } : {}),
      issuerUrl,
      dynamoDbEndpoint: store.endpoint,
      paths,
      memory,
      devClients,
      devUsers,
      oauthIssuer: issuer,
      ...(resourceServer
        ? { introspection: { endpoint: `${issuerUrl}/oauth2/introspect`, clientId: resourceServer.clientId, clientSecret: resourceServer.clientSecret! } }
        : {}),
      store,
      config,
      authorizer: deps,
      authorizerCacheTtlSeconds,
      cacheKey,
      stop: () => (stopping ??= stopAll()),
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** Every scope a manifest names (the local issuer publishes them in its discovery document). */
function manifestScopes(manifest: RouteManifest): string[] {
  const scopes = new Set<string>();
  for (const route of manifest.routes) {
    for (const scope of route.scopes ?? []) scopes.add(scope);
    for (const set of route.anyOf ?? []) for (const scope of set) scopes.add(scope);
  }
  return [...scopes].sort();
}
