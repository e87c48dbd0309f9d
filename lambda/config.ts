/**
 * The authorizer's configuration: read from the environment once per container (cold start), validated, frozen.
 * A bad value fails with the setting's name. The README's settings table documents each variable.
 *
 * The route manifest and the issuers outgrow Lambda's 4 KB environment, so a deployment ships them in a file next to
 * the handler (`CONFIG_FILE`, named after the SHA-256 of its content); values only known at deploy time (a user pool
 * id) stay in the environment (`CONFIG_VALUES`) and the file refers to them by index.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, isAbsolute, join } from 'node:path';
import { KEY_PREFIX_PATTERN } from './api-key-format';
import { LOG_LEVELS, type LogLevel } from './decision-log';
import { integer, json, optionalString, requiredString, type Env } from './env';
import { ConfigurationError } from './errors';
import {
  assertIssuerSetConsistent,
  COGNITO_EXTENSION_FIELDS,
  EXTENSION_FIELDS,
  hasTenantTemplate,
  parseIssuerExtensions,
  withIssuerDefaults,
  type IssuerExtensions,
} from './issuer-config';
import { optionalFeatures } from './split-features-loader';
import { compileManifest, type CompiledManifest } from './route-manifest';
import { CACHE_KEY_MODES, parseCacheKeyMode, type CacheKeyMode } from './cache-key-mode';

export type ScopeClaim = 'scope' | 'scp';

/** A generic OAuth 2.0 / OIDC issuer. */
export interface OidcIssuerConfig extends IssuerExtensions {
  readonly kind: 'oidc';
  readonly issuer: string;
  /** Accepted `aud` values; null (explicit) skips the audience check. */
  readonly audience: readonly string[] | null;
  readonly jwksUri: string;
  readonly scopeClaim: ScopeClaim;
  /** Scopes starting with this prefix count without it (e.g. Cognito's `<resource server>/`). */
  readonly scopePrefix?: string;
}

/** An Amazon Cognito user pool (issuer and JWKS URI derived from the pool id). */
export interface CognitoIssuerConfig extends IssuerExtensions {
  readonly kind: 'cognito';
  readonly issuer: string;
  readonly userPoolId: string;
  /** Accepted app client ids (`client_id` of access tokens, `aud` of id tokens); null skips the check. */
  readonly clientIds: readonly string[] | null;
  readonly tokenUse: 'access' | 'id';
  readonly jwksUri: string;
  readonly scopeClaim: ScopeClaim;
  /** Scopes starting with this prefix count without it: Cognito names resource-server scopes `<identifier>/<scope>`. */
  readonly scopePrefix?: string;
}

export type IssuerConfig = OidcIssuerConfig | CognitoIssuerConfig;

export interface AuthorizerConfig {
  readonly manifest: CompiledManifest;
  /**
   * The key API Gateway caches this function's results under (CACHE_KEY_MODE, set by the construct): `identity`
   * (Authorization only; the default, whose policies are safe under any key) or `route` (Authorization, method and
   * resource; its policies answer one route and are right only under that key).
   */
  readonly cacheKeyMode: CacheKeyMode;
  readonly issuers: readonly IssuerConfig[];
  readonly keyTableName?: string;
  readonly apiKeyPrefix: string;
  readonly keyCacheTtlSeconds: number;
  readonly keyNegativeCacheTtlSeconds: number;
  readonly keyCacheMaxEntries: number;
  readonly lastUsedIntervalSeconds: number;
  readonly defaultUsageIdentifierKey?: string;
  readonly defaultPlan?: string;
  readonly clockSkewSeconds: number;
  readonly maxTokenLifetimeSeconds?: number;
  readonly jwksTimeoutMs: number;
  readonly jwksMaxBytes: number;
  readonly jwksRefetchIntervalSeconds: number;
  readonly jwksMaxAgeSeconds: number;
  /** Extra trusted CA certificates (PEM) for JWKS fetches: the local issuer's self-signed CA. */
  readonly jwksExtraCa?: string;
  readonly verifiedTokenCacheTtlSeconds: number;
  readonly verifiedTokenCacheMaxEntries: number;
  readonly dynamoDbTimeoutMs: number;
  readonly dynamoDbConnectTimeoutMs: number;
  readonly dynamoDbMaxAttempts: number;
  readonly serviceName: string;
  readonly logLevel: LogLevel;
  /** CloudWatch namespace of the decision metrics; undefined when metrics are disabled. */
  readonly metricsNamespace?: string;
}

