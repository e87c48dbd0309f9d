/**
 * PROTOTYPE (bench only): lambda/create-handler.ts + lambda/authorize.ts with the proposals of bench/README.md
 * applied, so the micro section can measure them side by side with the real handler:
 * - JWTs go through bench/prototype/jwt-authenticator.ts (one decomposition, one-shot crypto.verify);
 * - the route decision and the memo key are computed once per verified identity / key record (a WeakMap on the
 *   frozen scopes array the caches already hold), not per request;
 * - no `{ ...spread, more }` object literals on the request path (about 4 us each on Node 20, see README): the
 *   handler builds its log entry once, and the default decision log is bench/prototype/decision-log.ts;
 * - the Authorization header is found with a fast path (bench/prototype/credentials.ts).
 * Everything else (credential parsing, API keys, bindings, policy building, the log line) is the real module.
 */
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent, Statement } from 'aws-lambda';
import { ApiKeyAuthenticator } from '../../lambda/api-key-authenticator';
import { MAX_SCOPES_CONTEXT_LENGTH } from '../../lambda/authorize';
import { ClientBindingResolver } from '../../lambda/client-bindings';
import type { AuthorizerConfig, OidcIssuerConfig } from '../../lambda/config';
import { UNAUTHORIZED, type HandlerOverrides } from '../../lambda/create-handler';
import type { DecisionEntry } from '../../lambda/decision-log';
import { errorName } from '../../lambda/dynamodb-key-store';
import { CredentialRejectedError, DependencyFaultError } from '../../lambda/errors';
import { HardenedJwksCache } from '../../lambda/jwks-cache';
import { createJwksFetcher } from '../../lambda/jwks-fetcher';
import { LruCache } from '../../lambda/lru-cache';
import { buildRouteStatements, decideRoutes, parseMethodArn, policyDocument, type AuthorizerContext, type RouteDecision } from '../../lambda/policy';
import { extractCredential } from './credentials';
import { PrototypeDecisionLog } from './decision-log';
import { PrototypeJwtAuthenticator } from './jwt-authenticator';

export interface PrototypeOptions extends HandlerOverrides {
  readonly signature?: 'library' | 'one-shot';
}

interface ScopeDecision {
  readonly routes: RouteDecision;
  readonly allowedSet: ReadonlySet<number>;
  readonly memoSuffix: string;
  readonly scopesContext: AuthorizerContext;
}

function scopesContext(scopes: readonly string[]): AuthorizerContext {
  const joined = scopes.join(' ');
  if (joined.length <= MAX_SCOPES_CONTEXT_LENGTH) return { scopes: joined };
  const cut = joined.lastIndexOf(' ', MAX_SCOPES_CONTEXT_LENGTH);
  return { scopes: joined.slice(0, Math.max(cut, 0)), scopesTruncated: true };
}

