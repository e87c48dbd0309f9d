/**
 * The local issuer's OAuth 2.0 / OIDC flows, checked by a real client (openid-client 6) against the running local
 * mode: discovery at both well-known paths, client credentials, authorization code with PKCE S256, rotating
 * refresh tokens, and the tokens used through the local gateway with the real authorizer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import type { LocalMode } from '../../local/mode';
import { call, issuerRequest, startTestLocalMode, tokenRequest } from './local-helpers';
import { issuerFetch, jwtClaims, signIn } from './oauth-helpers';

const REDIRECT_URI = 'http://127.0.0.1:8400/callback';
let local: LocalMode;

beforeAll(async () => {
  local = await startTestLocalMode();
});

afterAll(async () => {
  await local?.stop();
});

function discover(clientId: string, secret?: string, algorithm: 'oidc' | 'oauth2' = 'oidc') {
  return client.discovery(
    new URL(local.issuerUrl),
    clientId,
    secret,
    secret === undefined ? client.None() : client.ClientSecretBasic(secret),
    { algorithm, [client.customFetch]: issuerFetch(local) },
  );
}

/** Starts a code flow for local-spa and signs in as `user`; returns what the callback receives and the checks. */
async function codeFlow(config: client.Configuration, user: string, scope = 'openid profile items:read items:write') {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  // A nonce only with openid: openid-client then expects an ID token.
  const nonce = scope.split(' ').includes('openid') ? client.randomNonce() : undefined;
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    ...(nonce !== undefined ? { nonce } : {}),
  });
  const callback = await signIn(local, url, user);
  return { callback, verifier, state, nonce };
}

function authorizeUrl(parameters: Record<string, string>): string {
  return `/authorize?${new URLSearchParams(parameters).toString()}`;
}

const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'; // RFC 7636 appendix B

describe('Local issuer metadata', () => {
  it('is discovered by openid-client at openid-configuration and at RFC 8414 oauth-authorization-server', async () => {
    for (const algorithm of ['oidc', 'oauth2'] as const) {
      const metadata = (await discover('local-reader', 'local-reader-secret', algorithm)).serverMetadata();
      expect(metadata.issuer).toBe(local.issuerUrl);
      expect(metadata.token_endpoint).toBe(`${local.issuerUrl}/oauth2/token`);
      expect(metadata.authorization_endpoint).toBe(`${local.issuerUrl}/authorize`);
      expect(metadata.introspection_endpoint).toBe(`${local.issuerUrl}/oauth2/introspect`);
      expect(metadata.supportsPKCE()).toBe(true);
    }
  });

  it('advertises only what it offers: the code flow with PKCE S256, no implicit token response, no plain', async () => {
    const document = JSON.parse((await issuerRequest(local, '/.well-known/oauth-authorization-server')).text);
    expect(document.response_types_supported).toEqual(['code']);
    expect(document.code_challenge_methods_supported).toEqual(['S256']);
    expect(document.grant_types_supported).toEqual(['authorization_code', 'client_credentials', 'refresh_token']);
    expect(document.token_endpoint_auth_methods_supported).toEqual(['client_secret_basic', 'client_secret_post', 'none']);
    expect(document.id_token_signing_alg_values_supported).toEqual(['RS256']);
    expect(document.scopes_supported).toEqual(expect.arrayContaining(['openid', 'items:read', 'items:write', 'items:admin']));
    expect(document.userinfo_endpoint).toBeUndefined();
    const oidc = JSON.parse((await issuerRequest(local, '/.well-known/openid-configuration')).text);
    expect(oidc).toEqual(document);
  });
});

describe('Client credentials through openid-client', () => {
  it('gets a token that the gateway accepts on an allowed route and refuses on another', async () => {
    const config = await discover('local-reader', 'local-reader-secret');
    const tokens = await client.clientCredentialsGrant(config, { scope: 'items:read' });
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.scope).toBe('items:read');
    expect((await call(local, 'GET', '/items', `Bearer ${tokens.access_token}`)).status).toBe(200);
    expect((await call(local, 'POST', '/items', `Bearer ${tokens.access_token}`, { name: 'x' })).status).toBe(403);
  });
});

