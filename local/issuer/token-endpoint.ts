/**
 * `POST /oauth2/token` (RFC 6749 sections 3.2, 4.1.3, 4.4, 6): the `client_credentials`, `authorization_code`
 * (PKCE S256 verified, RFC 7636 section 4.6) and `refresh_token` grants, for the dev clients allowed each. Errors
 * as section 5.2 defines them; answers carry `Cache-Control: no-store`.
 *
 * Access tokens are JWTs (local/access-token.ts) or, for a client configured for them, opaque tokens the issuer
 * introspects. The code grant also returns a refresh token (rotated on each use) and, for `openid`, an ID token.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DEFAULT_TOKEN_TTL_SECONDS, mintAccessToken } from '../access-token';
import { grantTypesOf, type DevClient, type DevGrantType, type DevUser } from '../dev-clients';
import type { SigningKey } from '../jwt-signer';
import type { GrantStore } from './grant-store';
import { authenticateClient, NO_STORE, oauthError, readForm, sendJson } from './http';
import { mintIdToken } from './id-token';

export interface TokenEndpointOptions {
  readonly signingKey: SigningKey;
  readonly clients: readonly DevClient[];
  readonly users: readonly DevUser[];
  readonly store: GrantStore;
  readonly audience: string;
  readonly tokenTtlSeconds?: number;
  readonly issuer: () => string;
}

/** RFC 7636 section 4.1: 43-128 unreserved characters. */
const CODE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;
const GRANT_TYPES: readonly string[] = ['client_credentials', 'authorization_code', 'refresh_token'] satisfies DevGrantType[];

type Answer = { status: 200; body: Record<string, unknown> } | { status: 400; error: 'invalid_request' | 'invalid_grant' | 'invalid_scope'; description: string };

const refuse = (error: 'invalid_request' | 'invalid_grant' | 'invalid_scope', description: string): Answer => ({ status: 400, error, description });

/** The requested scopes, when all are within `allowed`; undefined when none were requested. */
function requestedScopes(form: URLSearchParams, allowed: readonly string[], who: string): { ok: true; scopes?: string[] } | { ok: false; answer: Answer } {
  const requested = form.get('scope');
  if (requested === null) return { ok: true };
  const list = requested.split(' ');
  if (list.some((scope) => scope === '')) return { ok: false, answer: refuse('invalid_scope', 'scope must be space-delimited scope tokens') };
  const refused = list.filter((scope) => !allowed.includes(scope));
  if (refused.length > 0) return { ok: false, answer: refuse('invalid_scope', `${who} may not request: ${refused.join(' ')}`) };
  return { ok: true, scopes: [...new Set(list)] };
}

export class TokenEndpoint {
  constructor(private readonly options: TokenEndpointOptions) {}

