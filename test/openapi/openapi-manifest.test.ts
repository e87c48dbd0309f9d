import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ORDERS_API_ROUTES, ORDERS_API_SPEC } from './orders-api-fixture';
import {
  convertOpenApiFile,
  manifestFromOpenApi,
  OpenApiManifestError,
  parseOpenApiText,
} from '../../infra/openapi-manifest';

const dir = mkdtempSync(join(tmpdir(), 'portcullis-openapi-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function convert(document: unknown) {
  return manifestFromOpenApi(document, 'spec.json');
}

function oas(paths: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    openapi: '3.1.0',
    info: { title: 't', version: '1' },
    components: {
      securitySchemes: {
        oauth: { type: 'oauth2', flows: { clientCredentials: { tokenUrl: 'https://idp.example/token', scopes: {} } } },
        bearer: { type: 'http', scheme: 'bearer' },
      },
    },
    paths,
    ...extra,
  };
}

describe('routes from an OpenAPI file shaped like a real API Gateway export', () => {
  const conversion = convertOpenApiFile(ORDERS_API_SPEC);

  it('yields every secured operation with its scopes, alternatives and metering', () => {
    expect(conversion.format).toBe('OpenAPI 3.0.1');
    expect(conversion.manifest.routes).toEqual(ORDERS_API_ROUTES);
  });

  it('lists operations with security: [] as public and never puts OPTIONS behind the authorizer', () => {
    expect(conversion.manifest.publicRoutes).toEqual([
      { method: 'GET', path: '/health', reason: 'security: []' },
      { method: 'GET', path: '/v1/catalog', reason: 'security: []' },
    ]);
    expect(conversion.preflight).toEqual([
      { method: 'OPTIONS', path: '/v1/catalog' },
      { method: 'OPTIONS', path: '/v1/orders' },
    ]);
  });
});

describe('security requirements', () => {
  it('an operation without security and no global security is public', () => {
    const { manifest } = convert(oas({ '/a': { get: { responses: {} } } }));
    expect(manifest.routes).toEqual([]);
    expect(manifest.publicRoutes).toEqual([{ method: 'GET', path: '/a', reason: 'no security' }]);
  });

  it('an anonymous alternative ({}) makes the operation public: the authorizer cannot make auth optional', () => {
    const { manifest } = convert(oas({ '/a': { get: { security: [{}, { oauth: ['a'] }] } } }));
    expect(manifest.publicRoutes).toEqual([{ method: 'GET', path: '/a', reason: 'anonymous alternative ({})' }]);
  });

  it('a scheme without scopes (HTTP bearer) lets any authenticated caller in, with a warning', () => {
    const result = convert(oas({ '/a': { get: { security: [{ bearer: [] }, { oauth: ['a'] }] } } }));
    expect(result.manifest.routes).toEqual([{ method: 'GET', path: '/a', scopes: [] }]);
    expect(result.warnings).toEqual([]);
    const onlyBearer = convert(oas({ '/b': { post: { security: [{ bearer: [] }] } } }));
    expect(onlyBearer.warnings).toEqual(['spec.json: POST /b: its security schemes carry no scopes: any authenticated caller may use it']);
  });

  it('x-portcullis-metered on the path item marks every operation of it metered', () => {
    const { manifest } = convert(oas({ '/a': { 'x-portcullis-metered': true, get: { security: [{ oauth: ['r'] }] } } }));
    expect(manifest.routes).toEqual([{ method: 'GET', path: '/a', scopes: ['r'], metered: true }]);
  });

  it('reads Swagger 2 JSON with securityDefinitions', () => {
    const text = JSON.stringify({
      swagger: '2.0',
      info: { title: 't', version: '1' },
      securityDefinitions: {
        petstore_auth: { type: 'oauth2', flow: 'implicit', authorizationUrl: 'https://idp.example/auth', scopes: { 'pets:read': 'r' } },
      },
      security: [{ petstore_auth: ['pets:read'] }],
      paths: { '/pets/{petId}': { get: { operationId: 'getPet' }, delete: { security: [{ petstore_auth: ['pets:write'] }] } } },
    });
    const { manifest, format } = manifestFromOpenApi(parseOpenApiText(text, 'swagger.json'), 'swagger.json');
    expect(format).toBe('Swagger 2.0');
    expect(manifest.routes).toEqual([
      { method: 'GET', path: '/pets/{petId}', scopes: ['pets:read'] },
      { method: 'DELETE', path: '/pets/{petId}', scopes: ['pets:write'] },
    ]);
  });
});

describe('bad specs: errors name the path and operation', () => {
  it('an unknown security scheme', () => {
    expect(() => convert(oas({ '/a': { get: { operationId: 'getA', security: [{ okta: ['a'] }] } } }))).toThrow(
      'spec.json: GET /a (operationId getA): unknown security scheme "okta" (defined: oauth, bearer)',
    );
  });

  it('a scope with characters scopes cannot hold', () => {
    expect(() => convert(oas({ '/a': { put: { security: [{ oauth: ['read write'] }] } } }))).toThrow(
      /^spec\.json: PUT \/a: scope "read write" of scheme "oauth" cannot be a scope/,
    );
    expect(() => convert(oas({ '/a': { put: { security: [{ oauth: ['say"hi'] }] } } }))).toThrow(OpenApiManifestError);
  });

  it('two operations for one route (parameter names do not make routes different)', () => {
    expect(() =>
      convert(oas({ '/a/{id}': { get: { security: [] } }, '/a/{key}': { get: { security: [] } } })),
    ).toThrow('spec.json: GET /a/{key}: duplicate operation: GET /a/{id} is the same route');
  });

  it('a duplicate operationId', () => {
    expect(() =>
      convert(oas({ '/a': { get: { operationId: 'x', security: [] } }, '/b': { get: { operationId: 'x', security: [] } } })),
    ).toThrow('spec.json: GET /b (operationId x): duplicate operationId, also used by GET /a');
  });

  it('a method written twice under one path in YAML', () => {
    const file = join(dir, 'twice.yaml');
    writeFileSync(file, 'openapi: 3.0.3\ninfo: {title: t, version: "1"}\npaths:\n  /a:\n    get: {}\n    get: {}\n');
    expect(() => convertOpenApiFile(file)).toThrow(/twice\.yaml: not valid YAML \(a duplicate operation or key\)/);
  });

  it('a path the manifest cannot hold names the path', () => {
    expect(() => convert(oas({ '/a/{p+}/b': { get: { security: [{ oauth: [] }] } } }))).toThrow(/greedy path parameter must be the last segment/);
  });

  it('not an OpenAPI document', () => {
    expect(() => convert({ routes: [] })).toThrow('spec.json: not an OpenAPI document (no "openapi" or "swagger" field)');
  });
});
