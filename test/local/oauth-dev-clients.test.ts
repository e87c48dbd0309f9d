/**
 * dev-clients.json: the committed file loads, and a bad client or user fails with its position and field.
 */
import { describe, expect, it } from 'vitest';
import { grantTypesOf, loadDevClients, loadDevUsers, parseDevClients, parseDevUsers } from '../../local/dev-clients';

const clients = (entry: Record<string, unknown>) => parseDevClients({ clients: [entry] }, 'f');

describe('Function: parseDevClients', () => {
  it('loads the committed clients: machine clients, a public code + PKCE client, an opaque one and the API', () => {
    const loaded = loadDevClients();
    const spa = loaded.find((client) => client.clientId === 'local-spa')!;
    expect(spa.clientSecret).toBeUndefined();
    expect(grantTypesOf(spa)).toEqual(['authorization_code', 'refresh_token']);
    expect(loaded.find((client) => client.clientId === 'local-opaque')?.accessTokenFormat).toBe('opaque');
    expect(grantTypesOf(loaded.find((client) => client.clientId === 'local-reader')!)).toEqual(['client_credentials']);
    expect(loadDevUsers().map((user) => user.sub)).toEqual(['alice', 'bob']);
  });

  it('refuses a public client with a secret or the client_credentials grant', () => {
    const spa = { clientId: 'spa', tokenEndpointAuthMethod: 'none', scopes: [], redirectUris: ['https://app.test/cb'] };
    expect(() => clients({ ...spa, clientSecret: 'long-enough' })).toThrow('f: clients[0]: a public client (tokenEndpointAuthMethod "none") has no clientSecret');
    expect(() => clients({ ...spa, grantTypes: ['client_credentials'] })).toThrow('cannot use client_credentials');
  });

  it('refuses a code client without redirect URIs, or with one that is http off loopback or has a fragment', () => {
    const base = { clientId: 'web', clientSecret: 'long-enough', scopes: [], grantTypes: ['authorization_code'] };
    expect(() => clients(base)).toThrow('needs redirectUris');
    for (const uri of ['http://app.test/cb', 'https://app.test/cb#x', 'not a url']) {
      expect(() => clients({ ...base, redirectUris: [uri] })).toThrow('f: clients[0].redirectUris');
    }
    expect(clients({ ...base, redirectUris: ['http://localhost:9000/cb'] })[0]!.redirectUris).toEqual(['http://localhost:9000/cb']);
  });

  it('refuses an unknown grant type or token format', () => {
    expect(() => clients({ clientId: 'x', clientSecret: 'long-enough', scopes: [], grantTypes: ['password'] })).toThrow('grantTypes');
    expect(() => clients({ clientId: 'x', clientSecret: 'long-enough', scopes: [], accessTokenFormat: 'paseto' })).toThrow('accessTokenFormat');
  });
});

describe('Function: parseDevUsers', () => {
  it('refuses a duplicate user, a bad email or scopes, and accepts none', () => {
    const user = { sub: 'carol', name: 'Carol', email: 'carol@example.test', scopes: ['items:read'] };
    expect(() => parseDevUsers({ users: [user, user] }, 'f')).toThrow('f: users[1]: user carol is listed twice');
    expect(() => parseDevUsers({ users: [{ ...user, email: 'carol' }] }, 'f')).toThrow('f: users[0].email');
    expect(() => parseDevUsers({ users: [{ ...user, scopes: ['bad scope'] }] }, 'f')).toThrow('f: users[0].scopes');
    expect(parseDevUsers({}, 'f')).toEqual([]);
  });
});
