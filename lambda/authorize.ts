/**
 * The decision, free of Lambda plumbing: credential -> verified identity -> routes its scopes allow -> policy.
 * Throws CredentialRejectedError (401) or DependencyFaultError (500); returns Allow or Deny (403) otherwise.
 * No path returns Allow without a fully verified credential.
 */
import type { APIGatewayAuthorizerResult } from 'aws-lambda';
import type { ApiKeyAuthenticator } from './api-key-authenticator';
import type { ClientBindingResolver } from './client-bindings';
import { extractCredential, type HeaderMap, type MultiValueHeaderMap } from './credentials';
import { CredentialRejectedError } from './errors';
import type { JwtAuthenticator, JwtIdentity } from './jwt-authenticator';
import { buildRouteStatements, decideRoutes, parseMethodArn, policyDocument, type AuthorizerContext, type RouteDecision } from './policy';
import type { CompiledManifest } from './route-manifest';
import type { PolicyDocument, Statement } from 'aws-lambda';

export interface AuthorizerRequest {
  readonly methodArn: string;
  readonly httpMethod: string;
  /** The resource template, e.g. `/items/{id}`. */
  readonly resource: string;
  readonly headers: HeaderMap;
  readonly multiValueHeaders: MultiValueHeaderMap;
}

export interface AuthorizerDependencies {
  readonly manifest: CompiledManifest;
  readonly jwt?: JwtAuthenticator;
  readonly apiKeys?: ApiKeyAuthenticator;
  readonly clientBindings: ClientBindingResolver;
  /** Memo of route statements (and the Allow document) per (stage, allowed routes); built once per container. */
  readonly policyMemo: Map<string, MemoisedPolicy>;
  readonly decisionMemo: DecisionMemo;
}

export type DenyReason = 'insufficient_scope' | 'route_not_in_manifest';

export interface AuthorizationDecision {
  readonly effect: 'Allow' | 'Deny';
  readonly reason: 'authorized' | DenyReason;
  readonly authMethod: 'jwt' | 'apiKey';
  readonly principalId: string;
  readonly keyId?: string;
  readonly cacheHit: boolean;
  readonly result: APIGatewayAuthorizerResult;
}

/** Longest `scopes` context value; longer lists are cut at a scope boundary and flagged. */
export const MAX_SCOPES_CONTEXT_LENGTH = 2048;

interface VerifiedCaller {
  /** The cached identity or key record behind the credential (the decision memo's key). */
  readonly source: object;
  readonly authMethod: 'jwt' | 'apiKey';
  readonly principalId: string;
  readonly scopeList: readonly string[];
  readonly plan?: string;
  readonly usageIdentifierKey?: string;
  readonly keyId?: string;
  readonly cacheHit: boolean;
  /** Built only when a decision is made (not when the memo answers). */
  readonly context: (scopes: ScopeDecision) => AuthorizerContext;
}

/** Few distinct (stage, allowed routes) pairs exist; the memo is simply emptied if it ever grows past this. */
const MAX_MEMOISED_POLICIES = 256;

export interface MemoisedPolicy {
  readonly statements: readonly Statement[];
  /** The document for a request the scopes allow (no request-specific Deny). */
  readonly allowDocument: PolicyDocument;
}

export function createPolicyMemo(): Map<string, MemoisedPolicy> {
  return new Map();
}

/** What a scope list decides, independent of the request: computed once per list (lists are frozen and cached). */
interface ScopeDecision {
  readonly routes: RouteDecision;
  readonly allowed: ReadonlySet<number>;
  /** The allowed routes, as part of the policy memo key. */
  readonly memoSuffix: string;
  readonly scopes: string;
  readonly scopesTruncated: boolean;
  /** This list's policies by stage ARN (the parsed ARN's string is reused, so no key is built per request). */
  readonly policyByStage: Map<string, MemoisedPolicy>;
}

/** Stages one scope list is remembered for; a deployment has a few. */
const MAX_STAGES_PER_SCOPE_LIST = 16;

const scopeDecisions = new WeakMap<CompiledManifest, WeakMap<readonly string[], ScopeDecision>>();

