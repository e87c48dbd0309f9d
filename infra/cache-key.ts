/**
 * The authorizer result cache key, as the construct and the local mode set it: chosen from the manifest
 * (lambda/cache-key-mode.ts) unless the user forces one, turned into API Gateway identity sources, and described for
 * people. No CDK import: the local mode uses it too.
 *
 * API Gateway REST REQUEST authorizers key their result cache on all their identity sources: CreateAuthorizer's
 * `identitySource` is "a comma-separated string of one or more mapping expressions of the specified request parameters
 * ... used to derive the authorization caching key" (API reference text, e.g. https://docs.aws.amazon.com/sdk-for-kotlin/
 * api/latest/apigateway/aws.sdk.kotlin.services.apigateway.model/-create-authorizer-request/identity-source.html), and
 * context variables are such expressions: SAM's REQUEST authorizer `Identity.Context` "converts the given context
 * strings to the mapping expressions of format `context.contextString`" (https://docs.aws.amazon.com/
 * serverless-application-model/latest/developerguide/sam-property-api-lambdarequestauthorizationidentity.html), as
 * CDK's `IdentitySource.context()` does. `$context.httpMethod` is the request's method and `$context.resourcePath` its
 * resource template (`/items/{id}`), so with both the key names one route.
 */
import { chooseCacheKeyMode, type CacheKeyChoice, type CacheKeyMode } from '../lambda/cache-key-mode';
import { compileManifest, type RouteManifest } from '../lambda/route-manifest';

/** `auto` chooses from the manifest; `identity` and `route` force a key. */
export type CacheKeySetting = 'auto' | CacheKeyMode;
export const CACHE_KEY_SETTINGS: readonly CacheKeySetting[] = ['auto', 'identity', 'route'];

export const AUTHORIZATION_SOURCE = 'method.request.header.Authorization';
export const ROUTE_CONTEXT_SOURCES = ['context.httpMethod', 'context.resourcePath'] as const;

export interface ResolvedCacheKey extends CacheKeyChoice {
  readonly setting: CacheKeySetting;
  /** What `auto` would choose for this manifest (equal to `mode` unless the user forced another key). */
  readonly recommended: CacheKeyChoice;
}

export function isCacheKeySetting(value: unknown): value is CacheKeySetting {
  return typeof value === 'string' && (CACHE_KEY_SETTINGS as readonly string[]).includes(value);
}

export function resolveCacheKey(setting: CacheKeySetting, manifest: RouteManifest): ResolvedCacheKey {
  const recommended = chooseCacheKeyMode(compileManifest(manifest));
  if (setting === 'auto') return { ...recommended, setting, recommended };
  const reason =
    setting === recommended.mode
      ? `forced (auto would choose the same: ${recommended.reason})`
      : setting === 'route'
        ? `forced; auto would choose identity (${recommended.reason}), which invokes the function less often`
        : `forced; auto would choose route, because ${recommended.reason}: routes that one cached policy cannot answer ` +
          'exactly answer 403 from the cache (never 200) until the entry expires';
  return { mode: setting, reason, setting, recommended };
}

/** The identity sources for a key: Authorization, plus the method and resource for the route key. */
export function identitySourcesFor(mode: CacheKeyMode, base: readonly string[] = [AUTHORIZATION_SOURCE]): string[] {
  if (mode === 'identity') return [...base];
  return [...base, ...ROUTE_CONTEXT_SOURCES.filter((source) => !base.includes(source))];
}

/** One line for the synth output and `npm start`. */
export function describeCacheKey(resolved: ResolvedCacheKey): string {
  const sources = identitySourcesFor(resolved.mode).join(', ');
  return `Authorizer cache key: ${resolved.mode} (${sources}): ${resolved.reason}`;
}

/** Problems with identity sources given by hand for a key, if any. */
export function identitySourceProblems(mode: CacheKeyMode, sources: readonly string[], cachingOn: boolean): string[] {
  if (mode !== 'route' || !cachingOn) return [];
  const missing = ROUTE_CONTEXT_SOURCES.filter((source) => !sources.includes(source));
  return missing.length === 0
    ? []
    : [
        `the route cache key needs the identity sources ${ROUTE_CONTEXT_SOURCES.join(' and ')} (its policies answer ` +
          `one route), but identitySources lacks ${missing.join(', ')}: add them, or set cacheKey: 'identity'`,
      ];
}