const COGNITO_POOL_ID = /^(?<region>[a-z]{2}(?:-[a-z]+)+-\d)_[A-Za-z0-9]+$/;

function httpsUrl(setting: string, value: unknown, what: string): string {
  if (typeof value !== 'string') throw new ConfigurationError(setting, `${what} must be a string`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigurationError(setting, `${what} is not a URL: ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'https:') throw new ConfigurationError(setting, `${what} must use https: ${value}`);
  return value;
}

function stringList(setting: string, value: unknown, what: string): string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || list.some((entry) => typeof entry !== 'string' || entry === '')) {
    throw new ConfigurationError(setting, `${what} must be a non-empty string or array of non-empty strings`);
  }
  return list as string[];
}

function scopeClaim(setting: string, value: unknown, where: string): ScopeClaim {
  if (value === undefined) return 'scope';
  if (value === 'scope' || value === 'scp') return value;
  throw new ConfigurationError(setting, `${where}.scopeClaim must be "scope" or "scp"`);
}

const OIDC_FIELDS = new Set(['issuer', 'audience', 'jwksUri', 'scopeClaim', 'scopePrefix']);
const COGNITO_FIELDS = new Set(['cognitoUserPoolId', 'clientIds', 'tokenUse', 'scopeClaim', 'scopePrefix']);

function scopePrefix(setting: string, value: unknown, where: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^[\x21\x23-\x5B\x5D-\x7E]{1,128}$/.test(value)) {
    throw new ConfigurationError(setting, `${where}.scopePrefix must be a short string of scope characters, e.g. "orders-api/"`);
  }
  return value;
}

function extensions(setting: string, spec: Record<string, unknown>, where: string): IssuerExtensions {
  return parseIssuerExtensions(setting, spec, where, {
    claim: scopeClaim(setting, spec.scopeClaim, where),
    stripPrefix: scopePrefix(setting, spec.scopePrefix, where),
  });
}

export function parseIssuers(value: unknown, setting = 'JWT_ISSUERS'): IssuerConfig[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new ConfigurationError(setting, 'must be a JSON array of issuer objects');
  // issuer-config.ts: tenant templates, provider presets, discovery and the extension fields.
  const entries = hasTenantTemplate(value) ? optionalFeatures().expandTenantTemplates(setting, value) : value;
  const issuers = entries.map((entry: unknown, index): IssuerConfig => {
    const where = `[${index}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw new ConfigurationError(setting, `${where} must be an object`);
    }
    const spec = withIssuerDefaults(setting, entry as Record<string, unknown>, where);
    const cognito = spec.cognitoUserPoolId !== undefined;
    const allowed = cognito ? COGNITO_FIELDS : OIDC_FIELDS;
    const extensionFields = cognito ? COGNITO_EXTENSION_FIELDS : EXTENSION_FIELDS;
    const unknown = Object.keys(spec).filter((key) => !allowed.has(key) && !extensionFields.has(key));
    if (unknown.length > 0) throw new ConfigurationError(setting, `${where} has unknown field(s): ${unknown.join(', ')}`);
    if (cognito) {
      const poolId = spec.cognitoUserPoolId;
      const match = typeof poolId === 'string' ? COGNITO_POOL_ID.exec(poolId) : null;
      if (!match) throw new ConfigurationError(setting, `${where}.cognitoUserPoolId is not a user pool id: ${JSON.stringify(poolId)}`);
      const tokenUse = spec.tokenUse ?? 'access';
      if (tokenUse !== 'access' && tokenUse !== 'id') {
        throw new ConfigurationError(setting, `${where}.tokenUse must be "access" or "id"`);
      }
      const issuer = `https://cognito-idp.${match.groups!.region}.amazonaws.com/${poolId}`;
      return Object.freeze({
        kind: 'cognito',
        issuer,
        userPoolId: poolId as string,
        clientIds: spec.clientIds === null ? null : Object.freeze(stringList(setting, spec.clientIds, `${where}.clientIds`)),
        tokenUse,
        jwksUri: `${issuer}/.well-known/jwks.json`,
        scopeClaim: scopeClaim(setting, spec.scopeClaim, where),
        scopePrefix: scopePrefix(setting, spec.scopePrefix, where),
        ...extensions(setting, spec, where),
      });
    }
    const issuer = httpsUrl(setting, spec.issuer, `${where}.issuer`);
    if (spec.audience === undefined) {
      throw new ConfigurationError(setting, `${where}.audience is required (null, explicitly, to skip the check)`);
    }
    return Object.freeze({
      kind: 'oidc',
      issuer,
      audience: spec.audience === null ? null : Object.freeze(stringList(setting, spec.audience, `${where}.audience`)),
      jwksUri: httpsUrl(
        setting,
        spec.jwksUri ?? `${issuer.replace(/\/$/, '')}/.well-known/jwks.json`,
        `${where}.jwksUri`,
      ),
      scopeClaim: scopeClaim(setting, spec.scopeClaim, where),
      scopePrefix: scopePrefix(setting, spec.scopePrefix, where),
      ...extensions(setting, spec, where),
    });
  });
  assertIssuerSetConsistent(setting, issuers);
  const seen = new Set<string>();
  for (const issuer of issuers) {
    if (seen.has(issuer.issuer)) throw new ConfigurationError(setting, `issuer ${issuer.issuer} is listed twice`);
    seen.add(issuer.issuer);
  }
  return issuers;
}