function decideScopes(manifest: CompiledManifest, scopes: readonly string[]): ScopeDecision {
  let byScopes = scopeDecisions.get(manifest);
  if (byScopes === undefined) {
    byScopes = new WeakMap();
    scopeDecisions.set(manifest, byScopes);
  }
  let decision = byScopes.get(scopes);
  if (decision === undefined) {
    const routes = decideRoutes(manifest, new Set(scopes));
    const joined = scopes.join(' ');
    const truncated = joined.length > MAX_SCOPES_CONTEXT_LENGTH;
    decision = {
      routes,
      allowed: new Set(routes.allowed),
      memoSuffix: routes.allowed.join(','),
      scopes: truncated ? joined.slice(0, Math.max(joined.lastIndexOf(' ', MAX_SCOPES_CONTEXT_LENGTH), 0)) : joined,
      scopesTruncated: truncated,
      policyByStage: new Map(),
    };
    byScopes.set(scopes, decision);
  }
  return decision;
}

/** The last decision made for one verified credential (a cached token identity or key record), reused verbatim. */
interface MemoisedDecision {
  readonly methodArn: string;
  readonly httpMethod: string;
  readonly resource: string;
  readonly plan?: string;
  readonly usageIdentifierKey?: string;
  readonly decision: AuthorizationDecision;
}

/**
 * Keyed by the cached identity or record object itself: an entry lives exactly as long as the cache keeps that
 * object (a new token verification or a re-read record is a new object), so the memo can never outlive a check.
 */
export type DecisionMemo = WeakMap<object, MemoisedDecision>;

export function createDecisionMemo(): DecisionMemo {
  return new WeakMap();
}

/** A value now, or later: the common (cached, keys at hand) path stays synchronous, with no promise per layer. */
type Eventually<T> = T | Promise<T>;

const then = <T, R>(value: Eventually<T>, next: (value: T) => R | Promise<R>): Eventually<R> =>
  value instanceof Promise ? value.then(next) : next(value);

function verifyCaller(request: AuthorizerRequest, deps: AuthorizerDependencies): Eventually<VerifiedCaller> {
  const credential = extractCredential(request.headers, request.multiValueHeaders);
  if (credential.kind === 'jwt') {
    if (!deps.jwt) throw new CredentialRejectedError('unknown_issuer', 'No JWT issuer is configured');
    const remembered = deps.jwt.cached(credential.token);
    if (remembered !== undefined) return jwtCaller(remembered, true, deps);
    return then(deps.jwt.verify(credential.token, credential.base64urlText), (identity) => jwtCaller(identity, false, deps));
  }
  if (!deps.apiKeys) throw new CredentialRejectedError('unknown_api_key', 'API keys are not enabled');
  const cached = deps.apiKeys.authenticateCached(credential.key, credential.claimedKeyId);
  return then(cached ?? deps.apiKeys.authenticate(credential.key, credential.claimedKeyId), ({ record, cacheHit }) => ({
    source: record,
    authMethod: 'apiKey' as const,
    principalId: record.keyId,
    scopeList: record.scopes,
    plan: record.plan,
    usageIdentifierKey: record.usageIdentifierKey,
    keyId: record.keyId,
    cacheHit,
    context: (scopes) => {
      const context: AuthorizerContext = { authMethod: 'apiKey', keyId: record.keyId, owner: record.owner, scopes: scopes.scopes };
      if (scopes.scopesTruncated) context.scopesTruncated = true;
      if (record.plan !== undefined) context.plan = record.plan;
      return context;
    },
  }));
}

function jwtCaller(identity: JwtIdentity, cacheHit: boolean, deps: AuthorizerDependencies): Eventually<VerifiedCaller> {
  const binding =
    deps.clientBindings.resolveCached(identity.issuer, identity.clientId) ??
    deps.clientBindings.resolve(identity.issuer, identity.clientId);
  return then(binding, (resolved) => ({
    source: identity,
    authMethod: 'jwt' as const,
    principalId: identity.principal,
    scopeList: identity.scopes,
    plan: resolved.plan,
    usageIdentifierKey: resolved.usageIdentifierKey,
    keyId: undefined,
    cacheHit,
    context: (scopes) => {
      // Flat values only; absent ones are left out (API Gateway refuses null context values).
      const context: AuthorizerContext = { authMethod: 'jwt', issuer: identity.issuer, scopes: scopes.scopes };
      if (scopes.scopesTruncated) context.scopesTruncated = true;
      if (identity.subject !== undefined) context.sub = identity.subject;
      if (identity.clientId !== undefined) context.clientId = identity.clientId;
      if (resolved.plan !== undefined) context.plan = resolved.plan;
      return context;
    },
  }));
}

