/**
 * The decision, free of Lambda plumbing: credential -> verified identity -> routes its scopes allow -> policy.
 * Throws CredentialRejectedError (401) or DependencyFaultError (500); returns Allow or Deny (403) otherwise.
 * No path returns Allow without a fully verified credential.
 */
import type { APIGatewayAuthorizerResult } from 'aws-lambda';
import type { ApiKeyAuthenticator } from './api-key-authenticator';
import { assertCertificateBinding, type ClientCertificateContext } from './certificate-binding';
import type { ClientBindingResolver, UsageBinding } from './client-bindings';
import { extractCredential, type HeaderMap, type MultiValueHeaderMap } from './credentials';
import { CredentialRejectedError } from './errors';
import { isCompactJws, type TokenIntrospector } from './introspection';
import type { JwtAuthenticator, JwtIdentity } from './jwt-authenticator';
import type { ApiKeyRecord } from './key-table-schema';
import type { CacheKeyMode } from './cache-key-mode';
import {
  allowedByPattern,
  buildRouteStatements,
  decideRoutes,
  parseMethodArn,
  policyDocument,
  requestPolicyDocument,
  type AuthorizerContext,
  type RouteDecision,
} from './policy';
import type { CompiledManifest } from './route-manifest';
import type { PolicyDocument, Statement } from 'aws-lambda';

export interface AuthorizerRequest {
  readonly methodArn: string;
  readonly httpMethod: string;
  /** The resource template, e.g. `/items/{id}`. */
  readonly resource: string;
  readonly headers: HeaderMap;
  readonly multiValueHeaders: MultiValueHeaderMap;
  /** Carries the mutual-TLS client certificate, for certificate-bound tokens. */
  readonly requestContext?: ClientCertificateContext | null;
}

