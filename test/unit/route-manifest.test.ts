import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../lambda/errors';
import { compileManifest, isRouteAllowed, resourcePathToArnPath } from '../../lambda/route-manifest';

describe('compileManifest', () => {
  it('normalises scopes and anyOf to alternatives and builds ARN suffixes', () => {
    const manifest = compileManifest({
      routes: [
        { method: 'get', path: '/items/{id}', scopes: ['items:read'] },
        { method: 'ANY', path: '/files/{proxy+}', anyOf: [['files:rw'], ['admin', 'files:ro']] },
        { method: 'GET', path: '/', scopes: [] },
      ],
    });
    expect(manifest.routes.map((r) => r.arnSuffix)).toEqual(['GET/items/*', '*/files/*', 'GET/']);
    expect(manifest.routes[1]!.requirement).toEqual([['files:rw'], ['admin', 'files:ro']]);
    expect(manifest.find('GET', '/items/{id}')?.path).toBe('/items/{id}');
    expect(manifest.find('DELETE', '/files/{proxy+}')?.method).toBe('ANY');
    expect(manifest.find('POST', '/items/{id}')).toBeUndefined();
  });

  it('evaluates all-of and any-of requirements', () => {
    const [allOf, anyOf, open] = compileManifest({
      routes: [
        { method: 'GET', path: '/a', scopes: ['x', 'y'] },
        { method: 'GET', path: '/b', anyOf: [['x', 'z'], ['w']] },
        { method: 'GET', path: '/c', scopes: [] },
      ],
    }).routes;
    expect(isRouteAllowed(allOf!, new Set(['x']))).toBe(false);
    expect(isRouteAllowed(allOf!, new Set(['x', 'y']))).toBe(true);
    expect(isRouteAllowed(anyOf!, new Set(['x']))).toBe(false);
    expect(isRouteAllowed(anyOf!, new Set(['w']))).toBe(true);
    expect(isRouteAllowed(open!, new Set())).toBe(true);
  });

  it.each([
    [{ routes: [{ method: 'OPTIONS', path: '/a' }] }, /OPTIONS/],
    [{ routes: [{ method: 'FETCH', path: '/a' }] }, /method must be one of/],
    [{ routes: [{ method: 'GET', path: 'a' }] }, /starting with/],
    [{ routes: [{ method: 'GET', path: '/a/{p+}/b' }] }, /greedy/],
    [{ routes: [{ method: 'GET', path: '/a', scopes: ['bad scope'] }] }, /invalid scope/],
    [{ routes: [{ method: 'GET', path: '/a', scopes: [], anyOf: [['x']] }] }, /not both/],
    [{ routes: [{ method: 'GET', path: '/a' }, { method: 'GET', path: '/a' }] }, /listed twice/],
    [{ nope: [] }, /"routes" array/],
  ])('rejects an invalid manifest with a message naming the setting (%#)', (manifest, message) => {
    expect(() => compileManifest(manifest)).toThrow(ConfigurationError);
    expect(() => compileManifest(manifest)).toThrow(message);
    expect(() => compileManifest(manifest)).toThrow(/^ROUTE_MANIFEST: /);
  });

  it('turns path parameters into ARN wildcards', () => {
    expect(resourcePathToArnPath('/a/{b}/c/{d+}')).toBe('a/*/c/*');
  });
});
