/**
 * Settings resolution: the construct's props, validated and with their defaults applied, as one frozen object. A pure
 * function (no construct, no stack), so every rule is testable without synthesizing. Settings the function reads are
 * validated with the function's own loader (one definition of validity); values that are CDK tokens stand in as
 * well-formed placeholders.
 */
import { Token, type Duration } from 'aws-cdk-lib/core';
import { boundTokenCachingProblem } from './issuer-options';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { KEY_PREFIX_PATTERN } from '../lambda/api-key-format';
import { loadConfig, parseIssuers } from '../lambda/config';
import { isValidScope } from '../lambda/route-manifest';
import type { ExistingApiOptions, PortcullisAuthorizerProps } from './authorizer-props';
import { resolveIdentitySources } from './identity-sources';
import { issuerSpecsForValidation, type JwtIssuer } from './jwt-issuer';
import { asProp, fail } from './prop-errors';
import { DEFAULT_RESULT_CACHE_TTL_SECONDS } from './sample-api';
import { USAGE_TIERS, type UsageTier } from './usage-tiers';

/** Memory of the authorizer function (see PortcullisFunctionOptions.memorySize). */
export const DEFAULT_AUTHORIZER_MEMORY_MB = 512;

/** The CloudWatch namespace of the decision metrics unless `metricsNamespace` says otherwise. */
export const DEFAULT_METRICS_NAMESPACE = 'Portcullis';

/** Settings the construct derives from its props; `environment` may not set them. */
export const MANAGED_SETTINGS = [
  'ROUTE_MANIFEST',
  'CACHE_KEY_MODE',
  'JWT_ISSUERS',
  'CONFIG_FILE',
  'CONFIG_VALUES',
  'KEY_TABLE_NAME',
  'API_KEY_PREFIX',
  'KEY_CACHE_TTL',
  'KEY_NEGATIVE_CACHE_TTL',
  'VERIFIED_TOKEN_CACHE_TTL',
  'CLOCK_SKEW',
  'DEFAULT_PLAN',
  'DEFAULT_USAGE_IDENTIFIER_KEY',
  'POWERTOOLS_SERVICE_NAME',
  'POWERTOOLS_METRICS_NAMESPACE',
  // Local mode only: a deployed authorizer trusts the public CAs.
  'JWKS_EXTRA_CA_FILE',
] as const;

