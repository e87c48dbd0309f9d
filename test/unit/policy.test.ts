import { describe, expect, it } from 'vitest';
import { evaluatePolicy } from '../../local/iam-policy-evaluator';
import { chooseCacheKeyMode } from '../../lambda/cache-key-mode';
import { DependencyFaultError } from '../../lambda/errors';
import { globMatches, parseMethodArn, patternMatchesRoute, policyForRequest, routeArnTokens } from '../../lambda/policy';
import { compileManifest, type RouteSpec } from '../../lambda/route-manifest';
import type { CacheKeyMode } from '../../lambda/cache-key-mode';

const STAGE = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod';

function policyFor(routes: RouteSpec[], scopes: string[], request: { method: string; path: string; resource: string }, mode?: CacheKeyMode) {
  const manifest = compileManifest({ routes });
  return policyForRequest({
    manifest,
    mode: mode ?? chooseCacheKeyMode(manifest).mode,
    held: new Set(scopes),
    methodArn: `${STAGE}/${request.method}/${request.path}`,
    httpMethod: request.method,
    resource: request.resource,
  });
}

const resourcesOf = (policy: ReturnType<typeof policyFor>, effect: 'Allow' | 'Deny') =>
  policy.Statement.filter((s) => s.Effect === effect).flatMap((s) => ('Resource' in s ? [s.Resource].flat() : []));

