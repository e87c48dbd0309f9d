import { describe, expect, it } from 'vitest';
import { gatewayResponseBodyJson, gatewayResponses, servedGatewayResponses } from '../../infra/gateway-responses';

describe('gatewayResponses', () => {
  it('covers 401, 403, 429 and 500 with a JSON {message, code} body', () => {
    const byType = new Map(gatewayResponses().map((d) => [d.type, d]));
    expect(byType.get('UNAUTHORIZED')?.statusCode).toBe(401);
    expect(byType.get('ACCESS_DENIED')?.statusCode).toBe(403);
    expect(byType.get('THROTTLED')?.statusCode).toBe(429);
    expect(byType.get('QUOTA_EXCEEDED')?.statusCode).toBe(429);
    expect(byType.get('AUTHORIZER_FAILURE')?.statusCode).toBe(500);
    expect(byType.get('AUTHORIZER_CONFIGURATION_ERROR')?.statusCode).toBe(500);
    expect(byType.get('DEFAULT_5XX')?.statusCode).toBeUndefined(); // keeps the status it stands for
    for (const definition of byType.values()) {
      expect(Object.keys(JSON.parse(gatewayResponseBodyJson(definition)))).toEqual(['message', 'code']);
      expect(definition.headers['Access-Control-Allow-Origin']).toBe('*');
    }
  });

  it('challenges 401 with invalid_token and 403 with insufficient_scope (RFC 6750)', () => {
    const byType = new Map(gatewayResponses({ realm: 'orders' }).map((d) => [d.type, d]));
    expect(byType.get('UNAUTHORIZED')?.headers['WWW-Authenticate']).toMatch(/^Bearer realm="orders", error="invalid_token"/);
    expect(byType.get('ACCESS_DENIED')?.headers['WWW-Authenticate']).toMatch(/^Bearer realm="orders", error="insufficient_scope"/);
    expect(byType.get('THROTTLED')?.headers).not.toHaveProperty('WWW-Authenticate');
  });

  it('refuses a realm or origin that would break the header', () => {
    expect(() => gatewayResponses({ realm: 'a"b' })).toThrow(/realm/);
    expect(() => gatewayResponses({ allowOrigin: "https://a.example'" })).toThrow(/allowOrigin/);
  });

  it('serves the same status, headers and body locally as API Gateway deploys', () => {
    const served = servedGatewayResponses();
    for (const definition of gatewayResponses()) {
      expect(served[definition.type]).toEqual({
        statusCode: definition.statusCode ?? definition.fallbackStatusCode,
        headers: { 'Content-Type': 'application/json', ...definition.headers },
        body: gatewayResponseBodyJson(definition),
      });
    }
    expect(served.UNAUTHORIZED.statusCode).toBe(401);
    expect(JSON.parse(served.QUOTA_EXCEEDED.body)).toEqual({ message: expect.any(String), code: 'quota_exceeded' });
  });
});