/** POWERTOOLS_LOG_LEVEL, else the Lambda advanced logging level, else INFO (the Powertools conventions). */
function logLevel(env: Env): LogLevel {
  const name = optionalString(env, 'POWERTOOLS_LOG_LEVEL') !== undefined ? 'POWERTOOLS_LOG_LEVEL' : 'AWS_LAMBDA_LOG_LEVEL';
  const value = (optionalString(env, name) ?? 'INFO').toUpperCase().replace('WARNING', 'WARN').replace('CRITICAL', 'ERROR');
  if (!(LOG_LEVELS as readonly string[]).includes(value)) {
    throw new ConfigurationError(name, `must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(env[name])}`);
  }
  return value as LogLevel;
}

function metricsDisabled(env: Env): boolean {
  const value = optionalString(env, 'POWERTOOLS_METRICS_DISABLED')?.toLowerCase();
  if (value === undefined || value === 'false' || value === '0') return false;
  if (value === 'true' || value === '1') return true;
  throw new ConfigurationError('POWERTOOLS_METRICS_DISABLED', `must be true or false, got ${JSON.stringify(value)}`);
}

/** Settings that may come from the configuration file instead of the environment. */
export const FILE_SETTINGS = ['ROUTE_MANIFEST', 'JWT_ISSUERS'] as const;
export type FileSetting = (typeof FILE_SETTINGS)[number];

/** The configuration file: settings by name, as JSON values rather than strings. */
export type ConfigFileDocument = Partial<Record<FileSetting, unknown>>;

/** How the file refers to the element of `CONFIG_VALUES` at `index`: `{"$deployValue": index}`. */
export const DEPLOY_VALUE_REFERENCE = '$deployValue';

const CONFIG_FILE_NAME = /^portcullis-config\.([0-9a-f]{16})\.json$/;

/** The file's name for this content: `portcullis-config.<first 16 hex digits of its SHA-256>.json`. */
export function configFileName(content: string): string {
  return `portcullis-config.${createHash('sha256').update(content).digest('hex').slice(0, 16)}.json`;
}

function deployValues(env: Env): readonly string[] {
  const values = json(env, 'CONFIG_VALUES') ?? [];
  if (!Array.isArray(values) || values.some((value) => typeof value !== 'string')) {
    throw new ConfigurationError('CONFIG_VALUES', 'must be a JSON array of strings');
  }
  return values as string[];
}