export function createPrototypeHandler(config: AuthorizerConfig, options: PrototypeOptions = {}) {
  const nowMs = options.nowMs ?? Date.now;
  const log = options.log ?? new PrototypeDecisionLog({ serviceName: config.serviceName, level: config.logLevel, metricsNamespace: config.metricsNamespace });
  const keyStore = options.keyStore;
  const jwt =
    config.issuers.length === 0
      ? undefined
      : new PrototypeJwtAuthenticator({
          issuers: config.issuers.filter((i): i is OidcIssuerConfig => i.kind === 'oidc'),
          jwksCache: new HardenedJwksCache({
            fetchDocument: createJwksFetcher({ timeoutMs: config.jwksTimeoutMs, maxBytes: config.jwksMaxBytes, extraCa: config.jwksExtraCa }),
            refetchIntervalMs: config.jwksRefetchIntervalSeconds * 1000,
            maxAgeMs: config.jwksMaxAgeSeconds * 1000,
            nowMs,
          }),
          clockSkewSeconds: config.clockSkewSeconds,
          maxTokenLifetimeSeconds: config.maxTokenLifetimeSeconds,
          verifiedTokenCacheTtlMs: config.verifiedTokenCacheTtlSeconds * 1000,
          verifiedTokenCacheMaxEntries: config.verifiedTokenCacheMaxEntries,
          nowMs,
          signature: options.signature ?? 'one-shot',
        });
  const apiKeys =
    keyStore === undefined
      ? undefined
      : new ApiKeyAuthenticator({
          store: keyStore,
          keyPrefix: config.apiKeyPrefix,
          cacheTtlMs: config.keyCacheTtlSeconds * 1000,
          negativeCacheTtlMs: config.keyNegativeCacheTtlSeconds * 1000,
          cacheMaxEntries: config.keyCacheMaxEntries,
          lastUsedIntervalSeconds: config.lastUsedIntervalSeconds,
          nowMs,
          onLastUsedError: (error, keyId) => log.warn('last-used update failed', { keyId, error: errorName(error) }),
        });
  const clientBindings = new ClientBindingResolver({
    store: keyStore,
    defaultBinding: { plan: config.defaultPlan, usageIdentifierKey: config.defaultUsageIdentifierKey },
    cacheTtlMs: config.keyCacheTtlSeconds * 1000,
    negativeCacheTtlMs: config.keyNegativeCacheTtlSeconds * 1000,
    cacheMaxEntries: config.keyCacheMaxEntries,
    nowMs,
  });
  const manifest = config.manifest;
  const policyMemo = new LruCache<string, Statement[]>(256);
  const decisions = new WeakMap<readonly string[], ScopeDecision>();
  const decisionFor = (scopes: readonly string[]): ScopeDecision => {
    let decision = decisions.get(scopes);
    if (decision === undefined) {
      const routes = decideRoutes(manifest, new Set(scopes));
      decision = { routes, allowedSet: new Set(routes.allowed), memoSuffix: routes.allowed.join(','), scopesContext: scopesContext(scopes) };
      decisions.set(scopes, decision);
    }
    return decision;
  };


  const handler = async (event: APIGatewayRequestAuthorizerEvent, context?: { awsRequestId?: string }): Promise<APIGatewayAuthorizerResult> => {
    const started = performance.now();
    const method = String(event?.httpMethod ?? '');
    const route = `${event?.httpMethod ?? ''} ${event?.resource ?? ''}`;
    try {
      const arn = parseMethodArn(event.methodArn);
      const credential = extractCredential(event.headers, event.multiValueHeaders);
      let principalId: string;
      let scopes: readonly string[];
      let callerContext: AuthorizerContext;
      let usageIdentifierKey: string | undefined;
      let keyId: string | undefined;
      let cacheHit: boolean;
      let authMethod: 'jwt' | 'apiKey';
      if (credential.kind === 'jwt') {
        if (!jwt) throw new CredentialRejectedError('unknown_issuer', 'No JWT issuer is configured');
        const verified = await jwt.authenticate(credential.token);
        const identity = verified.identity;
        const binding = await clientBindings.resolve(identity.issuer, identity.clientId);
        scopes = identity.scopes;
        callerContext = { authMethod: 'jwt', issuer: identity.issuer, ...decisionFor(scopes).scopesContext };
        if (identity.subject !== undefined) callerContext.sub = identity.subject;
        if (identity.clientId !== undefined) callerContext.clientId = identity.clientId;
        if (binding.plan !== undefined) callerContext.plan = binding.plan;
        principalId = identity.principal;
        usageIdentifierKey = binding.usageIdentifierKey;
        cacheHit = verified.cacheHit;
        authMethod = 'jwt';
      } else {
        if (!apiKeys) throw new CredentialRejectedError('unknown_api_key', 'API keys are not enabled');
        const verified = await apiKeys.authenticate(credential.key, credential.claimedKeyId);
        const rec = verified.record;
        scopes = rec.scopes;
        callerContext = { authMethod: 'apiKey', keyId: rec.keyId, owner: rec.owner, ...decisionFor(scopes).scopesContext };
        if (rec.plan !== undefined) callerContext.plan = rec.plan;
        principalId = rec.keyId;
        usageIdentifierKey = rec.usageIdentifierKey;
        keyId = rec.keyId;
        cacheHit = verified.cacheHit;
        authMethod = 'apiKey';
      }
      const decision = decisionFor(scopes);
      const memoKey = `${arn.stageArn}|${decision.memoSuffix}`;
      let statements = policyMemo.get(memoKey, 0);
      if (statements === undefined) {
        statements = buildRouteStatements(arn.stageArn, manifest, decision.routes);
        policyMemo.set(memoKey, statements, Number.POSITIVE_INFINITY, 0);
      }
      const requested = manifest.find(event.httpMethod, event.resource);
      const allowed = requested !== undefined && decision.allowedSet.has(manifest.routes.indexOf(requested));
      const reason = allowed ? 'authorized' : requested === undefined ? 'route_not_in_manifest' : 'insufficient_scope';
      const result: APIGatewayAuthorizerResult = { principalId, policyDocument: policyDocument(statements, allowed ? undefined : event.methodArn), context: callerContext };
      if (usageIdentifierKey !== undefined) result.usageIdentifierKey = usageIdentifierKey;
      const decisionName = allowed ? 'allow' : 'deny';
      const entry: DecisionEntry = { method, route, decision: decisionName, reason, authMethod, principal: principalId, keyId, cacheHit, latencyMs: Math.round((performance.now() - started) * 1000) / 1000 };
      log.decision(entry, context?.awsRequestId);
      return result;
    } catch (error) {
      const latencyMs = Math.round((performance.now() - started) * 1000) / 1000;
      if (error instanceof CredentialRejectedError) {
        log.decision({ method, route, decision: 'unauthorized', reason: error.code, latencyMs }, context?.awsRequestId);
        throw new Error(UNAUTHORIZED);
      }
      const code = error instanceof DependencyFaultError ? error.code : 'internal_error';
      log.decision({ method, route, decision: 'error', reason: code, latencyMs }, context?.awsRequestId);
      throw new Error(`Authorizer could not decide (${code})`);
    }
  };
  return { handler, apiKeys };
}
