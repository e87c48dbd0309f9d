import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  backendAuthorizerContext,
  buildAuthorizerEvent,
  buildProxyEvent,
  headerMaps,
  requestTime,
  type GatewayRequest,
} from '../../local/authorizer-event';
import { LOCAL_STAGE } from '../../local/constants';

const fixture = (name: string) =>
  JSON.parse(readFileSync(join(__dirname, '../fixtures/apigateway-events', name), 'utf8')) as Record<string, unknown>;

const request = (overrides: Partial<GatewayRequest> = {}): GatewayRequest => ({
  method: 'GET',
  rawPath: '/items/42',
  rawQuery: '',
  rawHeaders: ['Host', '127.0.0.1:3000', 'User-Agent', 'curl/8', 'Authorization', 'Bearer abc'],
  sourceIp: '127.0.0.1',
  protocol: 'HTTP/1.1',
  body: Buffer.alloc(0),
  requestId: 'req-1',
  receivedAtMs: Date.UTC(2024, 5, 17, 15, 2, 3),
  ...overrides,
});

const match = { resource: '/items/{id}', pathParameters: { id: '42' } };

function keysDeep(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  return Object.entries(value).flatMap(([key, inner]) => [
    `${prefix}${key}`,
    ...(['headers', 'multiValueHeaders'].includes(key) ? [] : keysDeep(inner, `${prefix}${key}.`)),
  ]);
}

describe('Function: buildAuthorizerEvent', () => {
  it('has exactly the fields of the captured REST REQUEST authorizer event', () => {
    const event = buildAuthorizerEvent(LOCAL_STAGE, request({ rawPath: '/items' }), { resource: '/items', pathParameters: {} });
    expect(keysDeep(event).sort()).toEqual(keysDeep(fixture('rest-authorizer-request.json')).sort());
  });

  it('builds the method ARN from the stage, method and request path', () => {
    const event = buildAuthorizerEvent(LOCAL_STAGE, request(), match);
    expect(event.methodArn).toBe('arn:aws:execute-api:us-east-1:123456789012:ptclocal01/local/GET/items/42');
    expect(event).toMatchObject({ type: 'REQUEST', resource: '/items/{id}', path: '/items/42', httpMethod: 'GET', pathParameters: { id: '42' } });
    expect(event.requestContext).toMatchObject({ resourcePath: '/items/{id}', path: '/local/items/42', stage: 'local', requestTime: '17/Jun/2024:15:02:03 +0000' });
  });

  it('uses {} (not null) for absent query, path and stage values, as the captured event does', () => {
    const event = buildAuthorizerEvent(LOCAL_STAGE, request({ rawPath: '/items' }), { resource: '/items', pathParameters: {} });
    expect(event.queryStringParameters).toEqual({});
    expect(event.multiValueQueryStringParameters).toEqual({});
    expect(event.pathParameters).toEqual({});
    expect(event.stageVariables).toEqual({});
  });

  it('keeps duplicate headers in multiValueHeaders, with the last value in headers', () => {
    const event = buildAuthorizerEvent(
      LOCAL_STAGE,
      request({ rawHeaders: ['Authorization', 'Bearer one', 'authorization', 'Bearer two', 'Host', 'h'] }),
      match,
    );
    expect(event.headers).toEqual({ Authorization: 'Bearer two', Host: 'h' });
    expect(event.multiValueHeaders).toEqual({ Authorization: ['Bearer one', 'Bearer two'], Host: ['h'] });
  });

  it('decodes the query string: last value in queryStringParameters, every value in the multi-value map', () => {
    const event = buildAuthorizerEvent(LOCAL_STAGE, request({ rawQuery: 'a=1&a=2&b=x%20y&flag' }), match);
    expect(event.queryStringParameters).toEqual({ a: '2', b: 'x y', flag: '' });
    expect(event.multiValueQueryStringParameters).toEqual({ a: ['1', '2'], b: ['x y'], flag: [''] });
  });
});

describe('Function: buildProxyEvent', () => {
  it('has the fields of the captured proxy event behind a Lambda authorizer, with null for absent values', () => {
    const authorizer = backendAuthorizerContext('user', 12, { scopes: 'a b' });
    const event = buildProxyEvent(LOCAL_STAGE, request({ rawPath: '/items' }), { resource: '/items', pathParameters: {} }, authorizer);
    const expected = keysDeep(fixture('rest-lambda-authorizer-auth.json')).filter((key) => !key.startsWith('requestContext.authorizer.'));
    expect(keysDeep(event).filter((key) => !key.startsWith('requestContext.authorizer.')).sort()).toEqual(expected.sort());
    expect(event.queryStringParameters).toBeNull();
    expect(event.multiValueQueryStringParameters).toBeNull();
    expect(event.pathParameters).toBeNull();
    expect(event.stageVariables).toBeNull();
    expect(event.body).toBeNull();
    expect(event.isBase64Encoded).toBe(false);
  });

  it('names the usage key in requestContext.identity.apiKey when the route is metered', () => {
    const event = buildProxyEvent(LOCAL_STAGE, request(), match, backendAuthorizerContext('u', 0, {}), { apiKey: 'usage-1' });
    expect(event.requestContext.identity.apiKey).toBe('usage-1');
    expect(event.pathParameters).toEqual({ id: '42' });
  });

  it('delivers the authorizer context as strings next to principalId and integrationLatency', () => {
    expect(backendAuthorizerContext('user', 7, { s: 'x', n: 42, yes: true, no: false })).toEqual({
      principalId: 'user',
      integrationLatency: 7,
      s: 'x',
      n: '42',
      yes: 'true',
      no: 'false',
    });
  });
});

describe('Function: headerMaps', () => {
  it('groups header names case-insensitively under the first spelling received', () => {
    expect(headerMaps(['X-A', '1', 'x-a', '2'])).toEqual({ headers: { 'X-A': '2' }, multiValueHeaders: { 'X-A': ['1', '2'] } });
  });
});

describe('Function: requestTime', () => {
  it('formats like API Gateway', () => {
    expect(requestTime(Date.UTC(2024, 0, 5, 1, 2, 3))).toBe('05/Jan/2024:01:02:03 +0000');
  });
});

describe('requestContext.extendedRequestId', () => {
  it('is the request\'s own in both the authorizer and the backend event', () => {
    const shared = request({ extendedRequestId: 'abcdef0123456789' });
    expect(buildAuthorizerEvent(LOCAL_STAGE, shared, match).requestContext.extendedRequestId).toBe('abcdef0123456789');
    expect(buildProxyEvent(LOCAL_STAGE, shared, match, undefined).requestContext.extendedRequestId).toBe('abcdef0123456789');
  });

  it('is 16 hex characters when the request has none', () => {
    expect(buildAuthorizerEvent(LOCAL_STAGE, request(), match).requestContext.extendedRequestId).toMatch(/^[0-9a-f]{16}$/);
  });
});