describe('Authorization code with PKCE', () => {
  it('signs alice in, returns state and an ID token, and her token reaches the API with user and client in the context', async () => {
    const config = await discover('local-spa');
    const { callback, verifier, state, nonce } = await codeFlow(config, 'alice');
    expect(callback.searchParams.get('state')).toBe(state);
    expect(callback.searchParams.get('iss')).toBe(local.issuerUrl);
    const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
    expect(tokens.claims()).toMatchObject({ sub: 'alice', aud: 'local-spa', iss: local.issuerUrl, name: 'Alice Admin' });
    expect(tokens.refresh_token).toMatch(/^ptcr_/);
    expect(jwtClaims(tokens.access_token)).toMatchObject({ sub: 'alice', client_id: 'local-spa', scope: 'openid profile items:read items:write' });

    const whoami = await call(local, 'GET', '/whoami', `Bearer ${tokens.access_token}`);
    expect(whoami.status).toBe(200);
    expect(whoami.json()).toMatchObject({ sub: 'alice', clientId: 'local-spa', principalId: 'alice' });
    expect((await call(local, 'POST', '/items', `Bearer ${tokens.access_token}`, { name: 'from alice' })).status).toBe(201);
  });

  it('grants a user only the requested scopes they hold (bob reads, cannot write)', async () => {
    const config = await discover('local-spa');
    const { callback, verifier, state, nonce } = await codeFlow(config, 'bob');
    const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
    expect(tokens.scope).toBe('openid profile items:read');
    expect((await call(local, 'GET', '/items', `Bearer ${tokens.access_token}`)).status).toBe(200);
    expect((await call(local, 'POST', '/items', `Bearer ${tokens.access_token}`, { name: 'x' })).status).toBe(403);
  });

  it('refuses a code redeemed twice and revokes its refresh token, and a denied consent redirects with access_denied', async () => {
    const config = await discover('local-spa');
    const { callback, verifier, state, nonce } = await codeFlow(config, 'alice');
    const first = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
    const again = await tokenRequest(local, {
      grant_type: 'authorization_code',
      client_id: 'local-spa',
      code: callback.searchParams.get('code')!,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
    });
    expect(again.status).toBe(400);
    expect(again.body.error).toBe('invalid_grant');
    // RFC 6749 section 4.1.2: what the first redemption issued is revoked.
    await expect(client.refreshTokenGrant(config, first.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });

    const denied = await signIn(local, `${local.issuerUrl}${authorizeUrl({ response_type: 'code', client_id: 'local-spa', redirect_uri: REDIRECT_URI, code_challenge: CHALLENGE, code_challenge_method: 'S256', state: 's1' })}`, 'alice', 'deny');
    expect(Object.fromEntries(denied.searchParams)).toMatchObject({ error: 'access_denied', state: 's1' });
  });

  it('refuses PKCE plain and a missing challenge with a redirect carrying invalid_request and the state', async () => {
    const base = { response_type: 'code', client_id: 'local-spa', redirect_uri: REDIRECT_URI, state: 'xyz' };
    const cases: Record<string, string>[] = [{ code_challenge: CHALLENGE, code_challenge_method: 'plain' }, { code_challenge: CHALLENGE }, {}];
    for (const pkce of cases) {
      const response = await issuerRequest(local, authorizeUrl({ ...base, ...pkce }));
      expect(response.status).toBe(303);
      const location = new URL(response.headers.location as string);
      expect(`${location.origin}${location.pathname}`).toBe(REDIRECT_URI);
      expect(location.searchParams.get('error')).toBe('invalid_request');
      expect(location.searchParams.get('state')).toBe('xyz');
    }
  });

  it('never redirects to a redirect_uri the client did not register (exact match), nor for an unknown client', async () => {
    for (const redirect of ['http://127.0.0.1:8400/callback/', 'http://127.0.0.1:8401/callback', 'https://evil.example/callback']) {
      const response = await issuerRequest(local, authorizeUrl({ response_type: 'code', client_id: 'local-spa', redirect_uri: redirect, code_challenge: CHALLENGE, code_challenge_method: 'S256' }));
      expect(response.status).toBe(400);
      expect(response.headers.location).toBeUndefined();
      expect(response.headers['content-type']).toMatch(/^text\/html/);
    }
    const unknown = await issuerRequest(local, authorizeUrl({ response_type: 'code', client_id: 'nobody', redirect_uri: REDIRECT_URI }));
    expect(unknown.status).toBe(400);
    expect(unknown.headers.location).toBeUndefined();
  });

  it('refuses a code without its verifier or with a wrong one (invalid_grant)', async () => {
    const config = await discover('local-spa');
    for (const verifier of [undefined, client.randomPKCECodeVerifier()]) {
      const { callback } = await codeFlow(config, 'alice');
      const response = await tokenRequest(local, {
        grant_type: 'authorization_code',
        client_id: 'local-spa',
        code: callback.searchParams.get('code')!,
        redirect_uri: REDIRECT_URI,
        ...(verifier !== undefined ? { code_verifier: verifier } : {}),
      });
      expect(response.status).toBe(400);
      expect(response.body.error).toBe('invalid_grant');
    }
  });

  it('refuses the code grant to a client not allowed it (unauthorized_client), and a secret from a public client', async () => {
    const machine = await issuerRequest(local, authorizeUrl({ response_type: 'code', client_id: 'local-reader', redirect_uri: REDIRECT_URI }));
    expect(machine.status).toBe(400); // no registered redirect URIs: error page, no redirect
    const publicWithSecret = await tokenRequest(local, { grant_type: 'refresh_token', client_id: 'local-spa', client_secret: 'guess', refresh_token: 'x' });
    expect(publicWithSecret.status).toBe(401);
    expect(publicWithSecret.body.error).toBe('invalid_client');
    const ccForPublic = await tokenRequest(local, { grant_type: 'client_credentials', client_id: 'local-spa' });
    expect(ccForPublic.body.error).toBe('unauthorized_client');
  });
});

