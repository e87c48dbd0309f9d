/**
 * The props of the Portcullis authorizer construct and of its function: the public surface, documented with the
 * defaults the settings resolution (authorizer-settings.ts) applies.
 */
import type { Duration } from 'aws-cdk-lib/core';
import type { CacheKeySetting } from './cache-key';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { RouteSpec } from '../lambda/route-manifest';
import type { JwtIssuer } from './jwt-issuer';
import type { PortcullisKeyTableProps } from './portcullis-key-table';
import type { UsageTier } from './usage-tiers';

/** Options of the authorizer function. */
export interface PortcullisFunctionOptions {
  /**
   * Memory of the function, in MB (CPU grows with it). From the benchmark (bench/README.md): at 512 MB warm requests
   * stay well inside Lambda's 1 ms billing granule and init stays short; 1,024 MB halves init at twice the price.
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * The instruction set. The handler is plain JavaScript: both work.
   * @default lambda.Architecture.ARM_64
   */
  readonly architecture?: lambda.Architecture;
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
   * AWS X-Ray tracing. `ACTIVE` adds the X-Ray write permissions to the role.
   * @default lambda.Tracing.DISABLED
   */
  readonly tracing?: lambda.Tracing;
  /**
   * Reserved concurrency: caps the function (and guarantees it that much of the account's concurrency).
   * @default - no reservation: the function shares the account's unreserved concurrency
   */
  readonly reservedConcurrentExecutions?: number;
}

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
   * @default - on-demand, point-in-time recovery, AWS managed KMS key, retained, deletion protection on
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
   * Options of the authorizer function: memory, architecture, timeout, log retention, tracing, reserved concurrency.
   * @default - see {@link PortcullisFunctionOptions}
   */
  readonly functionProps?: PortcullisFunctionOptions;
  /**
   * The CloudWatch namespace of the decision metrics (`Decisions`, `latencyMs`).
   * @default 'Portcullis'
   */
  readonly metricsNamespace?: string;
  /**
   * The `service` dimension of the decision metrics and the `service` field of the decision log: tells deployments
   * that share a namespace apart.
   * @default - unique per construct: the stack name and construct path, e.g. `PortcullisSample-Authorizer-1A2B3C4D`
   */
  readonly serviceName?: string;
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