/**
 * The decision for one request: synchronous when the credential is answered from the caches or verified with keys at
 * hand, a promise when a JWKS, key record or client binding must be fetched. Throws (or rejects with)
 * CredentialRejectedError (401) or DependencyFaultError (500).
 */
export function authorize(request: AuthorizerRequest, deps: AuthorizerDependencies): Eventually<AuthorizationDecision> {
  return then(verifyCaller(request, deps), (caller) => decide(request, deps, caller));
}

function decide(request: AuthorizerRequest, deps: AuthorizerDependencies, caller: VerifiedCaller): AuthorizationDecision {

  // The same credential (already re-checked above: expiry, revocation by cache TTL) on the same route and stage
  // with the same usage binding gets the same answer: reuse it instead of rebuilding policy and context.
  const memo = deps.decisionMemo.get(caller.source);
  if (
    memo !== undefined &&
    memo.methodArn === request.methodArn &&
    memo.resource === request.resource &&
    memo.httpMethod === request.httpMethod &&
    memo.plan === caller.plan &&
    memo.usageIdentifierKey === caller.usageIdentifierKey
  ) {
    const d = memo.decision;
    return { effect: d.effect, reason: d.reason, authMethod: d.authMethod, principalId: d.principalId, keyId: d.keyId, cacheHit: caller.cacheHit, result: d.result };
  }

  const arn = parseMethodArn(request.methodArn);
  const scopes = decideScopes(deps.manifest, caller.scopeList);
  const allowedRoutes = scopes.allowed;
  let policy = scopes.policyByStage.get(arn.stageArn);
  if (policy === undefined) {
    // Shared by every scope list that allows the same routes.
    const memoKey = `${arn.stageArn}|${scopes.memoSuffix}`;
    policy = deps.policyMemo.get(memoKey);
    if (policy === undefined) {
      const statements = deepFreeze(buildRouteStatements(arn.stageArn, deps.manifest, scopes.routes));
      policy = { statements, allowDocument: deepFreeze(policyDocument(statements, undefined)) };
      if (deps.policyMemo.size >= MAX_MEMOISED_POLICIES) deps.policyMemo.clear();
      deps.policyMemo.set(memoKey, policy);
    }
    if (scopes.policyByStage.size >= MAX_STAGES_PER_SCOPE_LIST) scopes.policyByStage.clear();
    scopes.policyByStage.set(arn.stageArn, policy);
  }

  const requested = deps.manifest.find(request.httpMethod, request.resource);
  const allowed = requested !== undefined && allowedRoutes.has(deps.manifest.routes.indexOf(requested));
  const reason = allowed ? 'authorized' : requested === undefined ? 'route_not_in_manifest' : 'insufficient_scope';

  const result: APIGatewayAuthorizerResult = {
    principalId: caller.principalId,
    policyDocument: allowed ? policy.allowDocument : deepFreeze(policyDocument(policy.statements, request.methodArn)),
    context: Object.freeze(caller.context(scopes)),
  };
  if (caller.usageIdentifierKey !== undefined) result.usageIdentifierKey = caller.usageIdentifierKey;
  // Shared by every request the memo answers (and the policy by every caller with these scopes): all frozen, so no
  // consumer can change an answer for the next request.
  Object.freeze(result);
  const decision: AuthorizationDecision = {
    effect: allowed ? 'Allow' : 'Deny',
    reason,
    authMethod: caller.authMethod,
    principalId: caller.principalId,
    keyId: caller.keyId,
    cacheHit: caller.cacheHit,
    result,
  };
  // Remembered from the second sighting on: a credential seen once (most first-seen tokens) costs no memo entry.
  if (caller.cacheHit) deps.decisionMemo.set(caller.source, {
    methodArn: request.methodArn,
    httpMethod: request.httpMethod,
    resource: request.resource,
    plan: caller.plan,
    usageIdentifierKey: caller.usageIdentifierKey,
    decision,
  });
  return decision;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
