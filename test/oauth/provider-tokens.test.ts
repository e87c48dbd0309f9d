/**
 * Done when: for each of Okta, Entra ID v1 and v2, Auth0, Keycloak and Cognito (both issuer forms), a token with the
 * provider's documented claim layout is authorized to exactly the routes its scopes or roles allow, through the
 * handler, with the issuer configured as the provider's docs give it and the keys fetched from a real HTTPS server at
 * the provider's key path. The expected routes are written in each fixture (test/fixtures/providers).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKey } from '../../local/jwt-signer';
import { startProviderServer, type ProviderServer } from '../support/provider-server';
import { allowedRoutes, buildAuthorizer, eventFor, loadProviderFixture, providerFixtureNames, signFixture, TempFiles, type ProviderFixture } from './support';

const key = generateSigningKey('RS256', 'provider-kid-2026');
const nowSeconds = Math.floor(Date.now() / 1000);
let server: ProviderServer;
const files = new TempFiles();
let caFile: string;

beforeAll(async () => {
  server = await startProviderServer();
  caFile = files.write(server.ca);
});
afterAll(async () => {
  await server.stop();
  files.remove();
});

function fixture(name: string): ProviderFixture {
  const loaded = loadProviderFixture(name, { origin: server.origin, kid: key.kid, nowSeconds });
  // Keys only at the provider's own path: a preset that derived the wrong URI would get a 404.
  server.route(loaded.jwksPath, { json: { keys: [key.publicJwk] } });
  return loaded;
}

const authorizerFor = (loaded: ProviderFixture) => buildAuthorizer({ issuers: [loaded.issuerEntry], caFile });

describe('Provider access tokens through the handler', () => {
  it('has a fixture for every provider the issue names', () => {
    expect(providerFixtureNames()).toEqual(['auth0', 'cognito-regional', 'cognito-updated-issuer', 'entra-v1', 'entra-v2', 'keycloak', 'okta']);
  });

  describe.each(providerFixtureNames())('%s', (name) => {
    it('is authorized to exactly the routes its scopes or roles allow', async () => {
      const loaded = fixture(name);
      const authorizer = authorizerFor(loaded);
      expect(await allowedRoutes(authorizer, `Bearer ${signFixture(loaded, key)}`)).toEqual(loaded.allowedRoutes);
      expect(server.requestsTo(loaded.jwksPath)).toBeGreaterThan(0);
    });

    it('puts the principal claim and the client in the context, both present', async () => {
      const loaded = fixture(name);
      const result = await authorizerFor(loaded).handler(eventFor('GET /health', `Bearer ${signFixture(loaded, key)}`));
      expect(result.principalId).toBe(loaded.principal);
      expect(result.context).toMatchObject({ authMethod: 'jwt', issuer: loaded.issuer, clientId: loaded.clientId });
      expect(JSON.stringify(result.context)).not.toContain(signFixture(loaded, key).split('.')[2]);
    });
  });
});

describe('Provider-specific refusals', () => {
  it('Entra ID: a token from another tenant is refused, even with the right issuer spelling', async () => {
    const loaded = fixture('entra-v2');
    const authorizer = authorizerFor(loaded);
    const token = signFixture(loaded, key, { tid: '00000000-0000-0000-0000-000000000000' });
    await expect(authorizer.handler(eventFor('GET /health', `Bearer ${token}`))).rejects.toThrow('Unauthorized');
    expect(authorizer.reasons).toEqual(['invalid_claims']);
  });

  it('Entra ID: a v1 token is not accepted by a v2 issuer (the spellings are different issuers)', async () => {
    const v2 = fixture('entra-v2');
    const v1 = fixture('entra-v1');
    const token = signFixture(v1, key);
    await expect(authorizerFor(v2).handler(eventFor('GET /health', `Bearer ${token}`))).rejects.toThrow('Unauthorized');
  });

  it('Cognito: an id token and a token of another app client are refused', async () => {
    const loaded = fixture('cognito-regional');
    const authorizer = authorizerFor(loaded);
    for (const claims of [{ token_use: 'id' }, { client_id: 'another-app-client' }]) {
      await expect(authorizer.handler(eventFor('GET /health', `Bearer ${signFixture(loaded, key, claims)}`))).rejects.toThrow('Unauthorized');
    }
  });

  it('Keycloak: roles of another client (account) grant nothing on this API', async () => {
    const loaded = fixture('keycloak');
    const token = signFixture(loaded, key, { realm_access: { roles: [] }, resource_access: { account: { roles: ['orders-admin', 'Reports.Read'] } } });
    expect(await allowedRoutes(authorizerFor(loaded), `Bearer ${token}`)).toEqual(['GET /health', 'GET /orders']);
  });

  it('Okta: a token for another authorization server audience is refused', async () => {
    const loaded = fixture('okta');
    await expect(authorizerFor(loaded).handler(eventFor('GET /health', `Bearer ${signFixture(loaded, key, { aud: 'api://other' })}`))).rejects.toThrow(
      'Unauthorized',
    );
  });
});