  private get ttl(): number {
    return this.options.tokenTtlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      sendJson(res, 405, { error: 'invalid_request', error_description: 'The token endpoint accepts POST only' });
      return;
    }
    const read = await readForm(req);
    if (!read.ok) {
      oauthError(res, 'invalid_request', read.description);
      return;
    }
    const { form } = read;
    const authenticated = authenticateClient(req, form, this.options.clients);
    if (!authenticated.ok) {
      oauthError(res, authenticated.code, authenticated.description, authenticated.viaBasic);
      return;
    }
    const { client } = authenticated;
    const grantType = form.get('grant_type');
    if (!grantType) {
      oauthError(res, 'invalid_request', 'grant_type is required');
      return;
    }
    if (!GRANT_TYPES.includes(grantType)) {
      oauthError(res, 'unsupported_grant_type', `Grant type ${JSON.stringify(grantType.slice(0, 64))} is not supported; use ${GRANT_TYPES.join(', ')}`);
      return;
    }
    if (!grantTypesOf(client).includes(grantType as DevGrantType)) {
      oauthError(res, 'unauthorized_client', `Client ${client.clientId} may not use the ${grantType} grant`);
      return;
    }
    const answer =
      grantType === 'client_credentials'
        ? this.clientCredentials(client, form)
        : grantType === 'authorization_code'
          ? this.authorizationCode(client, form)
          : this.refreshToken(client, form);
    if (answer.status === 200) sendJson(res, 200, answer.body, { ...NO_STORE });
    else oauthError(res, answer.error, answer.description);
  }

  /** An access token for the client or a user: a JWT, or an opaque token for a client configured for them. */
  private accessToken(client: DevClient, scopes: readonly string[], subject?: string, familyId?: string): string {
    const issuer = this.options.issuer();
    if (client.accessTokenFormat === 'opaque') {
      const now = Math.floor(Date.now() / 1000);
      return this.options.store.issueOpaqueToken({
        clientId: client.clientId,
        sub: subject ?? client.clientId,
        scopes,
        issuedAt: now,
        expiresAt: now + this.ttl,
        audience: this.options.audience,
        jti: randomUUID(),
        ...(familyId !== undefined ? { familyId } : {}),
      });
    }
    return mintAccessToken(this.options.signingKey, {
      issuer,
      audience: this.options.audience,
      clientId: client.clientId,
      scopes,
      ...(subject !== undefined ? { subject } : {}),
      ttlSeconds: this.ttl,
    });
  }

  private clientCredentials(client: DevClient, form: URLSearchParams): Answer {
    const requested = requestedScopes(form, client.scopes, `Client ${client.clientId}`);
    if (!requested.ok) return requested.answer;
    const scopes = requested.scopes ?? client.scopes;
    return {
      status: 200,
      body: { access_token: this.accessToken(client, scopes), token_type: 'Bearer', expires_in: this.ttl, scope: scopes.join(' ') },
    };
  }

  private authorizationCode(client: DevClient, form: URLSearchParams): Answer {
    const code = form.get('code');
    if (!code) return refuse('invalid_request', 'code is required');
    const redirectUri = form.get('redirect_uri');
    if (!redirectUri) return refuse('invalid_request', 'redirect_uri is required');
    const verifier = form.get('code_verifier');
    const redeemed = this.options.store.redeemCode(code);
    if (redeemed.kind !== 'ok') {
      return refuse('invalid_grant', redeemed.kind === 'reused' ? 'The code was already used; the tokens issued for it are revoked' : 'The code is invalid or expired');
    }
    const { grant, familyId } = redeemed;
    if (grant.clientId !== client.clientId) return refuse('invalid_grant', 'The code was issued to another client');
    if (grant.redirectUri !== redirectUri) return refuse('invalid_grant', 'redirect_uri does not match the authorization request');
    // The code was issued with a challenge (always, here): no verifier, or a wrong one, fails the grant.
    if (verifier === null) return refuse('invalid_grant', 'code_verifier is required (PKCE)');
    if (!CODE_VERIFIER.test(verifier)) return refuse('invalid_request', 'code_verifier must be 43-128 characters of A-Z a-z 0-9 - . _ ~');
    if (createHash('sha256').update(verifier, 'ascii').digest('base64url') !== grant.codeChallenge) {
      return refuse('invalid_grant', 'code_verifier does not match the code_challenge');
    }
    return { status: 200, body: this.userTokens(client, grant.sub, grant.scopes, familyId, grant.authTime, grant.nonce, true) };
  }

  private refreshToken(client: DevClient, form: URLSearchParams): Answer {
    const token = form.get('refresh_token');
    if (!token) return refuse('invalid_request', 'refresh_token is required');
    const used = this.options.store.useRefreshToken(token, client.clientId);
    if (used.kind !== 'ok') {
      const why: Record<typeof used.kind, string> = {
        unknown: 'The refresh token is invalid',
        expired: 'The refresh token has expired',
        revoked: 'The refresh token was revoked',
        reused: 'The refresh token was already used: its whole family is revoked',
        wrong_client: 'The refresh token was issued to another client',
      };
      return refuse('invalid_grant', why[used.kind]);
    }
    const { grant } = used;
    // RFC 6749 section 6: a refresh may narrow the scope, never widen it.
    const requested = requestedScopes(form, grant.scopes, 'This refresh token');
    if (!requested.ok) return requested.answer;
    return { status: 200, body: this.userTokens(client, grant.sub, requested.scopes ?? grant.scopes, grant.familyId, grant.authTime, undefined, false) };
  }

  private userTokens(
    client: DevClient,
    sub: string,
    scopes: readonly string[],
    familyId: string,
    authTime: number,
    nonce: string | undefined,
    withIdToken: boolean,
  ): Record<string, unknown> {
    const body: Record<string, unknown> = {
      access_token: this.accessToken(client, scopes, sub, familyId),
      token_type: 'Bearer',
      expires_in: this.ttl,
      scope: scopes.join(' '),
    };
    if (grantTypesOf(client).includes('refresh_token')) {
      body.refresh_token = this.options.store.issueRefreshToken({ clientId: client.clientId, sub, scopes, familyId, authTime });
    }
    const user = this.options.users.find((candidate) => candidate.sub === sub);
    // OIDC Core section 12.2: a refresh response need not carry an ID token; this issuer sends one only for the code.
    if (withIdToken && scopes.includes('openid') && user !== undefined) {
      body.id_token = mintIdToken(this.options.signingKey, {
        issuer: this.options.issuer(),
        clientId: client.clientId,
        user,
        scopes,
        authTime,
        ttlSeconds: this.ttl,
        ...(nonce !== undefined ? { nonce } : {}),
      });
    }
    return body;
  }
}