describe('policy building', () => {
  const flat: RouteSpec[] = [
    { method: 'GET', path: '/items', scopes: ['read'] },
    { method: 'DELETE', path: '/items/{id}', scopes: ['admin'] },
    { method: 'POST', path: '/items', scopes: ['write'] },
  ];

  it('allows exactly the routes the scopes satisfy, on every matching path (identity key)', () => {
    const policy = policyFor(flat, ['read'], { method: 'GET', path: 'items', resource: '/items' });
    expect(evaluatePolicy(policy, `${STAGE}/GET/items`)).toBe('allow');
    expect(evaluatePolicy(policy, `${STAGE}/POST/items`)).not.toBe('allow');
    expect(evaluatePolicy(policy, `${STAGE}/DELETE/items/7`)).not.toBe('allow');
  });

  it('never allows another stage or API', () => {
    const policy = policyFor(flat, ['read', 'write', 'admin'], { method: 'GET', path: 'items', resource: '/items' });
    expect(evaluatePolicy(policy, `arn:aws:execute-api:eu-west-1:123456789012:abc123/dev/GET/items`)).toBe('implicit-deny');
    expect(evaluatePolicy(policy, `arn:aws:execute-api:eu-west-1:123456789012:zzz999/prod/GET/items`)).toBe('implicit-deny');
  });

  it('denies a refused request explicitly, by its route pattern', () => {
    const policy = policyFor(flat, ['read'], { method: 'DELETE', path: 'items/7', resource: '/items/{id}' });
    expect(evaluatePolicy(policy, `${STAGE}/DELETE/items/7`)).toBe('explicit-deny');
    expect(evaluatePolicy(policy, `${STAGE}/GET/items`)).toBe('allow');
  });

  it('a literal sibling of a parameter route is not denied by the parameter\'s Deny', () => {
    const routes: RouteSpec[] = [
      { method: 'GET', path: '/users/me', scopes: ['profile'] },
      { method: 'GET', path: '/users/{id}', scopes: ['users:read'] },
    ];
    expect(chooseCacheKeyMode(compileManifest({ routes })).mode).toBe('route');
    for (const mode of ['route', 'identity'] as const) {
      const policy = policyFor(routes, ['profile'], { method: 'GET', path: 'users/me', resource: '/users/me' }, mode);
      expect(evaluatePolicy(policy, `${STAGE}/GET/users/me`)).toBe('allow');
    }
  });

  it('a nested route under a parameter is not denied by the parameter\'s Deny (/items/{id}/secret)', () => {
    const routes: RouteSpec[] = [
      { method: 'GET', path: '/items/export', scopes: ['items:export'] },
      { method: 'GET', path: '/items/{id}', scopes: ['items:read'] },
      { method: 'GET', path: '/items/{id}/secret', scopes: ['secret:read'] },
    ];
    const policy = policyFor(routes, ['items:export', 'secret:read'], { method: 'GET', path: 'items/1/secret', resource: '/items/{id}/secret' });
    expect(evaluatePolicy(policy, `${STAGE}/GET/items/1/secret`)).toBe('allow');
    // Forced identity: the secret route's pattern cannot be allowed without also allowing GET /items/{id}, so only the
    // request itself is allowed, and the parameter route stays closed.
    const forced = policyFor(routes, ['items:export', 'secret:read'], { method: 'GET', path: 'items/1/secret', resource: '/items/{id}/secret' }, 'identity');
    expect(evaluatePolicy(forced, `${STAGE}/GET/items/1/secret`)).toBe('allow');
    expect(evaluatePolicy(forced, `${STAGE}/GET/items/1`)).not.toBe('allow');
  });

  it('the Deny for a refused request carries no wildcard taken from the caller\'s path (DELETE /items/*)', () => {
    const routes: RouteSpec[] = [{ method: 'DELETE', path: '/items/{id}', scopes: ['admin'] }, { method: 'GET', path: '/items/{id}', scopes: ['read'] }];
    for (const mode of ['identity', 'route'] as const) {
      for (const path of ['items/*', 'items/a?b', 'items/%2A']) {
        const policy = policyFor(routes, ['read'], { method: 'DELETE', path, resource: '/items/{id}' }, mode);
        for (const resource of [...resourcesOf(policy, 'Deny'), ...resourcesOf(policy, 'Allow')]) {
          // Every wildcard is the construct's own: a parameter segment or the route key's method-wide pattern.
          expect(resource === `${STAGE}/DELETE/items/*` || resource === `${STAGE}/GET/items/*` || resource === `${STAGE}/DELETE/*`).toBe(true);
        }
        expect(evaluatePolicy(policy, `${STAGE}/DELETE/${path}`)).not.toBe('allow');
      }
    }
  });

  it('allows a request that spells a literal segment with an escape (identity key): the exact ARN', () => {
    const routes: RouteSpec[] = [
      { method: 'GET', path: '/items/{id}', scopes: ['read'] },
      { method: 'GET', path: '/items/{id}/audit', scopes: ['read'] },
    ];
    const policy = policyFor(routes, ['read'], { method: 'GET', path: 'items/1/%61udit', resource: '/items/{id}/audit' });
    expect(evaluatePolicy(policy, `${STAGE}/GET/items/1/%61udit`)).toBe('allow');
  });

  it('answers every request of the routed resource alike under the route key', () => {
    const routes: RouteSpec[] = [
      { method: 'GET', path: '/items/{id}', scopes: ['read'] },
      { method: 'GET', path: '/items/{id}/audit', scopes: ['audit'] },
    ];
    const allowed = policyFor(routes, ['audit'], { method: 'GET', path: 'items/1/audit', resource: '/items/{id}/audit' }, 'route');
    expect(evaluatePolicy(allowed, `${STAGE}/GET/items/2/%61udit`)).toBe('allow');
    const refused = policyFor(routes, ['read'], { method: 'GET', path: 'items/1/audit', resource: '/items/{id}/audit' }, 'route');
    expect(evaluatePolicy(refused, `${STAGE}/GET/items/2/%61udit`)).toBe('explicit-deny');
  });

  it('finds the routes whose requests a route pattern would match', () => {
    const manifest = compileManifest({
      routes: [
        { method: 'GET', path: '/items/{id}', scopes: ['read'] },
        { method: 'GET', path: '/items/{id}/secret', scopes: ['admin'] },
        { method: 'POST', path: '/items', scopes: ['write'] },
      ],
    });
    const [byId, secret, create] = manifest.routes;
    expect(patternMatchesRoute(`${STAGE}/GET/items/*`, routeArnTokens(STAGE, secret!))).toBe(true);
    expect(patternMatchesRoute(`${STAGE}/GET/items/*/secret`, routeArnTokens(STAGE, byId!))).toBe(false);
    expect(patternMatchesRoute(`${STAGE}/*`, routeArnTokens(STAGE, create!))).toBe(true);
    expect(patternMatchesRoute(`${STAGE}/GET/*`, routeArnTokens(STAGE, create!))).toBe(false);
  });

  it('matches route patterns against concrete ARNs like IAM (* spans /, matches empty)', () => {
    expect(globMatches(`${STAGE}/GET/items/*`, `${STAGE}/GET/items/1/secret`)).toBe(true);
    expect(globMatches(`${STAGE}/GET/*`, `${STAGE}/GET/`)).toBe(true);
    expect(globMatches(`${STAGE}/GET/items/*/audit`, `${STAGE}/GET/items/1/%61udit`)).toBe(false);
  });
});

describe('parseMethodArn', () => {
  it('splits stage, method and path', () => {
    expect(parseMethodArn('arn:aws-cn:execute-api:cn-north-1:123456789012:abc/prod/GET/a/b')).toEqual({
      stageArn: 'arn:aws-cn:execute-api:cn-north-1:123456789012:abc/prod',
      method: 'GET',
      path: 'a/b',
    });
  });

  it('a methodArn containing a line break or U+2028 gets a decision, not a 500', () => {
    for (const path of ['items/a\nb', 'items/a\u2028b', 'items/\r\n']) {
      expect(parseMethodArn(`${STAGE}/GET/${path}`).path).toBe(path);
    }
  });

  it('treats a malformed ARN as a dependency fault', () => {
    expect(() => parseMethodArn('arn:aws:lambda:x')).toThrow(DependencyFaultError);
    expect(() => parseMethodArn(undefined)).toThrow(DependencyFaultError);
  });
});
