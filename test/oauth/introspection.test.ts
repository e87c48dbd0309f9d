/**
 * Opaque access tokens by RFC 7662 introspection, through the handler, against a real local HTTPS introspection
 * endpoint (test/support/introspection-server.ts). Secrets Manager, which has no local stand-in, is the one mocked
 * service (aws-sdk-client-mock). Covers: active, inactive, expired, endpoint down, endpoint slow, the cache (by the
 * token's SHA-256, until the earlier of exp and the TTL), and that nothing secret reaches the log or the context.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { generateSigningKey, signJwt } from '../../local/jwt-signer';
import { gatewayStatus } from '../support/authorizer-harness';
import { startIntrospectionServer, type IntrospectionServer } from '../support/introspection-server';
import { startProviderServer, type ProviderServer } from '../support/provider-server';
import { allowedRoutes, buildAuthorizer, eventFor, TempFiles, type TestAuthorizer } from './support';

const ISSUER = 'https://idp.example.com';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders-api-introspection-AbCdEf';
const CLIENT = { id: 'orders-api', secret: 'z8#Kq p+/=R2%v' };
const secretsManager = mockClient(SecretsManagerClient);
const files = new TempFiles();
let endpoint: IntrospectionServer;
let keys: ProviderServer;
let caFile: string;
const jwtKey = generateSigningKey('RS256', 'jwt-kid');

const opaque = () => randomBytes(24).toString('base64url');
const nowSeconds = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  endpoint = await startIntrospectionServer(CLIENT);
  keys = await startProviderServer();
  keys.route('/jwks.json', { json: { keys: [jwtKey.publicJwk] } });
  caFile = files.write(`${endpoint.ca}\n${keys.ca}`);
});
afterAll(async () => {
  await endpoint.stop();
  await keys.stop();
  files.remove();
  secretsManager.restore();
});
beforeEach(() => {
  secretsManager.reset();
  secretsManager.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({ SecretString: JSON.stringify({ client_secret: CLIENT.secret }) });
  endpoint.behaviour = { kind: 'answer' };
});
afterEach(() => endpoint.tokens.clear());

function introspectingAuthorizer(options: { nowMs?: () => number; cacheTtlSeconds?: number } = {}): TestAuthorizer {
  return buildAuthorizer({
    issuers: [
      {
        issuer: ISSUER,
        audience: 'orders-api',
        jwksUri: `${keys.origin}/jwks.json`,
        introspection: { endpoint: endpoint.endpoint, clientId: CLIENT.id, clientSecretArn: SECRET_ARN, timeoutMs: 300, cacheTtlSeconds: options.cacheTtlSeconds ?? 60 },
      },
    ],
    caFile,
    overrides: options.nowMs === undefined ? {} : { nowMs: options.nowMs },
  });
}

function activeToken(claims: Record<string, unknown> = {}): string {
  const token = opaque();
  endpoint.tokens.set(token, {
    active: true,
    scope: 'orders:read reports:read',
    client_id: 'web-shop',
    username: 'alice',
    sub: 'user-42',
    aud: 'orders-api',
    iss: ISSUER,
    token_type: 'Bearer',
    iat: nowSeconds() - 5,
    exp: nowSeconds() + 600,
    ...claims,
  });
  return token;
}

describe('Opaque tokens by introspection', () => {
  it('an active token is authorized to exactly the routes its scope allows, with user and client in the context', async () => {
    const authorizer = introspectingAuthorizer();
    const token = activeToken();
    const before = endpoint.requests;
    expect(await allowedRoutes(authorizer, `Bearer ${token}`)).toEqual(['GET /health', 'GET /orders', 'GET /reports']);
    const result = await authorizer.handler(eventFor('GET /orders', `Bearer ${token}`));
    expect(result.principalId).toBe('user-42');
    expect(result.context).toMatchObject({ issuer: ISSUER, sub: 'user-42', clientId: 'web-shop', scopes: 'orders:read reports:read' });
    // One introspection for all those requests: the answer is cached by the token's hash.
    expect(endpoint.requests - before).toBe(1);
    expect(authorizer.lines.join('\n')).not.toContain(token);
    expect(authorizer.lines.join('\n')).not.toContain(CLIENT.secret);
    expect(JSON.stringify(result)).not.toContain(token);
  });

  it('reads the client secret from Secrets Manager once, at cold start, and authenticates with client_secret_basic', async () => {
    const authorizer = introspectingAuthorizer();
    // Started when the handler is built (the cold start), before any request arrives.
    await vi.waitFor(() => expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(1), { timeout: 5000 });
    await gatewayStatus(authorizer, eventFor('GET /orders', `Bearer ${activeToken()}`));
    await gatewayStatus(authorizer, eventFor('GET /orders', `Bearer ${activeToken()}`));
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    expect(endpoint.unauthenticated).toBe(0);
  });

  it('takes a plain-string secret as the client secret', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: CLIENT.secret });
    expect(await gatewayStatus(introspectingAuthorizer(), eventFor('GET /orders', `Bearer ${activeToken()}`))).toBe(200);
  });

  it('an inactive token is a 401', async () => {
    const authorizer = introspectingAuthorizer();
    expect(await gatewayStatus(authorizer, eventFor('GET /orders', `Bearer ${opaque()}`))).toBe(401);
    expect(authorizer.reasons).toEqual(['token_inactive']);
  });

  it('an expired token is a 401 even when the endpoint calls it active', async () => {
    const authorizer = introspectingAuthorizer();
    expect(await gatewayStatus(authorizer, eventFor('GET /orders', `Bearer ${activeToken({ exp: nowSeconds() - 120 })}`))).toBe(401);
    expect(authorizer.reasons).toEqual(['token_expired']);
  });

  it('an answer for another audience, another issuer or a refresh token is a 401', async () => {
    const authorizer = introspectingAuthorizer();
    for (const claims of [{ aud: 'another-api' }, { iss: 'https://other.example.com' }, { token_type: 'refresh_token' }]) {
      expect(await gatewayStatus(authorizer, eventFor('GET /orders', `Bearer ${activeToken(claims)}`))).toBe(401);
    }
  });

  it('remembers an active answer until the token expires, when that comes before the TTL', async () => {
    let nowMs = Date.now();
    const authorizer = introspectingAuthorizer({ nowMs: () => nowMs });
    const token = activeToken({ exp: Math.floor(nowMs / 1000) + 20 });
    const before = endpoint.requests;
    expect(await gatewayStatus(authorizer, eventFor('GET /orders', `Bearer ${token}`))).toBe(200);
    nowMs += 15_000;
    expect(await gatewayStatus(authorizer, eventFor('GET /orders', `Bearer ${token}`))).toBe(200);
    expect(endpoint.requests - before).toBe(1);
    // Past exp (and the 30 s clock skew): the cache entry is gone, the endpoint is asked again, and its answer is
    // refused because its exp has passed.
    nowMs += 50_000;
    expect(await gatewayStatus(authorizer, eventFor('GET /orders', `Bearer ${token}`))).toBe(401);
    expect(endpoint.requests - before).toBe(2);
  });

  it('asks again after the TTL, so a revoked token stops working within it', async () => {
    let nowMs = Date.now();
    const authorizer = introspectingAuthorizer({ nowMs: () => nowMs, cacheTtlSeconds: 30 });
    const token = activeToken();
    expect(await gatewayStatus(authorizer, eventFor('GET /orders', `Bearer ${token}`))).toBe(200);
    endpoint.tokens.set(token, { active: false }); // revoked at the issuer
    nowMs += 29_000;
    expect(await gatewayStatus(authorizer, eventFor('GET /orders', `Bearer ${token}`))).toBe(200);
    nowMs += 2_000;
    expect(await gatewayStatus(authorizer, eventFor('GET /orders', `Bearer ${token}`))).toBe(401);
  });

  it('an endpoint that is down is a 500, never cached: the next request succeeds once it is back', async () => {
    const authorizer = introspectingAuthorizer();
    const token = activeToken();
    endpoint.behaviour = { kind: 'status', status: 503 };
    expect(await gatewayStatus(authorizer, eventFor('GET /orders', `Bearer ${token}`))).toBe(500);
    expect(authorizer.reasons).toEqual(['introspection_unavailable']);
    endpoint.behaviour = { kind: 'answer' };
    expect(await gatewayStatus(authorizer, eventFor('GET /orders', `Bearer ${token}`))).toBe(200);
  });

  it('an unreachable endpoint is a 500', async () => {
    const gone = await startIntrospectionServer(CLIENT);
    await gone.stop();
    const authorizer = buildAuthorizer({
      issuers: [{ issuer: ISSUER, audience: 'orders-api', introspection: { endpoint: gone.endpoint, clientId: CLIENT.id, clientSecretArn: SECRET_ARN } }],
      caFile,
    });
    expect(await gatewayStatus(authorizer, eventFor('GET /orders', `Bearer ${opaque()}`))).toBe(500);
  });

  it('a slow endpoint is a 500 after the timeout, and a hanging one too', async () => {
    const authorizer = introspectingAuthorizer();
    const token = activeToken();
    endpoint.behaviour = { kind: 'slow', ms: 2000 };
    expect(await gatewayStatus(authorizer, eventFor('GET /orders', `Bearer ${token}`))).toBe(500);
    endpoint.behaviour = { kind: 'hang' };
    expect(await gatewayStatus(authorizer, eventFor('GET /orders', `Bearer ${token}`))).toBe(500);
    expect(authorizer.reasons).toEqual(['introspection_unavailable', 'introspection_unavailable']);
  });

  it('a wrong client secret is a 500 (our fault, not the caller\'s), and a Secrets Manager failure is retried', async () => {
    secretsManager.on(GetSecretValueCommand).rejectsOnce(new Error('ThrottlingException')).resolves({ SecretString: 'not-the-secret' });
    const authorizer = introspectingAuthorizer();
    const token = activeToken();
    expect(await gatewayStatus(authorizer, eventFor('GET /orders', `Bearer ${token}`))).toBe(500);
    expect(secretsManager.commandCalls(GetSecretValueCommand).length).toBeGreaterThanOrEqual(1);
  });

  it('a three-segment JWS still goes to JWT verification, never to the introspection endpoint', async () => {
    const authorizer = introspectingAuthorizer();
    const before = endpoint.requests;
    const jwt = signJwt(jwtKey, { iss: ISSUER, aud: 'orders-api', sub: 'svc', client_id: 'svc', scope: 'orders:write', exp: nowSeconds() + 60 });
    expect(await allowedRoutes(authorizer, `Bearer ${jwt}`)).toEqual(['GET /health', 'POST /orders']);
    expect(endpoint.requests - before).toBe(0);
  });
});

describe('Introspection settings', () => {
  it('refuses a second introspecting issuer: an opaque token must go to one issuer only', () => {
    const entry = (issuer: string) => ({ issuer, audience: null, introspection: { endpoint: `${issuer}/introspect`, clientId: 'a', clientSecretArn: SECRET_ARN } });
    expect(() => buildAuthorizer({ issuers: [entry('https://a.example.com'), entry('https://b.example.com')], caFile })).toThrow(
      'at most one issuer may have an introspection endpoint',
    );
  });

  it('refuses an http endpoint, naming the field', () => {
    expect(() =>
      buildAuthorizer({ issuers: [{ issuer: ISSUER, audience: null, introspection: { endpoint: 'http://idp.example.com/i', clientId: 'a', clientSecretArn: SECRET_ARN } }], caFile }),
    ).toThrow('[0].introspection.endpoint must be an https URL');
  });
});