function substituteDeployValues(value: unknown, values: readonly string[], setting: string): unknown {
  if (Array.isArray(value)) return value.map((entry) => substituteDeployValues(entry, values, setting));
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value);
  if (entries.length === 1 && entries[0]![0] === DEPLOY_VALUE_REFERENCE) {
    const index = entries[0]![1];
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= values.length) {
      throw new ConfigurationError(setting, `refers to deploy value ${JSON.stringify(index)}, which CONFIG_VALUES does not hold`);
    }
    return values[index];
  }
  return Object.fromEntries(entries.map(([key, entry]) => [key, substituteDeployValues(entry, values, setting)]));
}

/**
 * The settings of `CONFIG_FILE`, as parsed JSON values with the deploy values substituted; none without the
 * variable. A relative path is read from `configDir`, the handler's folder in Lambda. A setting given both here and
 * in the environment is refused.
 */
export function readConfigFile(env: Env, configDir: string = process.cwd()): ConfigFileDocument {
  const file = optionalString(env, 'CONFIG_FILE');
  if (file === undefined) return {};
  const path = isAbsolute(file) ? file : join(configDir, file);
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch {
    throw new ConfigurationError('CONFIG_FILE', `cannot read ${path}`);
  }
  const hashed = CONFIG_FILE_NAME.exec(basename(path));
  if (hashed !== null && configFileName(content) !== basename(path)) {
    throw new ConfigurationError('CONFIG_FILE', `${basename(path)} does not match the SHA-256 of its content (a damaged file)`);
  }
  let document: unknown;
  try {
    document = JSON.parse(content);
  } catch {
    throw new ConfigurationError('CONFIG_FILE', `${path} is not valid JSON`);
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new ConfigurationError('CONFIG_FILE', 'must hold a JSON object of settings');
  }
  const values = deployValues(env);
  const settings: Partial<Record<FileSetting, unknown>> = {};
  for (const [setting, value] of Object.entries(document)) {
    if (!(FILE_SETTINGS as readonly string[]).includes(setting)) {
      throw new ConfigurationError('CONFIG_FILE', `${setting} cannot be set in the file (only ${FILE_SETTINGS.join(', ')})`);
    }
    if (optionalString(env, setting) !== undefined) {
      throw new ConfigurationError(setting, 'is set both in the environment and in CONFIG_FILE');
    }
    settings[setting as FileSetting] = substituteDeployValues(value, values, setting);
  }
  return settings;
}

export interface LoadConfigOptions {
  /**
   * The folder a relative `CONFIG_FILE` is read from.
   * @default process.cwd() (the function's code folder in Lambda)
   */
  readonly configDir?: string;
}

