import { describe, expect, it } from 'vitest';
import { sampleRouteDefinitions } from '../../local/mode';
import { RouteTable } from '../../local/route-table';

const route = (method: string, path: string) => ({ method, path, authorized: true, metered: false });

describe('Class: RouteTable', () => {
  const table = new RouteTable([
    route('GET', '/items'),
    route('GET', '/items/{id}'),
    route('GET', '/items/special'),
    route('DELETE', '/items/{id}'),
    route('ANY', '/files/{proxy+}'),
  ]);

  it('prefers a literal segment over a {param} sibling', () => {
    expect(table.match('GET', '/items/special')).toMatchObject({ kind: 'method', resource: '/items/special', pathParameters: {} });
    expect(table.match('GET', '/items/42')).toMatchObject({ kind: 'method', resource: '/items/{id}', pathParameters: { id: '42' } });
  });

  it('chooses the resource by path first: a literal resource without the method is missing, not its {param} sibling', () => {
    expect(table.match('DELETE', '/items/special')).toEqual({ kind: 'missing' });
  });

  it('decodes path parameters', () => {
    expect(table.match('GET', '/items/a%20b')).toMatchObject({ pathParameters: { id: 'a b' } });
  });

  it('matches a greedy {proxy+} over the rest of the path, and ANY for any method', () => {
    expect(table.match('PATCH', '/files/a/b/c')).toMatchObject({ kind: 'method', resource: '/files/{proxy+}', pathParameters: { proxy: 'a/b/c' } });
    expect(table.match('GET', '/files')).toEqual({ kind: 'missing' });
  });

  it('answers missing (403 Missing Authentication Token) for unknown paths and methods', () => {
    expect(table.match('GET', '/nope')).toEqual({ kind: 'missing' });
    expect(table.match('POST', '/items/42')).toEqual({ kind: 'missing' });
    expect(table.match('GET', '/items/42/extra')).toEqual({ kind: 'missing' });
    expect(table.match('GET', '/items/')).toEqual({ kind: 'missing' });
    expect(table.match('GET', '/')).toEqual({ kind: 'missing' });
  });

  it('answers OPTIONS on a known resource as a preflight listing its methods', () => {
    expect(table.match('OPTIONS', '/items/42')).toEqual({ kind: 'preflight', resource: '/items/{id}', methods: ['GET', 'DELETE'] });
    expect(table.match('OPTIONS', '/unknown')).toEqual({ kind: 'missing' });
  });

  it('refuses a route defined twice', () => {
    expect(() => new RouteTable([route('GET', '/a'), route('GET', '/a')])).toThrow('Route GET /a is defined twice');
  });

  it('serves the sample API: /health public, the manifest routes authorized, metered where the manifest says', () => {
    const sample = new RouteTable(sampleRouteDefinitions());
    expect(sample.match('GET', '/health')).toMatchObject({ route: { authorized: false, metered: false } });
    expect(sample.match('GET', '/whoami')).toMatchObject({ route: { authorized: true, metered: false } });
    expect(sample.match('GET', '/items')).toMatchObject({ route: { authorized: true, metered: true } });
    expect(sample.match('DELETE', '/items/7')).toMatchObject({ resource: '/items/{id}', route: { metered: true } });
  });
});
