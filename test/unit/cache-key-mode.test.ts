import { describe, expect, it } from 'vitest';
import { canAllowFirstOnly, chooseCacheKeyMode } from '../../lambda/cache-key-mode';
import { loadConfig } from '../../lambda/config';
import { compileManifest, type RouteSpec } from '../../lambda/route-manifest';

const modeOf = (routes: RouteSpec[]) => chooseCacheKeyMode(compileManifest({ routes })).mode;

describe('Function: chooseCacheKeyMode', () => {
  it('keeps the identity key when no route pattern covers a route answered differently', () => {
    expect(modeOf([
      { method: 'GET', path: '/whoami', scopes: [] },
      { method: 'GET', path: '/items', scopes: ['items:read'] },
      { method: 'POST', path: '/items', scopes: ['items:write'] },
      { method: 'DELETE', path: '/items/{id}', scopes: ['items:admin'] },
    ])).toBe('identity');
  });

  it('keeps the identity key when overlapping routes require the same scopes', () => {
    expect(modeOf([
      { method: 'GET', path: '/items/{id}', scopes: ['read'] },
      { method: 'GET', path: '/items/{id}/secret', scopes: ['read'] },
      { method: 'GET', path: '/files/{proxy+}', anyOf: [['read']] },
    ])).toBe('identity');
  });

  it.each<[string, RouteSpec[]]>([
    ['a literal sibling of a parameter', [{ method: 'GET', path: '/users/{id}', scopes: ['a'] }, { method: 'GET', path: '/users/me', scopes: ['b'] }]],
    ['a route nested under a parameter', [{ method: 'GET', path: '/items/{id}', scopes: ['a'] }, { method: 'GET', path: '/items/{id}/secret', scopes: ['b'] }]],
    ['a greedy parameter over another route', [{ method: 'GET', path: '/{proxy+}', scopes: ['a'] }, { method: 'GET', path: '/health', scopes: [] }]],
    ['ANY beside a method', [{ method: 'ANY', path: '/items', scopes: ['a'] }, { method: 'GET', path: '/items', scopes: ['b'] }]],
    ['a parameter beside the root', [{ method: 'GET', path: '/{id}', scopes: ['a'] }, { method: 'GET', path: '/', scopes: ['b'] }]],
  ])('chooses the route key for %s with other scopes, and says why', (_shape, routes) => {
    const choice = chooseCacheKeyMode(compileManifest({ routes }));
    expect(choice.mode).toBe('route');
    expect(choice.reason).toMatch(/also matches requests of/);
  });

  it('compares requirements as scope logic: a superset requirement can be refused while the other is allowed', () => {
    const [wide, narrow] = compileManifest({
      routes: [
        { method: 'GET', path: '/a', scopes: ['x'] },
        { method: 'GET', path: '/b', anyOf: [['x'], ['y']] },
      ],
    }).routes;
    expect(canAllowFirstOnly(wide!, narrow!)).toBe(false);
    expect(canAllowFirstOnly(narrow!, wide!)).toBe(true);
  });
});

describe('Setting: CACHE_KEY_MODE', () => {
  const env = { ROUTE_MANIFEST: '{"routes":[]}', KEY_TABLE_NAME: 't' };

  it('defaults to identity (policies safe under any key) and accepts route', () => {
    expect(loadConfig(env).cacheKeyMode).toBe('identity');
    expect(loadConfig({ ...env, CACHE_KEY_MODE: 'route' }).cacheKeyMode).toBe('route');
  });

  it('refuses another value at cold start, naming the setting', () => {
    expect(() => loadConfig({ ...env, CACHE_KEY_MODE: 'auto' })).toThrow(/CACHE_KEY_MODE/);
  });
});