/** Reads and validates every setting. Throws {@link ConfigurationError} naming the first bad one. */
export function loadConfig(env: Env, options: LoadConfigOptions = {}): AuthorizerConfig {
  // Routes and issuers from the configuration file (parsed once), else from the environment.
  const fromFile = readConfigFile(env, options.configDir);
  const manifest = compileManifest('ROUTE_MANIFEST' in fromFile ? fromFile.ROUTE_MANIFEST : (json(env, 'ROUTE_MANIFEST') ?? requiredString(env, 'ROUTE_MANIFEST')));
  const issuers = parseIssuers('JWT_ISSUERS' in fromFile ? fromFile.JWT_ISSUERS : json(env, 'JWT_ISSUERS'));
  const apiKeyPrefix = optionalString(env, 'API_KEY_PREFIX') ?? 'ptc_live_';
  if (!KEY_PREFIX_PATTERN.test(apiKeyPrefix)) {
    throw new ConfigurationError('API_KEY_PREFIX', `must look like "<product>_<environment>_" (e.g. ptc_live_), got ${JSON.stringify(apiKeyPrefix)}`);
  }
  const maxTokenLifetimeSeconds = integer(env, 'MAX_TOKEN_LIFETIME', { default: 0, min: 0, max: 31_536_000 });
  const extraCaFile = optionalString(env, 'JWKS_EXTRA_CA_FILE');
  let jwksExtraCa: string | undefined;
  if (extraCaFile !== undefined) {
    try {
      jwksExtraCa = readFileSync(extraCaFile, 'utf8');
    } catch {
      throw new ConfigurationError('JWKS_EXTRA_CA_FILE', `cannot read ${extraCaFile}`);
    }
    if (!jwksExtraCa.includes('-----BEGIN CERTIFICATE-----')) {
      throw new ConfigurationError('JWKS_EXTRA_CA_FILE', `${extraCaFile} holds no PEM certificate`);
    }
  }
  const cacheKeyModeSetting = optionalString(env, 'CACHE_KEY_MODE') ?? 'identity';
  const cacheKeyMode = parseCacheKeyMode(cacheKeyModeSetting);
  if (cacheKeyMode === undefined) {
    throw new ConfigurationError('CACHE_KEY_MODE', `must be one of ${CACHE_KEY_MODES.join(', ')}, got ${JSON.stringify(cacheKeyModeSetting)}`);
  }
  const config: AuthorizerConfig = {
    manifest,
    cacheKeyMode,
    issuers: Object.freeze(issuers),
    keyTableName: optionalString(env, 'KEY_TABLE_NAME'),
    apiKeyPrefix,
    keyCacheTtlSeconds: integer(env, 'KEY_CACHE_TTL', { default: 30, min: 0, max: 3600 }),
    keyNegativeCacheTtlSeconds: integer(env, 'KEY_NEGATIVE_CACHE_TTL', { default: 5, min: 0, max: 3600 }),
    keyCacheMaxEntries: integer(env, 'KEY_CACHE_MAX_ENTRIES', { default: 10_000, min: 1, max: 1_000_000 }),
    lastUsedIntervalSeconds: integer(env, 'LAST_USED_INTERVAL', { default: 300, min: 1, max: 86_400 }),
    defaultUsageIdentifierKey: optionalString(env, 'DEFAULT_USAGE_IDENTIFIER_KEY'),
    defaultPlan: optionalString(env, 'DEFAULT_PLAN'),
    clockSkewSeconds: integer(env, 'CLOCK_SKEW', { default: 30, min: 0, max: 300 }),
    maxTokenLifetimeSeconds: maxTokenLifetimeSeconds === 0 ? undefined : maxTokenLifetimeSeconds,
    jwksTimeoutMs: integer(env, 'JWKS_TIMEOUT_MS', { default: 2000, min: 100, max: 20_000 }),
    jwksMaxBytes: integer(env, 'JWKS_MAX_BYTES', { default: 131_072, min: 1024, max: 4_194_304 }),
    jwksRefetchIntervalSeconds: integer(env, 'JWKS_REFETCH_INTERVAL', { default: 10, min: 1, max: 3600 }),
    jwksMaxAgeSeconds: integer(env, 'JWKS_MAX_AGE', { default: 3600, min: 60, max: 604_800 }),
    jwksExtraCa,
    verifiedTokenCacheTtlSeconds: integer(env, 'VERIFIED_TOKEN_CACHE_TTL', { default: 60, min: 0, max: 3600 }),
    verifiedTokenCacheMaxEntries: integer(env, 'VERIFIED_TOKEN_CACHE_MAX_ENTRIES', { default: 2000, min: 1, max: 1_000_000 }),
    dynamoDbTimeoutMs: integer(env, 'DYNAMODB_TIMEOUT_MS', { default: 1000, min: 50, max: 20_000 }),
    dynamoDbConnectTimeoutMs: integer(env, 'DYNAMODB_CONNECT_TIMEOUT_MS', { default: 500, min: 50, max: 20_000 }),
    dynamoDbMaxAttempts: integer(env, 'DYNAMODB_MAX_ATTEMPTS', { default: 2, min: 1, max: 5 }),
    serviceName: optionalString(env, 'POWERTOOLS_SERVICE_NAME') ?? 'portcullis-authorizer',
    logLevel: logLevel(env),
    metricsNamespace: metricsDisabled(env) ? undefined : (optionalString(env, 'POWERTOOLS_METRICS_NAMESPACE') ?? 'Portcullis'),
  };
  if (config.issuers.length === 0 && config.keyTableName === undefined) {
    throw new ConfigurationError('JWT_ISSUERS', 'configure at least one issuer, or KEY_TABLE_NAME for API keys');
  }
  return Object.freeze(config);
}
