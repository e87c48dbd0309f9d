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
import { LruCache } from './lru-cache';
import { buildRouteStatements, decideRoutes, parseMethodArn, policyDocument, type AuthorizerContext } from './policy';
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
  readonly policyMemo: LruCache<string, Statement[]>;
}

export type DenyReason = 'insufficient_scope' | 'route_not_in_manifest';

export interface AuthorizationDecision {
  readonly effect: 'Allow' | 'Deny';
  readonly reason: 'authorized' | DenyReason;
  readonly authMethod: 'jwt' | 'apiKey';
  readonly principalId: string;
  readonly keyId?: string;
  readonly route: string;
  readonly cacheHit: boolean;
  readonly result: APIGatewayAuthorizerResult;
}

/** Longest `scopes` context value; longer lists are cut at a scope boundary and flagged. */
export const MAX_SCOPES_CONTEXT_LENGTH = 2048;

interface VerifiedCaller {
  readonly authMethod: 'jwt' | 'apiKey';
  readonly principalId: string;
  readonly scopes: readonly string[];
  readonly context: AuthorizerContext;
  readonly usageIdentifierKey?: string;
  readonly keyId?: string;
  readonly cacheHit: boolean;
}

export function createPolicyMemo(): LruCache<string, Statement[]> {
  return new LruCache(256);
}

function scopesContext(scopes: readonly string[]): AuthorizerContext {
  const joined = scopes.join(' ');
  if (joined.length <= MAX_SCOPES_CONTEXT_LENGTH) return { scopes: joined };
  const cut = joined.lastIndexOf(' ', MAX_SCOPES_CONTEXT_LENGTH);
  return { scopes: joined.slice(0, Math.max(cut, 0)), scopesTruncated: true };
}

async function verifyCaller(request: AuthorizerRequest, deps: AuthorizerDependencies): Promise<VerifiedCaller> {
  const credential = extractCredential(request.headers, request.multiValueHeaders);
  if (credential.kind === 'jwt') {
    if (!deps.jwt) throw new CredentialRejectedError('unknown_issuer', 'No JWT issuer is configured');
    const { identity, cacheHit } = await deps.jwt.authenticate(credential.token);
    const binding = await deps.clientBindings.resolve(identity.issuer, identity.clientId);
    const context: AuthorizerContext = { authMethod: 'jwt', issuer: identity.issuer, ...scopesContext(identity.scopes) };
    if (identity.subject !== undefined) context.sub = identity.subject;
    if (identity.clientId !== undefined) context.clientId = identity.clientId;
    if (binding.plan !== undefined) context.plan = binding.plan;
    return {
      authMethod: 'jwt',
      principalId: identity.principal,
      scopes: identity.scopes,
      context,
      usageIdentifierKey: binding.usageIdentifierKey,
      cacheHit,
    };
  }
  if (!deps.apiKeys) throw new CredentialRejectedError('unknown_api_key', 'API keys are not enabled');
  const { record, cacheHit } = await deps.apiKeys.authenticate(credential.key, credential.claimedKeyId);
  const context: AuthorizerContext = {
    authMethod: 'apiKey',
    keyId: record.keyId,
    owner: record.owner,
    ...scopesContext(record.scopes),
  };
  if (record.plan !== undefined) context.plan = record.plan;
  return {
    authMethod: 'apiKey',
    principalId: record.keyId,
    scopes: record.scopes,
    context,
    usageIdentifierKey: record.usageIdentifierKey,
    keyId: record.keyId,
    cacheHit,
  };
}

export async function authorize(request: AuthorizerRequest, deps: AuthorizerDependencies): Promise<AuthorizationDecision> {
  const arn = parseMethodArn(request.methodArn);
  const caller = await verifyCaller(request, deps);

  const held = new Set(caller.scopes);
  const routes = decideRoutes(deps.manifest, held);
  const memoKey = `${arn.stageArn}|${routes.allowed.join(',')}`;
  let statements = deps.policyMemo.get(memoKey, 0);
  if (statements === undefined) {
    statements = buildRouteStatements(arn.stageArn, deps.manifest, routes);
    deps.policyMemo.set(memoKey, statements, Number.POSITIVE_INFINITY, 0);
  }

  const requested = deps.manifest.find(request.httpMethod, request.resource);
  const requestedIndex = requested === undefined ? -1 : deps.manifest.routes.indexOf(requested);
  const allowed = requestedIndex >= 0 && routes.allowed.includes(requestedIndex);
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
    route: `${request.httpMethod} ${request.resource}`,
    cacheHit: caller.cacheHit,
    result,
  };
}