describe('Refresh tokens', () => {
  it('rotate: a refreshed access token works, and reusing an old refresh token revokes the whole family', async () => {
    const config = await discover('local-spa');
    const { callback, verifier, state, nonce } = await codeFlow(config, 'alice');
    const first = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
    const second = await client.refreshTokenGrant(config, first.refresh_token!);
    expect(second.refresh_token).toBeDefined();
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(jwtClaims(second.access_token)).toMatchObject({ sub: 'alice', client_id: 'local-spa' });
    expect((await call(local, 'GET', '/items', `Bearer ${second.access_token}`)).status).toBe(200);

    const narrowed = await client.refreshTokenGrant(config, second.refresh_token!, { scope: 'items:read' });
    expect(narrowed.scope).toBe('items:read');

    const reuse = client.refreshTokenGrant(config, first.refresh_token!);
    await expect(reuse).rejects.toMatchObject({ error: 'invalid_grant' });
    // The family is gone: even the newest refresh token no longer works.
    await expect(client.refreshTokenGrant(config, narrowed.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('may not widen the scope, and belong to the client they were issued to', async () => {
    const config = await discover('local-spa');
    const { callback, verifier, state } = await codeFlow(config, 'alice', 'items:read');
    const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state });
    expect(tokens.id_token).toBeUndefined();
    await expect(client.refreshTokenGrant(config, tokens.refresh_token!, { scope: 'items:read items:admin' })).rejects.toMatchObject({ error: 'invalid_scope' });
    const stolen = await tokenRequest(local, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }, {
      authorization: `Basic ${Buffer.from('local-admin:local-admin-secret').toString('base64')}`,
    });
    expect(stolen.body.error).toBe('unauthorized_client');
  });
});
