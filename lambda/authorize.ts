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
import type { JwtAuthenticator } from './jwt-authenticator';
import { buildRouteStatements, decideRoutes, parseMethodArn, policyDocument, type AuthorizerContext, type RouteDecision } from './policy';
import type { CompiledManifest } from './route-manifest';
import type { Statement } from 'aws-lambda';

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
  /** Memo of route statements per (stage, allowed routes); built once per container. */
  readonly policyMemo: Map<string, Statement[]>;
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
  readonly authMethod: 'jwt' | 'apiKey';
  readonly principalId: string;
  readonly scopes: ScopeDecision;
  readonly context: AuthorizerContext;
  readonly usageIdentifierKey?: string;
  readonly keyId?: string;
  readonly cacheHit: boolean;
}

/** Few distinct (stage, allowed routes) pairs exist; the memo is simply emptied if it ever grows past this. */
const MAX_MEMOISED_POLICIES = 256;

export function createPolicyMemo(): Map<string, Statement[]> {
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
}

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
    };
    byScopes.set(scopes, decision);
  }
  return decision;
}

async function verifyCaller(request: AuthorizerRequest, deps: AuthorizerDependencies): Promise<VerifiedCaller> {
  const credential = extractCredential(request.headers, request.multiValueHeaders);
  if (credential.kind === 'jwt') {
    if (!deps.jwt) throw new CredentialRejectedError('unknown_issuer', 'No JWT issuer is configured');
    const { identity, cacheHit } = await deps.jwt.authenticate(credential.token);
    const binding = await deps.clientBindings.resolve(identity.issuer, identity.clientId);
    const scopes = decideScopes(deps.manifest, identity.scopes);
    // Flat values only; absent ones are left out (API Gateway refuses null context values).
    const context: AuthorizerContext = { authMethod: 'jwt', issuer: identity.issuer, scopes: scopes.scopes };
    if (scopes.scopesTruncated) context.scopesTruncated = true;
    if (identity.subject !== undefined) context.sub = identity.subject;
    if (identity.clientId !== undefined) context.clientId = identity.clientId;
    if (binding.plan !== undefined) context.plan = binding.plan;
    return {
      authMethod: 'jwt',
      principalId: identity.principal,
      scopes,
      context,
      usageIdentifierKey: binding.usageIdentifierKey,
      keyId: undefined,
      cacheHit,
    };
  }
  if (!deps.apiKeys) throw new CredentialRejectedError('unknown_api_key', 'API keys are not enabled');
  const { record, cacheHit } = await deps.apiKeys.authenticate(credential.key, credential.claimedKeyId);
  const scopes = decideScopes(deps.manifest, record.scopes);
  const context: AuthorizerContext = { authMethod: 'apiKey', keyId: record.keyId, owner: record.owner, scopes: scopes.scopes };
  if (scopes.scopesTruncated) context.scopesTruncated = true;
  if (record.plan !== undefined) context.plan = record.plan;
  return {
    authMethod: 'apiKey',
    principalId: record.keyId,
    scopes,
    context,
    usageIdentifierKey: record.usageIdentifierKey,
    keyId: record.keyId,
    cacheHit,
  };
}

export async function authorize(request: AuthorizerRequest, deps: AuthorizerDependencies): Promise<AuthorizationDecision> {
  const arn = parseMethodArn(request.methodArn);
  const caller = await verifyCaller(request, deps);

  const { routes, allowed: allowedRoutes, memoSuffix } = caller.scopes;
  const memoKey = `${arn.stageArn}|${memoSuffix}`;
  let statements = deps.policyMemo.get(memoKey);
  if (statements === undefined) {
    statements = buildRouteStatements(arn.stageArn, deps.manifest, routes);
    if (deps.policyMemo.size >= MAX_MEMOISED_POLICIES) deps.policyMemo.clear();
    deps.policyMemo.set(memoKey, statements);
  }

  const requested = deps.manifest.find(request.httpMethod, request.resource);
  const allowed = requested !== undefined && allowedRoutes.has(deps.manifest.routes.indexOf(requested));
  const reason = allowed ? 'authorized' : requested === undefined ? 'route_not_in_manifest' : 'insufficient_scope';

  const result: APIGatewayAuthorizerResult = {
    principalId: caller.principalId,
    policyDocument: policyDocument(statements, allowed ? undefined : request.methodArn),
    context: caller.context,
  };
  if (caller.usageIdentifierKey !== undefined) result.usageIdentifierKey = caller.usageIdentifierKey;
  return {
    effect: allowed ? 'Allow' : 'Deny',
    reason,
    authMethod: caller.authMethod,
    principalId: caller.principalId,
    keyId: caller.keyId,
    cacheHit: caller.cacheHit,
    result,
  };
}
