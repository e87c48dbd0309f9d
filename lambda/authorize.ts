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
import type { DecisionMemo } from './decision-memo';
import { CredentialRejectedError } from './errors';
import { isCompactJws } from './compact-jws';
import type { TokenIntrospector } from './introspection';
import type { JwtAuthenticator, JwtIdentity } from './jwt-authenticator';
import type { ApiKeyRecord } from './key-table-schema';
import type { CacheKeyMode } from './cache-key-mode';
import { requestPolicyDocument, type AuthorizerContext, type MethodArnMemo } from './policy';
import type { CompiledManifest } from './route-manifest';
import { deepFreeze, type ScopeDecision, type ScopePolicies } from './scope-policies';

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
  /** What each scope list allows and its policy per stage, built once per container. */
  readonly policies: ScopePolicies;
  /** The last answer per cached credential. */
  readonly decisions: DecisionMemo<AuthorizationDecision>;
  /** The last method ARN parsed. */
  readonly methodArns: MethodArnMemo;
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

/**
 * A verified credential: a token identity (with the usage binding of its client) or an API key record. Plain data,
 * no closures: nothing is allocated per request beyond this object.
 */
type VerifiedCaller =
  | { readonly kind: 'jwt'; readonly identity: JwtIdentity; readonly binding: UsageBinding; readonly cacheHit: boolean }
  | { readonly kind: 'apiKey'; readonly record: ApiKeyRecord; readonly cacheHit: boolean };

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
  // A credential from the caches asking again for the same request and usage binding gets its last answer (the
  // memo only holds answers given to cached credentials, so cacheHit is the same too).
  // A credential seen for the first time has no answer to recall: no memo work (nor the question's object) for it.
  if (!caller.cacheHit) return decideAfresh(request, deps, caller);
  const credential = caller.kind === 'jwt' ? caller.identity : caller.record;
  const asked = {
    methodArn: request.methodArn,
    httpMethod: request.httpMethod,
    resource: request.resource,
    plan: caller.kind === 'jwt' ? caller.binding.plan : caller.record.plan,
    usageIdentifierKey: caller.kind === 'jwt' ? caller.binding.usageIdentifierKey : caller.record.usageIdentifierKey,
  };
  const remembered = deps.decisions.recall(credential, asked);
  if (remembered !== undefined) return remembered;
  const decision = decideAfresh(request, deps, caller);
  deps.decisions.remember(credential, asked, decision);
  return decision;
}

function decideAfresh(request: AuthorizerRequest, deps: AuthorizerDependencies, caller: VerifiedCaller): AuthorizationDecision {
  const arn = deps.methodArns.parse(request.methodArn);
  const scopes = deps.policies.decide(caller.kind === 'jwt' ? caller.identity.scopes : caller.record.scopes);
  const policy = deps.policies.policy(arn.stageArn, scopes);
  const route = deps.manifest.find(request.httpMethod, request.resource);
  const requested = route === undefined ? undefined : deps.manifest.routes.indexOf(route);
  const allowed = requested !== undefined && scopes.allowed.has(requested);
  const principalId = caller.kind === 'jwt' ? caller.identity.principal : caller.record.keyId;
  const usageIdentifierKey = caller.kind === 'jwt' ? caller.binding.usageIdentifierKey : caller.record.usageIdentifierKey;
  const document = requestPolicyDocument(
    {
      mode: deps.cacheKeyMode ?? 'identity',
      arn,
      methodArn: request.methodArn,
      manifest: deps.manifest,
      routeStatements: policy.statements,
      patternAllowed: policy.patternAllowed,
      allowedRoutes: scopes.allowed,
      requested,
    },
    policy.allowDocument,
  );

  const result: APIGatewayAuthorizerResult = { principalId, policyDocument: deepFreeze(document), context: Object.freeze(contextOf(caller, scopes)) };
  if (usageIdentifierKey !== undefined) result.usageIdentifierKey = usageIdentifierKey;
  // Frozen like the shared policy inside it: what the handler returns is read, never changed.
  Object.freeze(result);
  return {
    effect: allowed ? 'Allow' : 'Deny',
    reason: allowed ? 'authorized' : route === undefined ? 'route_not_in_manifest' : 'insufficient_scope',
    authMethod: caller.kind,
    principalId,
    keyId: caller.kind === 'apiKey' ? caller.record.keyId : undefined,
    cacheHit: caller.cacheHit,
    result,
  };
}
