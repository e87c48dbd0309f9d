/**
 * Which key API Gateway's authorizer result cache should use for a manifest, decided from the manifest alone, so the
 * CDK construct, the local gateway and the function agree.
 *
 * - `identity`: the key is the `Authorization` header only, and one cached policy answers every route. That policy can
 *   be exact only when IAM patterns keep the routes apart: the ARN pattern of a route never matches a request of a
 *   route that some scope set answers differently (IAM's `*` spans `/`, so `GET/items/*` also matches
 *   `GET/items/1/secret` and `GET/items/export`). A Deny beneath such an Allow is no fix: it matches only the
 *   spellings it names (`%61udit` is not `audit`), and Deny wins over the allowed sibling.
 * - `route`: the key adds `context.httpMethod` and `context.resourcePath`, so one cached policy answers only the
 *   requests of one method on one resource, which it can always get right.
 */
import { patternOverlaps } from './policy';
import type { CompiledManifest, CompiledRoute } from './route-manifest';

export const CACHE_KEY_MODES = ['identity', 'route'] as const;
export type CacheKeyMode = (typeof CACHE_KEY_MODES)[number];

export interface CacheKeyChoice {
  readonly mode: CacheKeyMode;
  /** One sentence for people: why this key. */
  readonly reason: string;
}

/**
 * Whether some scope set allows `a` and refuses `b`. Requirements are monotone (more scopes never refuse), so the
 * smallest witness is one alternative of `a` held exactly: it refuses `b` unless one of b's alternatives fits in it.
 */
export function canAllowFirstOnly(a: CompiledRoute, b: CompiledRoute): boolean {
  return a.requirement.some((held) => !b.requirement.some((needed) => needed.every((scope) => held.includes(scope))));
}

const label = (route: CompiledRoute) => `${route.method} ${route.path}`;
const scopesOf = (route: CompiledRoute) =>
  route.requirement.map((set) => (set.length === 0 ? 'any caller' : set.join('+'))).join(' or ');

/** The first pair of routes an identity-keyed policy cannot keep apart, if any. */
export function findIdentityConflict(manifest: CompiledManifest): { readonly wide: CompiledRoute; readonly inside: CompiledRoute } | undefined {
  const routes = manifest.routes;
  const overlaps = patternOverlaps(manifest);
  for (let i = 0; i < routes.length; i++) {
    for (let j = 0; j < routes.length; j++) {
      if (i !== j && overlaps[i]![j] && canAllowFirstOnly(routes[i]!, routes[j]!)) return { wide: routes[i]!, inside: routes[j]! };
    }
  }
  return undefined;
}

/** Chooses the cache key for a manifest: identity when it can be exact for every scope set, else route. */
export function chooseCacheKeyMode(manifest: CompiledManifest): CacheKeyChoice {
  const conflict = findIdentityConflict(manifest);
  if (conflict === undefined) {
    return {
      mode: 'identity',
      reason:
        'no route\'s ARN pattern matches requests of a route that other scopes answer differently, so one policy per ' +
        'caller is exact on every route',
    };
  }
  const { wide, inside } = conflict;
  return {
    mode: 'route',
    reason:
      `the ARN pattern of ${label(wide)} (${scopesOf(wide)}) also matches requests of ${label(inside)} ` +
      `(${scopesOf(inside)}), so a policy cached per caller could not answer both exactly`,
  };
}

/** Parses a mode setting; undefined when the value is not a mode. */
export function parseCacheKeyMode(value: string): CacheKeyMode | undefined {
  return (CACHE_KEY_MODES as readonly string[]).includes(value) ? (value as CacheKeyMode) : undefined;
}