const PLAN_NAME = /^[a-z][a-z0-9-]{0,31}$/;
// CloudWatch: a namespace is 1-255 characters of [0-9A-Za-z.-_/#:], and may not start with "AWS/".
const METRICS_NAMESPACE = /^(?!AWS\/)[0-9A-Za-z.\-_/#:]{1,255}$/;
const SERVICE_NAME = /^[\x21-\x7E]{1,128}$/;

export interface FunctionSettings {
  readonly memorySize: number;
  readonly timeoutSeconds: number;
  readonly architecture: lambda.Architecture;
  readonly logRetention: logs.RetentionDays;
  readonly tracing?: lambda.Tracing;
  readonly reservedConcurrentExecutions?: number;
}

/** The props, validated, with defaults applied. */
export interface AuthorizerSettings {
  readonly issuers: readonly JwtIssuer[];
  readonly apiKeys: boolean;
  readonly keyPrefix: string;
  readonly knownScopes?: ReadonlySet<string>;
  readonly resultsCacheTtlSeconds: number;
  readonly identitySources: readonly string[];
  readonly plans: Readonly<Record<string, UsageTier>>;
  readonly defaultPlan?: string;
  readonly metricsNamespace: string;
  /** Undefined: the construct derives one from its path. */
  readonly serviceName?: string;
  readonly existingApi?: ExistingApiOptions;
  readonly authorizerName?: string;
  readonly function: FunctionSettings;
  /**
   * The function's literal settings (prefix, cache TTLs, clock skew, metrics, extra `environment`). The construct adds
   * the deploy-time ones: key table, default usage key, configuration file.
   */
  readonly environment: Readonly<Record<string, string>>;
}

/** A duration prop as whole seconds within [min, max]; undefined gives the fallback. */
export function wholeSeconds(prop: string, value: Duration | undefined, fallback: number, min: number, max: number): number {
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

export function validatePlans(plans: Readonly<Record<string, UsageTier>>): void {
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

function resolveFunctionSettings(props: PortcullisAuthorizerProps): FunctionSettings {
  const options = props.functionProps ?? {};
  const memorySize = options.memorySize ?? DEFAULT_AUTHORIZER_MEMORY_MB;
  if (!Number.isInteger(memorySize) || memorySize < 128 || memorySize > 10_240) {
    fail('functionProps.memorySize', `must be a whole number of MB between 128 and 10240, got ${memorySize}`);
  }
  const reserved = options.reservedConcurrentExecutions;
  if (reserved !== undefined && (!Number.isInteger(reserved) || reserved < 1)) {
    // 0 would throttle every request: API Gateway would answer 500 to all of them.
    fail('functionProps.reservedConcurrentExecutions', `must be a whole number >= 1, got ${reserved}`);
  }
  return Object.freeze({
    memorySize,
    // API Gateway waits at most 29 s for an integration, authorizers included.
    timeoutSeconds: wholeSeconds('functionProps.timeout', options.timeout, 10, 1, 29),
    architecture: options.architecture ?? lambda.Architecture.ARM_64,
    logRetention: options.logRetention ?? logs.RetentionDays.ONE_MONTH,
    tracing: options.tracing,
    reservedConcurrentExecutions: reserved,
  });
}

function resolveExistingApi(existingApi: ExistingApiOptions | undefined): ExistingApiOptions | undefined {
  if (existingApi === undefined) return undefined;
  const { restApiId, stageName } = existingApi;
  if (!Token.isUnresolved(restApiId) && !/^[a-z0-9]{10}$/.test(restApiId)) {
    fail('existingApi.restApiId', `must be a REST API id (10 lowercase letters and digits), got ${JSON.stringify(restApiId)}`);
  }
  if (stageName !== undefined && !Token.isUnresolved(stageName) && !/^[A-Za-z0-9_-]{1,128}$/.test(stageName)) {
    fail('existingApi.stageName', `is not a stage name: ${JSON.stringify(stageName)}`);
  }
  return existingApi;
}

/** Validates the props and applies their defaults. Throws an Error whose message starts with the prop's name. */
export function resolveAuthorizerSettings(props: PortcullisAuthorizerProps = {}): AuthorizerSettings {
  const issuers = props.issuers ?? [];
  asProp('issuers', () => parseIssuers(issuerSpecsForValidation(issuers), 'issuers'));
  const apiKeys = props.apiKeys ?? true;
  if (props.keyTable !== undefined && props.keyTableProps !== undefined) {
    fail('keyTable', 'give keyTable (import a table) or keyTableProps (create one), not both');
  }
  if (!apiKeys && (props.keyTable !== undefined || props.keyTableProps !== undefined)) {
    fail('apiKeys', 'is false, so keyTable and keyTableProps must not be given');
  }
  if (!apiKeys && issuers.length === 0) fail('issuers', 'with apiKeys false, at least one JWT issuer is required');
  const keyPrefix = props.keyPrefix ?? 'ptc_live_';
  if (!KEY_PREFIX_PATTERN.test(keyPrefix)) {
    fail('keyPrefix', `must look like "<product>_<environment>_" (e.g. ptc_live_), got ${JSON.stringify(keyPrefix)}`);
  }
  let knownScopes: ReadonlySet<string> | undefined;
  if (props.knownScopes !== undefined) {
    const bad = props.knownScopes.find((scope) => !isValidScope(scope));
    if (bad !== undefined) fail('knownScopes', `${JSON.stringify(bad)} is not a valid scope`);
    knownScopes = new Set(props.knownScopes);
  }

  const resultsCacheTtlSeconds = wholeSeconds('resultsCacheTtl', props.resultsCacheTtl, DEFAULT_RESULT_CACHE_TTL_SECONDS, 0, 3600);
  const identitySources = resolveIdentitySources(props.identitySources, resultsCacheTtlSeconds);
  const bindingProblem = boundTokenCachingProblem(issuers.map((issuer) => issuer.spec), resultsCacheTtlSeconds, identitySources);
  if (bindingProblem !== undefined) fail('resultsCacheTtl', bindingProblem);
  const plans = props.plans ?? USAGE_TIERS;
  validatePlans(plans);
  if (props.defaultPlan !== undefined && !Object.prototype.hasOwnProperty.call(plans, props.defaultPlan)) {
    fail('defaultPlan', `${JSON.stringify(props.defaultPlan)} is not one of the plans (${Object.keys(plans).join(', ') || 'none'})`);
  }
  const metricsNamespace = props.metricsNamespace ?? DEFAULT_METRICS_NAMESPACE;
  if (!METRICS_NAMESPACE.test(metricsNamespace)) {
    fail('metricsNamespace', `must be 1-255 characters of 0-9 A-Z a-z . - _ / # : and not start with "AWS/", got ${JSON.stringify(metricsNamespace)}`);
  }
  if (props.serviceName !== undefined && !SERVICE_NAME.test(props.serviceName)) {
    fail('serviceName', `must be 1-128 printable characters without spaces, got ${JSON.stringify(props.serviceName)}`);
  }

  const extraEnvironment = props.environment ?? {};
  for (const name of Object.keys(extraEnvironment)) {
    if ((MANAGED_SETTINGS as readonly string[]).includes(name)) {
      fail('environment', `${name} is set by the construct from its props; it may not be given here`);
    }
    if (!/^[A-Z][A-Z0-9_]*$/.test(name)) fail('environment', `${JSON.stringify(name)} is not a setting name`);
  }
  const environment: Record<string, string> = {
    ...extraEnvironment,
    API_KEY_PREFIX: keyPrefix,
    KEY_CACHE_TTL: String(wholeSeconds('keyCacheTtl', props.keyCacheTtl, 30, 0, 3600)),
    KEY_NEGATIVE_CACHE_TTL: String(wholeSeconds('keyNegativeCacheTtl', props.keyNegativeCacheTtl, 5, 0, 3600)),
    VERIFIED_TOKEN_CACHE_TTL: String(wholeSeconds('verifiedTokenCacheTtl', props.verifiedTokenCacheTtl, 60, 0, 3600)),
    CLOCK_SKEW: String(wholeSeconds('clockSkew', props.clockSkew, 30, 0, 300)),
    POWERTOOLS_METRICS_NAMESPACE: metricsNamespace,
  };
  if (props.serviceName !== undefined) environment.POWERTOOLS_SERVICE_NAME = props.serviceName;
  if (props.defaultPlan !== undefined) environment.DEFAULT_PLAN = props.defaultPlan;
  const functionSettings = resolveFunctionSettings(props);
  // One definition of validity: the function's own loader checks every setting, with placeholders for the rest.
  asProp('environment', () =>
    loadConfig({
      ...environment,
      ROUTE_MANIFEST: '{"routes":[]}',
      CACHE_KEY_MODE: 'identity',
      JWT_ISSUERS: issuers.length > 0 ? JSON.stringify(issuerSpecsForValidation(issuers)) : undefined,
      KEY_TABLE_NAME: apiKeys ? 'placeholder' : undefined,
      DEFAULT_USAGE_IDENTIFIER_KEY: props.defaultPlan !== undefined ? 'placeholder' : undefined,
    }),
  );

  return Object.freeze({
    issuers: Object.freeze([...issuers]),
    apiKeys,
    keyPrefix,
    knownScopes,
    resultsCacheTtlSeconds,
    identitySources,
    plans,
    defaultPlan: props.defaultPlan,
    metricsNamespace,
    serviceName: props.serviceName,
    existingApi: resolveExistingApi(props.existingApi),
    authorizerName: props.authorizerName,
    function: functionSettings,
    environment: Object.freeze(environment),
  });
}
