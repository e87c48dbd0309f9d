/**
 * The Portcullis authorizer construct: the product's public CDK surface.
 *
 * One construct owns the authorizer function, its least-privilege role, the API Gateway `REQUEST` authorizer, the key
 * table (created or imported) and one usage plan per tier. Routes are protected with {@link PortcullisAuthorizer.protect},
 * which adds the method and records the route in the manifest the function receives, so the manifest and the API
 * cannot drift apart. Props are validated in the constructor with the authorizer core's own parsers (one definition
 * of validity); checks that need the finished tree run at synthesis.
 */
import { DEFAULT_RESULT_CACHE_TTL_SECONDS } from './sample-api';
import * as path from 'node:path';
import { Duration, Fn, Lazy, Stack, Token, Annotations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { KEY_PREFIX_PATTERN } from '../lambda/api-key-format';
import { loadConfig, parseIssuers } from '../lambda/config';
import { ConfigurationError } from '../lambda/errors';
import { KEY_TABLE_SCHEMA } from '../lambda/key-table-schema';
import { compileManifest, isValidScope, type RouteManifest, type RouteSpec } from '../lambda/route-manifest';
import { boundTokenCachingProblem, grantIssuerSecretReads, issuerFeatureSpec, withIssuerSecret, type IssuerFeatureOptions } from './issuer-options';
import { PortcullisKeyTable, type PortcullisKeyTableProps } from './portcullis-key-table';
import { CacheKeyHook, type CacheKeySetting, type ResolvedCacheKey } from './cache-key-hook';
import { USAGE_TIERS, type UsageTier } from './usage-tiers';

const REPO_ROOT = path.resolve(__dirname, '..');

/**
 * Memory of the authorizer function. From the benchmark (bench/README.md): a request costs ~45 us of CPU for a new
 * RS256 token and ~6 us for a known token or key at one full core, so at 512 MB (about a third of a vCPU) warm
 * requests stay well inside Lambda's 1 ms billing granule, while init (~10 ms of CPU over an empty Node) stays short;
 * 1,024 MB halves init time at twice the price of every billed millisecond.
 */
export const DEFAULT_AUTHORIZER_MEMORY_MB = 512;

/** The identity source every accepted credential carries: Bearer, ApiKey and Basic all travel in `Authorization`. */
export const AUTHORIZATION_IDENTITY_SOURCE = apigateway.IdentitySource.header('Authorization');

/** Lambda refuses a function whose environment (names and values) exceeds 4 KB. */
const LAMBDA_ENV_LIMIT_BYTES = 4096;

/** Settings the construct derives from its props; `environment` may not set them. */
const MANAGED_SETTINGS = [
  'ROUTE_MANIFEST',
  'CACHE_KEY_MODE',
  'JWT_ISSUERS',
  'KEY_TABLE_NAME',
  'API_KEY_PREFIX',
  'KEY_CACHE_TTL',
  'KEY_NEGATIVE_CACHE_TTL',
  'VERIFIED_TOKEN_CACHE_TTL',
  'CLOCK_SKEW',
  'DEFAULT_PLAN',
  'DEFAULT_USAGE_IDENTIFIER_KEY',
  // Local mode only: a deployed authorizer trusts the public CAs.
  'JWKS_EXTRA_CA_FILE',
] as const;

const PLAN_NAME = /^[a-z][a-z0-9-]{0,31}$/;
const RESOURCE_SERVER_IDENTIFIER = /^[\x21\x23-\x2E\x30-\x5B\x5D-\x7E]{1,256}$/;

function fail(prop: string, message: string): never {
  throw new Error(`${prop}: ${message}`);
}

// ---------------------------------------------------------------------------------------------------------------------
// Issuers

/** A generic OAuth 2.0 / OpenID Connect issuer; provider presets, claims, discovery, introspection: issuer-options.ts. */
export interface OidcIssuerOptions extends IssuerFeatureOptions {
  /** The `iss` value, an https URL. */
  readonly issuer: string;
  /** Accepted `aud` values; `null`, written explicitly, skips the audience check. */
  readonly audience: readonly string[] | null;
  /**
   * Where the signing keys are published (https).
   * @default - `<issuer>/.well-known/jwks.json`
   */
  readonly jwksUri?: string;
  /**
   * The claim that carries the scopes: `scope` (space-delimited) or `scp` (array).
   * @default 'scope'
   */
  readonly scopeClaim?: 'scope' | 'scp';
}

/** An Amazon Cognito user pool. */
export interface CognitoIssuerOptions {
  readonly userPool: cognito.IUserPool;
  /**
   * The app clients whose tokens are accepted (`client_id` of access tokens, `aud` of id tokens).
   * @default - none: required unless `allowAnyAppClient` is true
   */
  readonly appClients?: readonly cognito.IUserPoolClient[];
  /**
   * Accept tokens of every app client of the pool.
   * @default false
   */
  readonly allowAnyAppClient?: boolean;
  /**
   * Which tokens are accepted.
   * @default 'access'
   */
  readonly tokenUse?: 'access' | 'id';
  /**
   * Cognito names a resource server's scopes `<identifier>/<scope>`. Give the identifier and the authorizer reads
   * `<identifier>/items:read` from this pool's tokens as `items:read` (the issuer's `scopePrefix` setting).
   * @default - scopes are matched as the token carries them
   */
  readonly resourceServerIdentifier?: string;
}

/** A JWT issuer the authorizer trusts. */
export class JwtIssuer {
  /** A generic OAuth 2.0 / OIDC issuer (Auth0, Okta, Entra ID, Keycloak...). */
  public static oidc(options: OidcIssuerOptions): JwtIssuer {
    const spec: Record<string, unknown> = { issuer: options.issuer, audience: options.audience };
    if (options.jwksUri !== undefined) spec.jwksUri = options.jwksUri;
    if (options.scopeClaim !== undefined) spec.scopeClaim = options.scopeClaim;
    Object.assign(spec, issuerFeatureSpec(options));
    return withIssuerSecret(new JwtIssuer(spec), options);
  }

  /** An Amazon Cognito user pool; issuer and JWKS URI are derived from the pool id. */
  public static cognito(options: CognitoIssuerOptions): JwtIssuer {
    const clients = options.appClients ?? [];
    if (options.allowAnyAppClient === true && clients.length > 0) {
      fail('appClients', 'give appClients or allowAnyAppClient, not both');
    }
    if (options.allowAnyAppClient !== true && clients.length === 0) {
      fail('appClients', 'list the app clients whose tokens are accepted (or set allowAnyAppClient: true)');
    }
    let scopePrefix: string | undefined;
    if (options.resourceServerIdentifier !== undefined) {
      const identifier = options.resourceServerIdentifier;
      if (Token.isUnresolved(identifier) || !RESOURCE_SERVER_IDENTIFIER.test(identifier)) {
        fail('resourceServerIdentifier', `must be a literal resource server identifier, got ${JSON.stringify(identifier)}`);
      }
      scopePrefix = `${identifier}/`;
    }
    return new JwtIssuer({
      cognitoUserPoolId: options.userPool.userPoolId,
      clientIds: options.allowAnyAppClient === true ? null : clients.map((client) => client.userPoolClientId),
      tokenUse: options.tokenUse ?? 'access',
      ...(scopePrefix === undefined ? {} : { scopePrefix }),
    });
  }

  /**
   * An entry written as in the `JWT_ISSUERS` setting (README "Settings"), e.g. read from a JSON file. Validated with
   * the function's own parser.
   */
  public static fromSetting(entry: Readonly<Record<string, unknown>>): JwtIssuer {
    asProp('issuers', () => parseIssuers([entry], 'issuers'));
    return new JwtIssuer({ ...entry });
  }

  private constructor(
    /** The entry as written into `JWT_ISSUERS` (may hold tokens). */
    public readonly spec: Readonly<Record<string, unknown>>,
  ) {}
}

/** The issuer entries with unresolved tokens replaced by well-formed placeholders, for synth-time validation. */
function issuerSpecsForValidation(issuers: readonly JwtIssuer[]): unknown[] {
  return issuers.map((issuer, index) => {
    const placeholder = (field: string, value: unknown): unknown => {
      if (typeof value === 'string' && Token.isUnresolved(value)) {
        if (field === 'cognitoUserPoolId') return `us-east-1_Token${index}`;
        if (field === 'issuer' || field === 'jwksUri') return `https://token-${index}.invalid/`;
        return `token-${index}`;
      }
      if (Array.isArray(value)) return value.map((entry: unknown, i) => placeholder(`${field}[${i}]`, entry));
      return value;
    };
    return Object.fromEntries(Object.entries(issuer.spec).map(([field, value]) => [field, placeholder(field, value)]));
  });
}

// ---------------------------------------------------------------------------------------------------------------------
// Props

/** An API not managed by this CDK app: the authorizer is created on it by id and attached to its methods by hand. */
export interface ExistingApiOptions {
  /** The REST API id (`abc123defg`). */
  readonly restApiId: string;
  /**
   * The stage whose traffic the usage plans meter.
   * @default - the usage plans are attached to no stage (attach them by hand)
   */
  readonly stageName?: string;
}

export interface PortcullisAuthorizerProps {
  /**
   * JWT issuers whose tokens are accepted.
   * @default - none: API keys only
   */
  readonly issuers?: readonly JwtIssuer[];
  /**
   * Accept API keys from the key table (`Authorization: ApiKey ...` or Basic). The key table also holds the usage
   * plan bindings of JWT clients, so without it every JWT client uses `defaultPlan`.
   * @default true
   */
  readonly apiKeys?: boolean;
  /**
   * An existing key table (see `local/create-key-table.ts` for its schema). Exclusive with `keyTableProps`.
   * @default - a table is created (see `keyTableProps`)
   */
  readonly keyTable?: dynamodb.ITable;
  /**
   * Settings of the created key table. Exclusive with `keyTable`.
   * @default - on-demand, point-in-time recovery, AWS managed KMS key, retained
   */
  readonly keyTableProps?: PortcullisKeyTableProps;
  /**
   * This deployment's API key prefix, `<product>_<environment>_`. Keys with another prefix are refused unread.
   * @default 'ptc_live_'
   */
  readonly keyPrefix?: string;
  /**
   * Routes known up front, in addition to those added with `protect()`. With `existingApi` they are the whole manifest.
   * @default - none
   */
  readonly routes?: readonly RouteSpec[];
  /**
   * Every scope the API knows. When given, a route requiring any other scope is refused (a typo guard).
   * @default - any well-formed scope is accepted
   */
  readonly knownScopes?: readonly string[];
  /**
   * How long API Gateway caches a decision, under the cache key (`cacheKey`): the policy the function returns is exact
   * for every request its cache entry serves. A revoked key stops working within this TTL plus `keyCacheTtl`.
   * Maximum 1 hour; 0 disables the cache.
   * @default Duration.seconds(60)
   */
  readonly resultsCacheTtl?: Duration;
  /**
   * The authorizer result cache key. `auto` chooses from the manifest at synth (docs/cache-keys.md): `identity`
   * (Authorization only: one cached policy answers every route, the fewest invocations) when IAM patterns can answer
   * every route exactly, else `route` (Authorization, `context.httpMethod`, `context.resourcePath`: one cached policy
   * per route). Forcing `identity` on a manifest that needs `route` answers some allowed routes 403 from the cache.
   * The choice and its reason are reported at synth.
   * @default 'auto'
   */
  readonly cacheKey?: CacheKeySetting;
  /**
   * The identity sources (the result cache key; requests lacking one get 401 without calling the function). With
   * caching on, they must include the `Authorization` header, and may add only `context.*` sources, which every
   * request carries.
   * @default - from `cacheKey`: [IdentitySource.header('Authorization')], plus `context.httpMethod` and
   * `context.resourcePath` for the route key
   */
  readonly identitySources?: readonly string[];
  /**
   * How long the function caches a found key record (the in-function revocation bound).
   * @default Duration.seconds(30)
   */
  readonly keyCacheTtl?: Duration;
  /**
   * How long the function caches an unknown key.
   * @default Duration.seconds(5)
   */
  readonly keyNegativeCacheTtl?: Duration;
  /**
   * How long the function remembers a verified token (never past its `exp`); 0 disables.
   * @default Duration.seconds(60)
   */
  readonly verifiedTokenCacheTtl?: Duration;
  /**
   * Tolerance on `exp`, `nbf` and `iat`. At most 5 minutes.
   * @default Duration.seconds(30)
   */
  readonly clockSkew?: Duration;
  /**
   * Usage-plan tiers; one API Gateway usage plan is created per tier. `{}` creates none (then no route may be metered).
   * @default USAGE_TIERS (free, pro)
   */
  readonly plans?: Readonly<Record<string, UsageTier>>;
  /**
   * The plan of JWT clients with no binding of their own: they share one hidden API Gateway key on this plan.
   * @default - none: such clients have no usage identifier, and metered routes refuse them (403)
   */
  readonly defaultPlan?: string;
  /**
   * Further authorizer settings (README "Settings"), e.g. `LAST_USED_INTERVAL` or `MAX_TOKEN_LIFETIME`. The settings
   * derived from other props may not be set here.
   * @default - none
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Memory of the function, in MB (CPU grows with it).
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Function timeout. A decision takes milliseconds; JWKS and DynamoDB calls have their own, shorter timeouts.
   * @default Duration.seconds(10)
   */
  readonly timeout?: Duration;
  /**
   * Retention of the function's log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Create the authorizer on an API this app does not manage, by id. `protect()` is then unavailable: list the routes
   * in `routes` and attach the authorizer to those methods by hand.
   * @default - the authorizer is attached to APIs of this app with `protect()`
   */
  readonly existingApi?: ExistingApiOptions;
  /**
   * The authorizer's name in API Gateway.
   * @default - the construct's unique id
   */
  readonly authorizerName?: string;
}

/** How a route is protected. */
export interface ProtectOptions {
  /**
   * All of these scopes are required. `[]` admits any authenticated caller. Exclusive with `anyOf`.
   * @default [] (any authenticated caller), unless `anyOf` is given
   */
  readonly scopes?: readonly string[];
  /**
   * Alternatives: the caller needs every scope of at least one set. Exclusive with `scopes`.
   * @default - `scopes` applies
   */
  readonly anyOf?: readonly (readonly string[])[];
  /**
   * Count the route against the caller's usage plan (sets `apiKeyRequired`; the key comes from the authorizer).
   * @default false
   */
  readonly metered?: boolean;
  /**
   * Other method options (request validator, parameters, responses...). Authorization is the construct's.
   * @default - none
   */
  readonly methodOptions?: Omit<
    apigateway.MethodOptions,
    'authorizer' | 'authorizationType' | 'authorizationScopes' | 'apiKeyRequired'
  >;
}

function seconds(prop: string, value: Duration | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (Token.isUnresolved(value)) fail(prop, 'must be a literal duration');
  let result: number;
  try {
    result = value.toSeconds({ integral: true });
  } catch {
    return fail(prop, `must be a whole number of seconds, got ${value.toHumanString()}`);
  }
  if (result < min || result > max) fail(prop, `must be between ${min} and ${max} seconds, got ${result}`);
  return result;
}

function validatePlans(plans: Readonly<Record<string, UsageTier>>): void {
  for (const [name, tier] of Object.entries(plans)) {
    const where = `plans.${name}`;
    if (!PLAN_NAME.test(name)) fail('plans', `plan name ${JSON.stringify(name)} must match ${PLAN_NAME}`);
    if (!(tier.rateLimit > 0)) fail(where, `rateLimit must be > 0, got ${tier.rateLimit}`);
    if (!Number.isInteger(tier.burstLimit) || tier.burstLimit < 0) {
      fail(where, `burstLimit must be a whole number >= 0, got ${tier.burstLimit}`);
    }
    if (!Number.isInteger(tier.quota.limit) || tier.quota.limit < 1) {
      fail(where, `quota.limit must be a whole number >= 1, got ${tier.quota.limit}`);
    }
    if (!['DAY', 'WEEK', 'MONTH'].includes(tier.quota.period)) {
      fail(where, `quota.period must be DAY, WEEK or MONTH, got ${JSON.stringify(tier.quota.period)}`);
    }
  }
}

function asProp<T>(prop: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof ConfigurationError) throw new Error(error.message.startsWith(prop) ? error.message : `${prop}: ${error.message}`);
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// The construct

/**
 * The Portcullis API authorizer: a Lambda `REQUEST` authorizer that accepts JWTs and hashed API keys and returns
 * scoped IAM policies with a `usageIdentifierKey`, plus its key table and usage plans.
 */
export class PortcullisAuthorizer extends Construct {
  /** The authorizer function. */
  public readonly function: NodejsFunction;
  /** The function's role: read the key table, conditionally update `lastUsedAt`, write its own logs. */
  public readonly role: iam.Role;
  /** The key table (created or imported), or undefined when `apiKeys` is false. */
  public readonly keyTable?: dynamodb.ITable;
  /** One usage plan per tier, by tier name. */
  public readonly usagePlans: Readonly<Record<string, apigateway.UsagePlan>>;
  /** The hidden API Gateway key that JWT clients without a binding share (with `defaultPlan`). */
  public readonly defaultUsageKey?: apigateway.ApiKey;
  /** The API key prefix this deployment accepts. */
  public readonly keyPrefix: string;

  private readonly routeSpecs: RouteSpec[] = [];
  private readonly knownScopes?: ReadonlySet<string>;
  private readonly stages: apigateway.IStage[] = [];
  private readonly apis: apigateway.IRestApi[] = [];
  private readonly existingApi?: ExistingApiOptions;
  private readonly issuersJson?: string;
  private readonly planNames: readonly string[];
  private readonly authorizerSettings: {
    readonly identitySources: readonly string[];
    readonly resultsCacheTtl: number;
    readonly authorizerName?: string;
  };
  private requestAuthorizer?: apigateway.RequestAuthorizer;
  private existingAuthorizerId?: string;
  private readonly cacheKeyHook: CacheKeyHook;

  constructor(scope: Construct, id: string, props: PortcullisAuthorizerProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);

    // ---- validation of props
    const issuers = props.issuers ?? [];
    asProp('issuers', () => parseIssuers(issuerSpecsForValidation(issuers), 'issuers'));
    const apiKeys = props.apiKeys ?? true;
    if (props.keyTable !== undefined && props.keyTableProps !== undefined) {
      fail('keyTable', 'give keyTable (import a table) or keyTableProps (create one), not both');
    }
    if (!apiKeys && (props.keyTable !== undefined || props.keyTableProps !== undefined)) {
      fail('apiKeys', 'is false, so keyTable and keyTableProps must not be given');
    }
    if (!apiKeys && issuers.length === 0) {
      fail('issuers', 'with apiKeys false, at least one JWT issuer is required');
    }
    this.keyPrefix = props.keyPrefix ?? 'ptc_live_';
    if (!KEY_PREFIX_PATTERN.test(this.keyPrefix)) {
      fail('keyPrefix', `must look like "<product>_<environment>_" (e.g. ptc_live_), got ${JSON.stringify(this.keyPrefix)}`);
    }
    if (props.knownScopes !== undefined) {
      const bad = props.knownScopes.find((scope) => !isValidScope(scope));
      if (bad !== undefined) fail('knownScopes', `${JSON.stringify(bad)} is not a valid scope`);
      this.knownScopes = new Set(props.knownScopes);
    }

    const resultsCacheTtl = seconds('resultsCacheTtl', props.resultsCacheTtl, DEFAULT_RESULT_CACHE_TTL_SECONDS, 0, 3600);
    this.cacheKeyHook = new CacheKeyHook(props.cacheKey, props.identitySources, resultsCacheTtl > 0, () => this.manifest);
    const identitySources = [...(props.identitySources ?? [AUTHORIZATION_IDENTITY_SOURCE])];
    if (identitySources.length === 0) fail('identitySources', 'must list at least one identity source');
    if (resultsCacheTtl > 0) {
      if (!identitySources.includes(AUTHORIZATION_IDENTITY_SOURCE)) {
        fail(
          'identitySources',
          `result caching (resultsCacheTtl ${resultsCacheTtl}s) keys on the identity sources, and every credential travels in ` +
            `${AUTHORIZATION_IDENTITY_SOURCE}: include it, got ${JSON.stringify(identitySources)}`,
        );
      }
      const unsafe = identitySources.filter((source) => source !== AUTHORIZATION_IDENTITY_SOURCE && !source.startsWith('context.'));
      if (unsafe.length > 0) {
        fail(
          'identitySources',
          `with result caching on, API Gateway answers 401 without calling the authorizer when an identity source is ` +
            `missing, and ${unsafe.join(', ')} is not carried by every accepted credential (use resultsCacheTtl 0 or drop it)`,
        );
      }
    }
    const bindingProblem = boundTokenCachingProblem(issuers.map((issuer) => issuer.spec), resultsCacheTtl, identitySources);
    if (bindingProblem !== undefined) fail('resultsCacheTtl', bindingProblem);
    const keyCacheTtl = seconds('keyCacheTtl', props.keyCacheTtl, 30, 0, 3600);
    const keyNegativeCacheTtl = seconds('keyNegativeCacheTtl', props.keyNegativeCacheTtl, 5, 0, 3600);
    const verifiedTokenCacheTtl = seconds('verifiedTokenCacheTtl', props.verifiedTokenCacheTtl, 60, 0, 3600);
    const clockSkew = seconds('clockSkew', props.clockSkew, 30, 0, 300);
    const timeout = seconds('timeout', props.timeout, 10, 1, 29);
    const memorySize = props.memorySize ?? DEFAULT_AUTHORIZER_MEMORY_MB;
    if (!Number.isInteger(memorySize) || memorySize < 128 || memorySize > 10_240) {
      fail('memorySize', `must be a whole number of MB between 128 and 10240, got ${memorySize}`);
    }

    const plans = props.plans ?? USAGE_TIERS;
    validatePlans(plans);
    this.planNames = Object.keys(plans);
    if (props.defaultPlan !== undefined && !Object.prototype.hasOwnProperty.call(plans, props.defaultPlan)) {
      fail('defaultPlan', `${JSON.stringify(props.defaultPlan)} is not one of the plans (${Object.keys(plans).join(', ') || 'none'})`);
    }

    const extraEnvironment = props.environment ?? {};
    for (const name of Object.keys(extraEnvironment)) {
      if ((MANAGED_SETTINGS as readonly string[]).includes(name)) {
        fail('environment', `${name} is set by the construct from its props; it may not be given here`);
      }
      if (!/^[A-Z][A-Z0-9_]*$/.test(name)) fail('environment', `${JSON.stringify(name)} is not a setting name`);
    }

    if (props.existingApi !== undefined) {
      const { restApiId, stageName } = props.existingApi;
      if (!Token.isUnresolved(restApiId) && !/^[a-z0-9]{10}$/.test(restApiId)) {
        fail('existingApi.restApiId', `must be a REST API id (10 lowercase letters and digits), got ${JSON.stringify(restApiId)}`);
      }
      if (stageName !== undefined && !Token.isUnresolved(stageName) && !/^[A-Za-z0-9_-]{1,128}$/.test(stageName)) {
        fail('existingApi.stageName', `is not a stage name: ${JSON.stringify(stageName)}`);
      }
      this.existingApi = props.existingApi;
    }
    for (const route of props.routes ?? []) this.addRoute('routes', route);

    // ---- key table
    if (apiKeys) {
      this.keyTable = props.keyTable ?? new PortcullisKeyTable(this, 'KeyTable', props.keyTableProps).table;
    }

    // ---- usage plans and the default usage key
    const usagePlans: Record<string, apigateway.UsagePlan> = {};
    for (const [name, tier] of Object.entries(plans)) {
      usagePlans[name] = new apigateway.UsagePlan(this, `UsagePlan-${name}`, {
        name: `${stack.stackName}-${name}`,
        description: tier.description,
        throttle: { rateLimit: tier.rateLimit, burstLimit: tier.burstLimit },
        quota: { limit: tier.quota.limit, period: apigateway.Period[tier.quota.period] },
      });
    }
    this.usagePlans = Object.freeze(usagePlans);
    let defaultUsageKeyValue: string | undefined;
    if (props.defaultPlan !== undefined) {
      // Not a secret and not a credential: with the API's key source AUTHORIZER, API Gateway takes usage keys only from
      // the authorizer's answer, never from a client header. Derived from the stack's UUID: stable across updates,
      // unique per deployment, and nothing is committed or generated at synth.
      const stackUuid = Fn.select(2, Fn.split('/', stack.stackId));
      defaultUsageKeyValue = Fn.join('-', ['ptc-usage', props.defaultPlan, this.node.addr.slice(0, 8), stackUuid]);
      this.defaultUsageKey = new apigateway.ApiKey(this, 'DefaultUsageKey', {
        value: defaultUsageKeyValue,
        description:
          `Shared usage identifier of JWT clients without a plan binding (plan ${props.defaultPlan}). ` +
          'Not a credential: the API key source is AUTHORIZER.',
        enabled: true,
      });
      usagePlans[props.defaultPlan]!.addApiKey(this.defaultUsageKey);
    }

    // ---- function and role
    this.role = new iam.Role(this, 'ServiceRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Portcullis authorizer: reads the key table, records last use, writes its logs',
    });
    const logGroup = new logs.LogGroup(this, 'LogGroup', { retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH });
    logGroup.grantWrite(this.role);
    if (this.keyTable !== undefined) this.grantKeyTableAccess(this.keyTable);
    grantIssuerSecretReads(this.role, issuers);

    this.issuersJson = issuers.length > 0 ? stack.toJsonString(issuers.map((issuer) => issuer.spec)) : undefined;
    const environment: Record<string, string> = {
      ...extraEnvironment,
      ROUTE_MANIFEST: Lazy.string({ produce: () => JSON.stringify(this.manifest) }),
      CACHE_KEY_MODE: this.cacheKeyHook.modeToken(),
      API_KEY_PREFIX: this.keyPrefix,
      KEY_CACHE_TTL: String(keyCacheTtl),
      KEY_NEGATIVE_CACHE_TTL: String(keyNegativeCacheTtl),
      VERIFIED_TOKEN_CACHE_TTL: String(verifiedTokenCacheTtl),
      CLOCK_SKEW: String(clockSkew),
    };
    if (this.issuersJson !== undefined) environment.JWT_ISSUERS = this.issuersJson;
    if (this.keyTable !== undefined) environment.KEY_TABLE_NAME = this.keyTable.tableName;
    if (props.defaultPlan !== undefined && defaultUsageKeyValue !== undefined) {
      environment.DEFAULT_PLAN = props.defaultPlan;
      environment.DEFAULT_USAGE_IDENTIFIER_KEY = defaultUsageKeyValue;
    }
    // One definition of validity: the function's own loader checks every setting (tokens stand in as placeholders).
    asProp('environment', () =>
      loadConfig({
        ...environment,
        ROUTE_MANIFEST: '{"routes":[]}',
        CACHE_KEY_MODE: 'identity',
        JWT_ISSUERS: issuers.length > 0 ? JSON.stringify(issuerSpecsForValidation(issuers)) : undefined,
        KEY_TABLE_NAME: this.keyTable !== undefined ? 'placeholder' : undefined,
        DEFAULT_USAGE_IDENTIFIER_KEY: defaultUsageKeyValue !== undefined ? 'placeholder' : undefined,
      }),
    );

    this.function = new NodejsFunction(this, 'Function', {
      description: 'Portcullis API authorizer (JWT and API keys -> scoped IAM policy)',
      entry: path.join(REPO_ROOT, 'lambda', 'index.ts'),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize,
      timeout: Duration.seconds(timeout),
      role: this.role,
      logGroup,
      environment,
      bundling: {
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        format: OutputFormat.CJS,
        // The Node.js 22/24 runtimes ship the AWS SDK v3.
        externalModules: ['@aws-sdk/*'],
      },
    });

    // ---- the API Gateway authorizer: created by the first protect() (in-app), or now on the existing API
    this.authorizerSettings = { identitySources, resultsCacheTtl, authorizerName: props.authorizerName };
    if (this.existingApi !== undefined) {
      const { restApiId, stageName } = this.existingApi;
      const authorizer = new apigateway.CfnAuthorizer(this, 'Authorizer', {
        restApiId,
        name: props.authorizerName ?? `${stack.stackName}-portcullis`,
        type: 'REQUEST',
        authorizerUri: stack.formatArn({
          service: 'apigateway',
          account: 'lambda',
          resource: 'path/2015-03-31/functions',
          resourceName: `${this.function.functionArn}/invocations`,
        }),
        identitySource: this.cacheKeyHook.identitySourceToken(),
        authorizerResultTtlInSeconds: resultsCacheTtl,
      });
      this.existingAuthorizerId = authorizer.ref;
      this.function.addPermission('ApiGatewayInvoke', {
        principal: new iam.ServicePrincipal('apigateway.amazonaws.com'),
        sourceArn: stack.formatArn({ service: 'execute-api', resource: restApiId, resourceName: `authorizers/${authorizer.ref}` }),
      });
      if (stageName !== undefined) {
        const restApi = apigateway.RestApi.fromRestApiId(this, 'ExistingApi', restApiId);
        this.addApiStage(apigateway.Stage.fromStageAttributes(this, 'ExistingStage', { restApi, stageName }));
      }
    }

    this.node.addValidation({ validate: () => this.validateTree() });
  }

  /**
   * The API Gateway authorizer methods are attached to: created by the first `protect()` (so an authorizer attached to
   * no API fails with a clear message); undefined before that and with `existingApi`.
   */
  public get authorizer(): apigateway.RequestAuthorizer | undefined {
    return this.requestAuthorizer;
  }

  /** The API Gateway authorizer id (in-app: available once a route is protected). */
  public get authorizerId(): string {
    const id = this.existingAuthorizerId ?? this.requestAuthorizer?.authorizerId;
    if (id === undefined) fail('authorizerId', 'the authorizer exists once a route is protected: call protect() first');
    return id;
  }

  /** The authorizer result cache key for the routes protected so far, and why (final at synth). */
  public get cacheKey(): ResolvedCacheKey {
    return this.cacheKeyHook.resolve();
  }

  /** The manifest the function receives: every route, Cognito resource-server alternatives included. */
  public get manifest(): RouteManifest {
    return { routes: this.routeSpecs.map((route) => this.renderRoute(route)) };
  }

  /**
   * Adds `httpMethod` on `resource` behind the authorizer, records the route and its required scopes in the manifest,
   * and sets `apiKeyRequired` when the route is metered. OPTIONS (CORS preflight) is never authorized.
   */
  public protect(
    resource: apigateway.IResource,
    httpMethod: string,
    integration?: apigateway.Integration,
    options: ProtectOptions = {},
  ): apigateway.Method {
    if (this.existingApi !== undefined) {
      fail('protect', 'the authorizer was created for an existing API (existingApi): list its routes in the routes prop instead');
    }
    const method = httpMethod.toUpperCase();
    const route: RouteSpec = {
      method: method as RouteSpec['method'],
      path: resource.path,
      ...(options.anyOf !== undefined ? { anyOf: options.anyOf } : { scopes: options.scopes ?? [] }),
      ...(options.metered === true ? { metered: true } : {}),
    };
    if (options.scopes !== undefined && options.anyOf !== undefined) {
      fail('protect', `${method} ${resource.path}: give scopes or anyOf, not both`);
    }
    if (this.apis.length > 0 && this.apis[0] !== resource.api) {
      fail('protect', `${method} ${resource.path}: one authorizer serves one REST API (its policies name that API); create another PortcullisAuthorizer`);
    }
    this.addRoute('protect', route);
    if (!this.apis.includes(resource.api)) this.apis.push(resource.api);
    this.requestAuthorizer ??= new apigateway.RequestAuthorizer(this, 'Authorizer', {
      handler: this.function,
      identitySources: [...this.authorizerSettings.identitySources],
      resultsCacheTtl: Duration.seconds(this.authorizerSettings.resultsCacheTtl),
      authorizerName: this.authorizerSettings.authorizerName,
    });
    this.cacheKeyHook.attach(this.requestAuthorizer);
    return resource.addMethod(method, integration, {
      ...options.methodOptions,
      authorizer: this.requestAuthorizer,
      authorizationType: apigateway.AuthorizationType.CUSTOM,
      apiKeyRequired: options.metered === true,
    });
  }

  /** Attaches every usage plan to a stage, so the plans throttle and count that stage's metered routes. */
  public addApiStage(stage: apigateway.IStage): void {
    this.stages.push(stage);
    for (const plan of Object.values(this.usagePlans)) {
      // UsagePlan only reads `stageName` and `restApi.restApiId`, which every IStage has (imported stages included).
      plan.addApiStage({ stage: stage as apigateway.Stage });
    }
  }

  private addRoute(prop: string, route: RouteSpec): void {
    if (typeof route.method === 'string' && route.method.toUpperCase() === 'OPTIONS') {
      fail(prop, `OPTIONS ${route.path}: CORS preflight is never put behind the authorizer (browsers send no credential)`);
    }
    asProp(prop, () => compileManifest({ routes: [...this.routeSpecs, route] }, prop));
    if (route.metered === true && this.planNames.length === 0) {
      fail(prop, `${route.method} ${route.path} is metered, but plans is empty: nothing would admit its callers`);
    }
    if (this.knownScopes !== undefined) {
      const required = route.anyOf?.flat() ?? route.scopes ?? [];
      const unknown = required.filter((scope) => !this.knownScopes!.has(scope));
      if (unknown.length > 0) {
        fail(prop, `${route.method} ${route.path} requires scope(s) not in knownScopes: ${unknown.join(', ')}`);
      }
    }
    this.routeSpecs.push(route);
  }

  private renderRoute(route: RouteSpec): RouteSpec {
    const rendered: { -readonly [K in keyof RouteSpec]: RouteSpec[K] } = { method: route.method, path: route.path };
    if (route.anyOf !== undefined) rendered.anyOf = route.anyOf;
    else rendered.scopes = route.scopes ?? [];
    if (route.metered === true) rendered.metered = true;
    return rendered;
  }

  private grantKeyTableAccess(table: dynamodb.ITable): void {
    const { partitionKey } = KEY_TABLE_SCHEMA;
    // Reads: API key records and JWT client bindings, by primary key only (no Query, Scan, batch or write).
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadKeyRecordsAndClientBindings',
        actions: ['dynamodb:GetItem'],
        resources: [table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['key#*', 'client#*'] } },
      }),
    );
    // The one write: `SET lastUsedAt` on an existing API key record (the function's ConditionExpression).
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'RecordKeyLastUse',
        actions: ['dynamodb:UpdateItem'],
        resources: [table.tableArn],
        conditions: {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['key#*'] },
          'ForAllValues:StringEquals': { 'dynamodb:Attributes': [partitionKey, 'lastUsedAt'] },
          StringEqualsIfExists: { 'dynamodb:ReturnValues': 'NONE' },
        },
      }),
    );
    table.encryptionKey?.grantDecrypt(this.role);
  }

  private validateTree(): string[] {
    const errors: string[] = [...this.cacheKeyHook.report(this)];
    const routes = this.manifest.routes;
    if (this.existingApi === undefined && this.apis.length === 0) {
      errors.push('PortcullisAuthorizer protects no route: call protect() on a REST API, or use existingApi');
    }
    if (routes.some((route) => route.metered) && this.stages.length === 0) {
      errors.push(
        this.existingApi === undefined
          ? 'metered routes are protected but the usage plans are attached to no stage: call addApiStage(api.deploymentStage)'
          : 'metered routes are listed but the usage plans are attached to no stage: set existingApi.stageName',
      );
    }
    for (const api of this.apis) {
      const cfnApi = api.node.defaultChild;
      if (
        routes.some((route) => route.metered) &&
        cfnApi instanceof apigateway.CfnRestApi &&
        cfnApi.apiKeySourceType !== apigateway.ApiKeySourceType.AUTHORIZER
      ) {
        errors.push(
          `metered routes need the API's apiKeySourceType to be AUTHORIZER (the authorizer supplies the usage key; ` +
            `callers never send x-api-key), got ${cfnApi.apiKeySourceType ?? 'HEADER (the default)'}`,
        );
      }
      if (!apigateway.RestApi.isRestApi(api)) continue;
      for (const method of api.methods) {
        const cfnMethod = method.node.defaultChild as apigateway.CfnMethod;
        if (cfnMethod.authorizerId === undefined || cfnMethod.authorizerId !== this.requestAuthorizer?.authorizerId) continue;
        if (method.httpMethod === 'OPTIONS') {
          errors.push(`OPTIONS ${method.resource.path} uses the authorizer: CORS preflight must not be authorized`);
        } else if (!routes.some((route) => route.method === method.httpMethod && route.path === method.resource.path)) {
          errors.push(
            `${method.httpMethod} ${method.resource.path} uses the authorizer but is not in its manifest (the function would ` +
              'deny it): add it with protect()',
          );
        }
      }
      for (const route of routes.filter((r) => r.method === 'ANY')) {
        const hasPreflight = api.methods.some((m) => m.httpMethod === 'OPTIONS' && m.resource.path === route.path);
        if (!hasPreflight) {
          Annotations.of(this).addWarningV2(
            'portcullis:any-without-preflight',
            `ANY ${route.path} is authorized and has no OPTIONS method, so CORS preflights for it hit the authorizer (401): add a CORS preflight`,
          );
        }
      }
    }
    const envBytes = Buffer.byteLength(JSON.stringify(this.manifest)) + Buffer.byteLength(this.issuersJson ?? '');
    if (envBytes > LAMBDA_ENV_LIMIT_BYTES - 1024) {
      errors.push(
        `the route manifest and issuers take ${envBytes} bytes of the function's 4 KB environment: fewer routes or shorter ` +
          'scope lists (anyOf), or split the API between authorizers',
      );
    }
    return errors;
  }
}