export interface AuthorizerDependencies {
  readonly manifest: CompiledManifest;
  /** The gateway's result cache key (lambda/cache-key-mode.ts). Default `identity`: safe under any key. */
  readonly cacheKeyMode?: CacheKeyMode;
  readonly jwt?: JwtAuthenticator;
  /** Opaque (non-JWS) bearer tokens, when an issuer has an introspection endpoint. */
  readonly introspection?: TokenIntrospector;
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

/**
 * A verified credential: a token identity (with the usage binding of its client) or an API key record. Plain data,
 * no closures: nothing is allocated per request beyond this object.
 */
type VerifiedCaller =
  | { readonly kind: 'jwt'; readonly identity: JwtIdentity; readonly binding: UsageBinding; readonly cacheHit: boolean }
  | { readonly kind: 'apiKey'; readonly record: ApiKeyRecord; readonly cacheHit: boolean };

const sourceOf = (caller: VerifiedCaller): object => (caller.kind === 'jwt' ? caller.identity : caller.record);
const planOf = (caller: VerifiedCaller) => (caller.kind === 'jwt' ? caller.binding.plan : caller.record.plan);
const usageKeyOf = (caller: VerifiedCaller) => (caller.kind === 'jwt' ? caller.binding.usageIdentifierKey : caller.record.usageIdentifierKey);

/** The context the backend receives: flat values only, absent ones left out (API Gateway refuses null values). */
function contextOf(caller: VerifiedCaller, scopes: ScopeDecision): AuthorizerContext {
  if (caller.kind === 'apiKey') {
    const { record } = caller;
    const context: AuthorizerContext = { authMethod: 'apiKey', keyId: record.keyId, owner: record.owner, scopes: scopes.scopes };
    if (scopes.scopesTruncated) context.scopesTruncated = true;
    if (record.plan !== undefined) context.plan = record.plan;
    return context;
  }
  const { identity, binding } = caller;
  const context: AuthorizerContext = { authMethod: 'jwt', issuer: identity.issuer, scopes: scopes.scopes };
  if (scopes.scopesTruncated) context.scopesTruncated = true;
  if (identity.subject !== undefined) context.sub = identity.subject;
  if (identity.clientId !== undefined) context.clientId = identity.clientId;
  if (binding.plan !== undefined) context.plan = binding.plan;
  return context;
}

/** Few distinct (stage, allowed routes) pairs exist; the memo is simply emptied if it ever grows past this. */
const MAX_MEMOISED_POLICIES = 256;

export interface MemoisedPolicy {
  /** Identity-keyed route statements (Allow only). */
  readonly statements: readonly Statement[];
  /** The routes those statements allow by pattern. */
  readonly patternAllowed: ReadonlySet<number>;
  /** The document for a request the statements already answer (an allowed route by its pattern). */
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

function verifyCaller(request: AuthorizerRequest, deps: AuthorizerDependencies): Eventually<VerifiedCaller> {
  const credential = extractCredential(request.headers, request.multiValueHeaders);
  if (credential.kind === 'jwt') {
    if (!deps.jwt) throw new CredentialRejectedError('unknown_issuer', 'No JWT issuer is configured');
    if (deps.introspection !== undefined && !isCompactJws(credential.token)) return introspectedCaller(credential.token, request, deps, deps.introspection);
    const remembered = deps.jwt.cached(credential.token);
    if (remembered !== undefined) return jwtCaller(remembered, true, deps, request);
    const verified = deps.jwt.verify(credential.token, credential.base64urlText);
    return verified instanceof Promise
      ? verified.then((identity) => jwtCaller(identity, false, deps, request))
      : jwtCaller(verified, false, deps, request);
  }
  if (!deps.apiKeys) throw new CredentialRejectedError('unknown_api_key', 'API keys are not enabled');
  const cached = deps.apiKeys.authenticateCached(credential.key, credential.claimedKeyId);
  if (cached !== undefined) return { kind: 'apiKey', record: cached.record, cacheHit: cached.cacheHit };
  return deps.apiKeys
    .authenticate(credential.key, credential.claimedKeyId)
    .then(({ record, cacheHit }): VerifiedCaller => ({ kind: 'apiKey', record, cacheHit }));
}

/** An opaque token: introspected (or remembered from an earlier introspection), then treated as a verified token. */
function introspectedCaller(token: string, request: AuthorizerRequest, deps: AuthorizerDependencies, introspection: TokenIntrospector): Eventually<VerifiedCaller> {
  const remembered = introspection.cached(token);
  if (remembered !== undefined) return jwtCaller(remembered, true, deps, request);
  return introspection.introspect(token).then((identity) => jwtCaller(identity, false, deps, request));
}

function jwtCaller(identity: JwtIdentity, cacheHit: boolean, deps: AuthorizerDependencies, request: AuthorizerRequest): Eventually<VerifiedCaller> {
  // RFC 8705: checked per request, after any cache, against this request's certificate (certificate-binding.ts).
  if (identity.certificateThumbprint !== undefined) assertCertificateBinding(identity.certificateThumbprint, request.requestContext);
  const binding = deps.clientBindings.resolveCached(identity.issuer, identity.clientId);
  if (binding !== undefined) return { kind: 'jwt', identity, binding, cacheHit };
  return deps.clientBindings
    .resolve(identity.issuer, identity.clientId)
    .then((resolved): VerifiedCaller => ({ kind: 'jwt', identity, binding: resolved, cacheHit }));
}

/**
 * The decision for one request: synchronous when the credential is answered from the caches or verified with keys at
 * hand, a promise when a JWKS, key record or client binding must be fetched. Throws (or rejects with)
 * CredentialRejectedError (401) or DependencyFaultError (500).
 */
export function authorize(request: AuthorizerRequest, deps: AuthorizerDependencies): Eventually<AuthorizationDecision> {
  const caller = verifyCaller(request, deps);
  return caller instanceof Promise ? caller.then((verified) => decide(request, deps, verified)) : decide(request, deps, caller);
}

function decide(request: AuthorizerRequest, deps: AuthorizerDependencies, caller: VerifiedCaller): AuthorizationDecision {
  const source = sourceOf(caller);
  const plan = planOf(caller);
  const usageIdentifierKey = usageKeyOf(caller);
  // The same credential (already re-checked above: expiry, revocation by cache TTL) on the same route and stage
  // with the same usage binding gets the same answer: reuse it instead of rebuilding policy and context.
  const memo = deps.decisionMemo.get(source);
  if (
    memo !== undefined &&
    memo.methodArn === request.methodArn &&
    memo.resource === request.resource &&
    memo.httpMethod === request.httpMethod &&
    memo.plan === plan &&
    memo.usageIdentifierKey === usageIdentifierKey
  ) {
    const d = memo.decision;
    return { effect: d.effect, reason: d.reason, authMethod: d.authMethod, principalId: d.principalId, keyId: d.keyId, cacheHit: caller.cacheHit, result: d.result };
  }

  const arn = parseMethodArn(request.methodArn);
  const scopes = decideScopes(deps.manifest, caller.kind === 'jwt' ? caller.identity.scopes : caller.record.scopes);
  let policy = scopes.policyByStage.get(arn.stageArn);
  if (policy === undefined) {
    // Shared by every scope list that allows the same routes.
    const memoKey = `${arn.stageArn}|${scopes.memoSuffix}`;
    policy = deps.policyMemo.get(memoKey);
    if (policy === undefined) {
      const statements = deepFreeze(buildRouteStatements(arn.stageArn, deps.manifest, scopes.routes));
      const patternAllowed = new Set(allowedByPattern(arn.stageArn, deps.manifest, scopes.routes));
      policy = { statements, patternAllowed, allowDocument: deepFreeze(policyDocument(statements, undefined)) };
      if (deps.policyMemo.size >= MAX_MEMOISED_POLICIES) deps.policyMemo.clear();
      deps.policyMemo.set(memoKey, policy);
    }
    if (scopes.policyByStage.size >= MAX_STAGES_PER_SCOPE_LIST) scopes.policyByStage.clear();
    scopes.policyByStage.set(arn.stageArn, policy);
  }

  const requested = deps.manifest.find(request.httpMethod, request.resource);
  const requestedIndex = requested === undefined ? undefined : deps.manifest.routes.indexOf(requested);
  const allowed = requestedIndex !== undefined && scopes.allowed.has(requestedIndex);
  const reason = allowed ? 'authorized' : requested === undefined ? 'route_not_in_manifest' : 'insufficient_scope';
  const document = requestPolicyDocument(
    {
      mode: deps.cacheKeyMode ?? 'identity',
      arn,
      methodArn: request.methodArn,
      manifest: deps.manifest,
      routeStatements: policy.statements,
      patternAllowed: policy.patternAllowed,
      allowedRoutes: scopes.allowed,
      requested: requestedIndex,
    },
    policy.allowDocument,
  );
  const principalId = caller.kind === 'jwt' ? caller.identity.principal : caller.record.keyId;

  const result: APIGatewayAuthorizerResult = {
    principalId,
    policyDocument: deepFreeze(document),
    context: Object.freeze(contextOf(caller, scopes)),
  };
  if (usageIdentifierKey !== undefined) result.usageIdentifierKey = usageIdentifierKey;
  // Shared by every request the memo answers (and the policy by every caller with these scopes): all frozen, so no
  // consumer can change an answer for the next request.
  Object.freeze(result);
  const decision: AuthorizationDecision = {
    effect: allowed ? 'Allow' : 'Deny',
    reason,
    authMethod: caller.kind,
    principalId,
    keyId: caller.kind === 'apiKey' ? caller.record.keyId : undefined,
    cacheHit: caller.cacheHit,
    result,
  };
  // Remembered from the second sighting on: a credential seen once (most first-seen tokens) costs no memo entry.
  if (caller.cacheHit) {
    deps.decisionMemo.set(source, { methodArn: request.methodArn, httpMethod: request.httpMethod, resource: request.resource, plan, usageIdentifierKey, decision });
  }
  return decision;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
