/**
 * `/authorize` (RFC 6749 section 4.1.1, RFC 7636): the authorization code grant with PKCE S256 required.
 *
 * - `GET`: checks the request and shows the login page. An unknown client or a redirect URI that is not one the
 *   client registered (exact string match) is an error page; anything else wrong redirects back with
 *   `error`, `state` and `iss` (section 4.1.2.1, RFC 9207).
 * - `POST` (the page's form): the developer's choice. The form carries only the id of the checked request kept
 *   here, so it cannot change what was asked. Allow redirects with a single-use code, Deny with `access_denied`.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { grantTypesOf, type DevClient, type DevUser } from '../dev-clients';
import type { GrantStore } from './grant-store';
import { readForm, sendHtml } from './http';
import { errorPage, loginPage } from './login-page';
import { OIDC_SCOPES } from './metadata';

/** How long the login page may stay open before its choice is refused. */
const PENDING_TTL_MS = 10 * 60_000;
const MAX_PENDING = 1000;
/** An S256 challenge is the base64url SHA-256 of the verifier: exactly 43 characters (RFC 7636 section 4.2). */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

interface PendingAuthorization {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly state?: string;
  readonly scopes: readonly string[];
  readonly codeChallenge: string;
  readonly nonce?: string;
  readonly expiresAtMs: number;
}

export interface AuthorizationEndpointOptions {
  readonly clients: readonly DevClient[];
  readonly users: readonly DevUser[];
  readonly store: GrantStore;
  readonly issuer: () => string;
}

type AuthorizationError = 'invalid_request' | 'unauthorized_client' | 'unsupported_response_type' | 'invalid_scope' | 'access_denied';

function redirect(res: ServerResponse, target: string): void {
  res.writeHead(303, { location: target, 'cache-control': 'no-store', 'content-length': 0 });
  res.end();
}

/** Adds the response parameters to the redirect URI, keeping its own query (RFC 6749 section 3.1.2). */
function responseUri(redirectUri: string, parameters: Record<string, string | undefined>): string {
  const url = new URL(redirectUri);
  for (const [name, value] of Object.entries(parameters)) if (value !== undefined) url.searchParams.append(name, value);
  return url.href;
}

export class AuthorizationEndpoint {
  private readonly pending = new Map<string, PendingAuthorization>();

  constructor(private readonly options: AuthorizationEndpointOptions) {}

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (req.method === 'GET' || req.method === 'HEAD') this.begin(res, url.searchParams);
    else if (req.method === 'POST') await this.decide(req, res);
    else {
      res.setHeader('allow', 'GET, POST');
      sendHtml(res, 405, errorPage('Use GET or POST'));
    }
  }

  private begin(res: ServerResponse, query: URLSearchParams): void {
    const repeated = [...new Set(query.keys())].find((name) => query.getAll(name).length > 1);
    const clientId = query.get('client_id');
    const client = this.options.clients.find((candidate) => candidate.clientId === clientId);
    if (!clientId || !client) {
      sendHtml(res, 400, errorPage(clientId ? `Unknown client ${clientId}` : 'client_id is required'));
      return;
    }
    const redirectUri = query.get('redirect_uri');
    if (!redirectUri || !(client.redirectUris ?? []).includes(redirectUri) || query.getAll('redirect_uri').length > 1) {
      sendHtml(res, 400, errorPage(`redirect_uri must be one of the URIs registered for ${clientId} (exact match)`));
      return;
    }
    const state = query.get('state') ?? undefined;
    const fail = (error: AuthorizationError, description: string) =>
      redirect(res, responseUri(redirectUri, { error, error_description: description, state, iss: this.options.issuer() }));

    if (repeated !== undefined) return fail('invalid_request', `Parameter ${repeated} is repeated`);
    const responseType = query.get('response_type');
    if (responseType !== 'code') return fail('unsupported_response_type', 'Only response_type=code is supported');
    if (!grantTypesOf(client).includes('authorization_code')) return fail('unauthorized_client', `${clientId} may not use the authorization code grant`);
    const codeChallenge = query.get('code_challenge');
    if (!codeChallenge) return fail('invalid_request', 'code_challenge is required: PKCE with S256');
    // RFC 7636 section 4.3: an absent method means plain, which is refused like an explicit plain.
    if (query.get('code_challenge_method') !== 'S256') return fail('invalid_request', 'code_challenge_method must be S256 (plain is not supported)');
    if (!S256_CHALLENGE.test(codeChallenge)) return fail('invalid_request', 'code_challenge must be 43 base64url characters (S256)');

    const scopeParameter = query.get('scope');
    let scopes: string[];
    if (scopeParameter === null) scopes = [...client.scopes];
    else {
      scopes = [...new Set(scopeParameter.split(' ').filter((scope) => scope !== ''))];
      const refused = scopes.filter((scope) => !client.scopes.includes(scope) && !(OIDC_SCOPES as readonly string[]).includes(scope));
      if (refused.length > 0) return fail('invalid_scope', `${clientId} may not request: ${refused.join(' ')}`);
    }
    if (this.options.users.length === 0) return fail('access_denied', 'No dev users are configured');

    const requestId = randomBytes(18).toString('base64url');
    const now = Date.now();
    if (this.pending.size >= MAX_PENDING) {
      for (const [id, entry] of this.pending) if (entry.expiresAtMs <= now) this.pending.delete(id);
      while (this.pending.size >= MAX_PENDING) this.pending.delete(this.pending.keys().next().value as string);
    }
    const nonce = query.get('nonce') ?? undefined;
    this.pending.set(requestId, {
      clientId,
      redirectUri,
      scopes,
      codeChallenge,
      expiresAtMs: now + PENDING_TTL_MS,
      ...(state !== undefined ? { state } : {}),
      ...(nonce !== undefined ? { nonce } : {}),
    });
    sendHtml(res, 200, loginPage({ requestId, clientId, redirectUri, scopes, users: this.options.users }));
  }

  private async decide(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const read = await readForm(req);
    if (!read.ok) {
      sendHtml(res, 400, errorPage(read.description));
      return;
    }
    const { form } = read;
    const requestId = form.get('request') ?? '';
    const pending = this.pending.get(requestId);
    this.pending.delete(requestId);
    if (pending === undefined || pending.expiresAtMs <= Date.now()) {
      sendHtml(res, 400, errorPage('This sign-in request is unknown or has expired: start again from the app'));
      return;
    }
    const iss = this.options.issuer();
    if (form.get('decision') !== 'allow') {
      redirect(res, responseUri(pending.redirectUri, { error: 'access_denied', error_description: 'The user denied the request', state: pending.state, iss }));
      return;
    }
    const user = this.options.users.find((candidate) => candidate.sub === form.get('user'));
    if (user === undefined) {
      sendHtml(res, 400, errorPage('Pick one of the dev users'));
      return;
    }
    const scopes = pending.scopes.filter((scope) => (OIDC_SCOPES as readonly string[]).includes(scope) || user.scopes.includes(scope));
    const code = this.options.store.issueCode({
      clientId: pending.clientId,
      sub: user.sub,
      scopes,
      redirectUri: pending.redirectUri,
      codeChallenge: pending.codeChallenge,
      authTime: Math.floor(Date.now() / 1000),
      ...(pending.nonce !== undefined ? { nonce: pending.nonce } : {}),
    });
    redirect(res, responseUri(pending.redirectUri, { code, state: pending.state, iss }));
  }
}
