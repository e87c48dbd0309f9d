/**
 * OIDC Discovery / RFC 8414: an issuer configured by URL alone gets its keys from the `jwks_uri` its metadata names,
 * fetched from a real HTTPS server that serves provider-shaped metadata at a non-default key path. The metadata must
 * name exactly the configured issuer; any discovery failure is a 500, never a 401, and is retried later.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKey, signJwt } from '../../local/jwt-signer';
import { gatewayStatus } from '../support/authorizer-harness';
import { startProviderServer, type ProviderServer } from '../support/provider-server';
import { buildAuthorizer, eventFor, TempFiles } from './support';

const key = generateSigningKey('ES256', 'discovered-kid');
let server: ProviderServer;
const files = new TempFiles();
let caFile: string;
let realm = 0;

beforeAll(async () => {
  server = await startProviderServer();
  caFile = files.write(server.ca);
});
afterAll(async () => {
  await server.stop();
  files.remove();
});

/** A fresh Keycloak-shaped realm: metadata at the OIDC well-known path, keys at /protocol/openid-connect/certs. */
function keycloakRealm(overrides: Record<string, unknown> = {}) {
  const issuer = `${server.origin}/realms/realm-${++realm}`;
  const jwksPath = `/realms/realm-${realm}/protocol/openid-connect/certs`;
  const metadataPath = `/realms/realm-${realm}/.well-known/openid-configuration`;
  server.route(metadataPath, {
    json: {
      issuer,
      authorization_endpoint: `${issuer}/protocol/openid-connect/auth`,
      token_endpoint: `${issuer}/protocol/openid-connect/token`,
      introspection_endpoint: `${issuer}/protocol/openid-connect/token/introspect`,
      jwks_uri: `${server.origin}${jwksPath}`,
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256', 'ES256'],
      ...overrides,
    },
  });
  server.route(jwksPath, { json: { keys: [key.publicJwk] } });
  return { issuer, jwksPath, metadataPath };
}

const token = (issuer: string, scope = 'orders:read') =>
  signJwt(key, { iss: issuer, aud: 'orders-api', sub: 'alice', azp: 'web', scope, iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 600 });

describe('Discovery', () => {
  it('finds the keys of an issuer given by URL alone at the jwks_uri of its openid-configuration', async () => {
    const { issuer, jwksPath, metadataPath } = keycloakRealm();
    const authorizer = buildAuthorizer({ issuers: [{ issuer, audience: 'orders-api', discovery: true }], caFile });
    expect(await gatewayStatus(authorizer, eventFor('GET /orders', `Bearer ${token(issuer)}`))).toBe(200);
    expect(await gatewayStatus(authorizer, eventFor('POST /orders', `Bearer ${token(issuer, 'orders:write')}`))).toBe(200);
    expect(await gatewayStatus(authorizer, eventFor('GET /reports', `Bearer ${token(issuer)}`))).toBe(403);
    // Metadata and keys fetched once; later tokens are verified with the cached keys.
    expect(server.requestsTo(metadataPath)).toBe(1);
    expect(server.requestsTo(jwksPath)).toBe(1);
    expect(server.requestsTo(`/realms/realm-${realm}/.well-known/jwks.json`)).toBe(0);
  });

  it('reads RFC 8414 metadata at /.well-known/oauth-authorization-server/<issuer path>', async () => {
    const issuer = `${server.origin}/tenants/acme`;
    server.route('/.well-known/oauth-authorization-server/tenants/acme', {
      json: { issuer, token_endpoint: `${issuer}/token`, jwks_uri: `${server.origin}/keys/acme.json`, response_types_supported: ['code'] },
    });
    server.route('/keys/acme.json', { json: { keys: [key.publicJwk] } });
    const authorizer = buildAuthorizer({ issuers: [{ issuer, audience: 'orders-api', discovery: 'oauth-authorization-server' }], caFile });
    expect(await gatewayStatus(authorizer, eventFor('GET /orders', `Bearer ${token(issuer)}`))).toBe(200);
  });

  it('refuses metadata that names another issuer (500), and never fetches the keys it points at', async () => {
    const { issuer, jwksPath } = keycloakRealm({ issuer: `${server.origin}/realms/someone-else` });
    const authorizer = buildAuthorizer({ issuers: [{ issuer, audience: 'orders-api', discovery: true }], caFile });
    expect(await gatewayStatus(authorizer, eventFor('GET /orders', `Bearer ${token(issuer)}`))).toBe(500);
    expect(authorizer.reasons).toEqual(['jwks_unavailable']);
    expect(server.requestsTo(jwksPath)).toBe(0);
  });

  it('refuses a trailing-slash variant of the issuer: the match is exact', async () => {
    const { issuer } = keycloakRealm();
    server.route(`/realms/realm-${realm}/.well-known/openid-configuration`, { json: { issuer: `${issuer}/`, jwks_uri: `${server.origin}/x` } });
    const authorizer = buildAuthorizer({ issuers: [{ issuer, audience: 'orders-api', discovery: true }], caFile });
    expect(await gatewayStatus(authorizer, eventFor('GET /orders', `Bearer ${token(issuer)}`))).toBe(500);
  });

  it('refuses an http jwks_uri (500)', async () => {
    const { issuer } = keycloakRealm({ jwks_uri: 'http://127.0.0.1:1/certs' });
    const authorizer = buildAuthorizer({ issuers: [{ issuer, audience: 'orders-api', discovery: true }], caFile });
    expect(await gatewayStatus(authorizer, eventFor('GET /orders', `Bearer ${token(issuer)}`))).toBe(500);
  });

  it('caps the metadata size like a JWKS (500 over JWKS_MAX_BYTES)', async () => {
    const { issuer } = keycloakRealm({ padding: 'x'.repeat(4000) });
    const authorizer = buildAuthorizer({ issuers: [{ issuer, audience: 'orders-api', discovery: true }], caFile, env: { JWKS_MAX_BYTES: '2048' } });
    expect(await gatewayStatus(authorizer, eventFor('GET /orders', `Bearer ${token(issuer)}`))).toBe(500);
  });

  it('retries a failed discovery after the refetch interval instead of remembering the failure', async () => {
    const { issuer, metadataPath } = keycloakRealm();
    const metadata = { issuer, jwks_uri: `${server.origin}/realms/realm-${realm}/protocol/openid-connect/certs` };
    server.route(metadataPath, { status: 503, json: { error: 'unavailable' } });
    let nowMs = Date.now();
    const authorizer = buildAuthorizer({ issuers: [{ issuer, audience: 'orders-api', discovery: true }], caFile, overrides: { nowMs: () => nowMs } });
    expect(await gatewayStatus(authorizer, eventFor('GET /orders', `Bearer ${token(issuer)}`))).toBe(500);
    server.route(metadataPath, { json: metadata });
    nowMs += 11_000;
    expect(await gatewayStatus(authorizer, eventFor('GET /orders', `Bearer ${token(issuer)}`))).toBe(200);
  });
});

describe('Discovery settings', () => {
  it('refuses discovery together with an explicit jwksUri, naming the setting', () => {
    expect(() =>
      buildAuthorizer({ issuers: [{ issuer: 'https://idp.example.com', audience: null, discovery: true, jwksUri: 'https://idp.example.com/k' }], caFile }),
    ).toThrow('JWT_ISSUERS: [0]: give jwksUri or discovery, not both');
  });
});
