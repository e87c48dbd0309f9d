/**
 * Wires the authorizer from its configuration: the collaborators are built once per container and reused by every
 * invocation (JWKS, key and token caches survive across requests). The handler only adapts the API Gateway event
 * and the result; `authorize` decides.
 */
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { authorize, type AuthorizerDependencies } from './authorize';
import { ClientBindingResolver } from './client-bindings';
import type { AuthorizerConfig } from './config';
import { DecisionLog } from './decision-log';
import { DecisionMemo } from './decision-memo';
import type { KeyStore } from './dynamodb-key-store';
import { errorName } from './error-name';
import { CredentialRejectedError, DependencyFaultError, withoutStack } from './errors';
import { HardenedJwksCache } from './jwks-cache';
import { createJwksFetcher } from './jwks-fetcher';
import { JwtAuthenticator } from './jwt-authenticator';
import type { IssuerFeatureOverrides, IssuerFeatures } from './issuer-features';
import { keyTableFeatures, optionalFeatures } from './split-features-loader';
import { MethodArnMemo } from './policy';
import { ScopePolicies } from './scope-policies';

/** The message API Gateway maps to 401. Any other error becomes a 500. */
export const UNAUTHORIZED = 'Unauthorized';

export interface HandlerOverrides {
  /** Defaults to JSON lines on stdout, per the configuration's log level and metrics namespace. */
  readonly log?: DecisionLog;
  readonly nowMs?: () => number;
  /** Defaults to DynamoDB through the SDK. */
  readonly keyStore?: KeyStore;
  /** Discovery, introspection: see issuer-features.ts. */
  readonly issuerFeatures?: IssuerFeatureOverrides;
}

export interface AuthorizerHandler {
  readonly handler: (event: APIGatewayRequestAuthorizerEvent, context?: { awsRequestId?: string }) => Promise<APIGatewayAuthorizerResult>;
  readonly deps: AuthorizerDependencies;
}

function elapsedMs(started: number): number {
  return Math.round((performance.now() - started) * 1000) / 1000;
}

export function createAuthorizerHandler(config: AuthorizerConfig, overrides: HandlerOverrides = {}): AuthorizerHandler {
  const nowMs = overrides.nowMs ?? Date.now;
  const log =
    overrides.log ??
    new DecisionLog({ serviceName: config.serviceName, level: config.logLevel, metricsNamespace: config.metricsNamespace });

  // Discovery and introspection ship with the optional features: loaded only when an issuer uses one of them.
  const issuerFeatures: IssuerFeatures | undefined = config.issuers.some((issuer) => issuer.discovery !== undefined || issuer.introspection !== undefined)
    ? optionalFeatures().createIssuerFeatures(config, nowMs, overrides.issuerFeatures)
    : undefined;
  const fetchJwks = createJwksFetcher({ timeoutMs: config.jwksTimeoutMs, maxBytes: config.jwksMaxBytes, extraCa: config.jwksExtraCa });
  const jwt: JwtAuthenticator | undefined =
    config.issuers.length === 0
      ? undefined
      : new JwtAuthenticator({
          issuers: config.issuers,
          jwksCache: new HardenedJwksCache({
            fetchDocument: issuerFeatures?.withDiscovery(fetchJwks) ?? fetchJwks,
            refetchIntervalMs: config.jwksRefetchIntervalSeconds * 1000,
            maxAgeMs: config.jwksMaxAgeSeconds * 1000,
            nowMs,
            onBackgroundError: (error) => log.warn('JWKS background refresh failed', { error: errorName(error), reason: (error as Error).message }),
            onKeysChanged: (jwksUri) => {
              log.warn('JWKS keys removed or replaced: verified tokens dropped', { jwksUri });
              jwt?.forgetVerifiedTokens(); // called on a later refresh, once jwt exists
            },
            // The kid and why, never key material.
            onKeyDropped: (jwksUri, dropped) => log.warn('JWKS key dropped: it cannot verify tokens', { jwksUri, ...dropped }),
          }),
          clockSkewSeconds: config.clockSkewSeconds,
          maxTokenLifetimeSeconds: config.maxTokenLifetimeSeconds,
          verifiedTokenCacheTtlMs: config.verifiedTokenCacheTtlSeconds * 1000,
          verifiedTokenCacheMaxEntries: config.verifiedTokenCacheMaxEntries,
          nowMs,
        });

  // Cold start: fetch the issuers' JWKS now, while the runtime starts (aws-jwt-verify's `hydrate`), so the first
  // request does not wait for a TLS handshake to the issuer; it joins the fetch if still in flight. A failure is only
  // logged: the request path fetches as it would have.
  void jwt?.hydrate().then((failures) => {
    for (const failure of failures) log.warn('JWKS prefetch at cold start failed', { jwksUri: failure.jwksUri, error: errorName(failure.error), reason: (failure.error as Error).message });
  });

  // API keys and client bindings ship with the key table's features: loaded only when there is a key table.
  const keyTable =
    config.keyTableName === undefined && overrides.keyStore === undefined
      ? undefined
      : keyTableFeatures().createKeyTableFeatures(config, {
          store: overrides.keyStore,
          nowMs,
          onLastUsedError: (error, keyId) => log.warn('last-used update failed', { keyId, error: errorName(error) }),
        });

  const deps: AuthorizerDependencies = {
    manifest: config.manifest,
    cacheKeyMode: config.cacheKeyMode,
    jwt,
    introspection: issuerFeatures?.introspection,
    apiKeys: keyTable?.apiKeys,
    clientBindings: new ClientBindingResolver({
      lookup: keyTable?.clientBindings,
      defaultBinding: { plan: config.defaultPlan, usageIdentifierKey: config.defaultUsageIdentifierKey },
    }),
    policies: new ScopePolicies(config.manifest),
    decisions: new DecisionMemo(),
    methodArns: new MethodArnMemo(),
  };

  const handler = async (
    event: APIGatewayRequestAuthorizerEvent,
    context?: { awsRequestId?: string },
  ): Promise<APIGatewayAuthorizerResult> => {
    const started = performance.now();
    const requestId = context?.awsRequestId;
    // Entries are written as plain literals: object spread on this path costs microseconds per request in V8.
    const method = String(event?.httpMethod ?? '');
    const route = `${method} ${event?.resource ?? ''}`;
    try {
      // Most requests are decided synchronously (caches, keys at hand): no await, so no extra microtask, for them.
      const pending = authorize(event, deps);
      const decision = pending instanceof Promise ? await pending : pending;
      log.decision(
        {
          decision: decision.effect === 'Allow' ? 'allow' : 'deny',
          reason: decision.reason,
          method,
          route,
          authMethod: decision.authMethod,
          principal: decision.principalId,
          keyId: decision.keyId,
          cacheHit: decision.cacheHit,
          latencyMs: elapsedMs(started),
        },
        requestId,
      );
      return decision.result;
    } catch (error) {
      if (error instanceof CredentialRejectedError) {
        log.decision({ decision: 'unauthorized', reason: error.code, method, route, latencyMs: elapsedMs(started) }, requestId);
        throw withoutStack(() => new Error(UNAUTHORIZED));
      }
      const code = error instanceof DependencyFaultError ? error.code : 'internal_error';
      log.decision({ decision: 'error', reason: code, method, route, latencyMs: elapsedMs(started) }, requestId);
      // Anything but "Unauthorized" makes API Gateway answer 500 and cache nothing.
      throw new Error(`Authorizer could not decide (${code})`);
    }
  };

  return { handler, deps };
}
