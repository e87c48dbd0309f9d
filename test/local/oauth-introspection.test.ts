/**
 * The local issuer's opaque access tokens and its RFC 7662 introspection endpoint, over real HTTPS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalMode } from '../../local/mode';
import { clientToken, issuerRequest, startTestLocalMode } from './local-helpers';

let local: LocalMode;

beforeAll(async () => {
  local = await startTestLocalMode();
});

afterAll(async () => {
  await local?.stop();
});

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

async function introspect(token: string, authorization = basic(local.introspection!.clientId, local.introspection!.clientSecret)) {
  const response = await issuerRequest(local, '/oauth2/introspect', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization },
    body: new URLSearchParams({ token }).toString(),
  });
  return { status: response.status, body: JSON.parse(response.text) as Record<string, unknown>, headers: response.headers };
}

describe('Opaque access tokens', () => {
  it('are issued to a client configured for them: random, not a JWS', async () => {
    const token = await clientToken(local, 'local-opaque');
    expect(token).toMatch(/^ptco_[A-Za-z0-9_-]{43}$/);
    expect(token.split('.')).toHaveLength(1);
  });
});

describe('Introspection endpoint', () => {
  it('exposes the resource server credentials for the local mode', () => {
    expect(local.introspection).toEqual({ endpoint: `${local.issuerUrl}/oauth2/introspect`, clientId: 'local-api', clientSecret: 'local-api-secret' });
  });

  it('answers an active opaque token with scope, client_id, sub, exp, iat and token_type', async () => {
    const before = Math.floor(Date.now() / 1000);
    const token = await clientToken(local, 'local-opaque', 'items:read');
    const { status, body, headers } = await introspect(token);
    expect(status).toBe(200);
    expect(headers['cache-control']).toBe('no-store');
    expect(body).toMatchObject({ active: true, scope: 'items:read', client_id: 'local-opaque', sub: 'local-opaque', token_type: 'Bearer', iss: local.issuerUrl });
    expect(body.iat).toBeGreaterThanOrEqual(before);
    expect(body.exp).toBe((body.iat as number) + 3600);
  });

  it('answers the issuer own JWT access tokens too', async () => {
    const token = await clientToken(local, 'local-reader');
    expect((await introspect(token)).body).toMatchObject({ active: true, client_id: 'local-reader', scope: 'items:read' });
  });

  it('answers only active:false for an unknown, expired or tampered token', async () => {
    const expired = local.oauthIssuer.issueOpaqueToken({ clientId: 'local-opaque', scopes: ['items:read'], ttlSeconds: -1 });
    const jwt = await clientToken(local, 'local-reader');
    const [header, payload] = jwt.split('.');
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), scope: 'items:admin' })).toString('base64url')}.${jwt.split('.')[2]}`;
    for (const token of ['ptco_unknown', expired, forged]) {
      expect((await introspect(token)).body).toEqual({ active: false });
    }
  });

  it('requires client authentication, by a confidential client', async () => {
    const token = await clientToken(local, 'local-opaque');
    expect((await introspect(token, basic('local-api', 'wrong'))).status).toBe(401);
    const anonymous = await issuerRequest(local, '/oauth2/introspect', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
    });
    expect(anonymous.status).toBe(401);
    const publicClient = await issuerRequest(local, '/oauth2/introspect', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, client_id: 'local-spa' }).toString(),
    });
    expect(publicClient.status).toBe(401);
    expect(JSON.parse(publicClient.text).error).toBe('invalid_client');
  });

  it('refuses a request without a token (invalid_request)', async () => {
    const noToken = await issuerRequest(local, '/oauth2/introspect', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic('local-api', 'local-api-secret') },
      body: '',
    });
    expect(noToken.status).toBe(400);
    expect(JSON.parse(noToken.text).error).toBe('invalid_request');
  });
});
