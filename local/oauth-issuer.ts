/**
 * The local OAuth 2.0 / OIDC issuer, over HTTPS with the self-signed certificate kept in `.local/`:
 *
 * - `GET /.well-known/openid-configuration`: discovery document (issuer, jwks_uri, token_endpoint, ...)
 * - `GET /.well-known/jwks.json`: the current signing key's public JWK
 * - `POST /oauth2/token`: the `client_credentials` grant (RFC 6749 section 4.4) for the dev clients, with client
 *   authentication by HTTP Basic or by `client_id`/`client_secret` in the form body (section 2.3.1), errors as
 *   section 5.2 defines them, and `Cache-Control: no-store`.
 */
import { BodyTooLargeError, readBody } from './read-body';
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SigningKey } from './jwt-signer';
import type { TlsMaterial } from './tls-certificate';
import { DEFAULT_TOKEN_TTL_SECONDS, mintAccessToken } from './access-token';
import type { DevClient } from './dev-clients';

export interface OAuthIssuerOptions {
  readonly tls: TlsMaterial;
  readonly signingKey: SigningKey;
  readonly clients: readonly DevClient[];
  readonly audience: string;
  /** Every scope the issuer knows (published in the discovery document). */
  readonly scopesSupported?: readonly string[];
  readonly tokenTtlSeconds?: number;
}

export type OAuthErrorCode = 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unsupported_grant_type' | 'invalid_scope';

/** Largest token request body read. */
const MAX_BODY_BYTES = 8192;

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json;charset=UTF-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function oauthError(res: ServerResponse, code: OAuthErrorCode, description: string, basicChallenge = false): void {
  const status = code === 'invalid_client' ? 401 : 400;
  sendJson(res, status, { error: code, error_description: description }, {
    'cache-control': 'no-store',
    pragma: 'no-cache',
    ...(basicChallenge ? { 'www-authenticate': 'Basic realm="portcullis-local-issuer", charset="UTF-8"' } : {}),
  });
}

/** Compares secrets in constant time whatever their lengths. */
function secretsEqual(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** `application/x-www-form-urlencoded` decoding of one Basic credential part (RFC 6749 section 2.3.1). */
function formDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

type ClientCredentials =
  | { readonly ok: true; readonly clientId: string; readonly clientSecret: string; readonly viaBasic: boolean }
  | { readonly ok: false; readonly code: OAuthErrorCode; readonly description: string; readonly viaBasic: boolean };

function clientCredentials(req: IncomingMessage, form: URLSearchParams): ClientCredentials {
  const authorization = req.headers.authorization;
  const inBody = form.has('client_id') || form.has('client_secret');
  if (authorization !== undefined) {
    const match = /^Basic +([A-Za-z0-9+/]+=*)$/i.exec(authorization.trim());
    if (!match) return { ok: false, code: 'invalid_client', description: 'Client authentication must use HTTP Basic', viaBasic: true };
    if (inBody) {
      return { ok: false, code: 'invalid_request', description: 'Use one client authentication method, not Basic and the body', viaBasic: true };
    }
    const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const clientId = colon > 0 ? formDecode(decoded.slice(0, colon)) : undefined;
    const clientSecret = colon > 0 ? formDecode(decoded.slice(colon + 1)) : undefined;
    if (!clientId || clientSecret === undefined) {
      return { ok: false, code: 'invalid_client', description: 'Malformed Basic client credentials', viaBasic: true };
    }
    return { ok: true, clientId, clientSecret, viaBasic: true };
  }
  const clientId = form.get('client_id');
  const clientSecret = form.get('client_secret');
  if (!clientId || clientSecret === null) {
    return { ok: false, code: 'invalid_client', description: 'Client authentication is required', viaBasic: false };
  }
  return { ok: true, clientId, clientSecret, viaBasic: false };
}

export class OAuthIssuer {
  private issuerUrl = '';

  constructor(private readonly options: OAuthIssuerOptions) {}

  /** The issuer identifier (`https://127.0.0.1:<port>`), known once the server listens. */
  get issuer(): string {
    return this.issuerUrl;
  }

  setIssuer(issuerUrl: string): void {
    this.issuerUrl = issuerUrl.replace(/\/$/, '');
  }

  createServer(): Server {
    return createServer({ key: this.options.tls.key, cert: this.options.tls.cert }, (req, res) => {
      this.handle(req, res).catch(() => {
        if (!res.headersSent) sendJson(res, 500, { error: 'server_error' });
        else res.destroy();
      });
    });
  }

  private discovery(): Record<string, unknown> {
    return {
      issuer: this.issuerUrl,
      jwks_uri: `${this.issuerUrl}/.well-known/jwks.json`,
      token_endpoint: `${this.issuerUrl}/oauth2/token`,
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      response_types_supported: ['token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: [this.options.signingKey.alg],
      scopes_supported: [...(this.options.scopesSupported ?? [...new Set(this.options.clients.flatMap((c) => c.scopes))])],
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'https://localhost').pathname;
    if (path === '/.well-known/openid-configuration' || path === '/.well-known/jwks.json') {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        sendJson(res, 405, { error: 'method_not_allowed' }, { allow: 'GET, HEAD' });
        return;
      }
      const body = path.endsWith('jwks.json') ? { keys: [this.options.signingKey.publicJwk] } : this.discovery();
      sendJson(res, 200, body, { 'cache-control': 'max-age=300' });
      return;
    }
    if (path === '/oauth2/token') {
      if (req.method !== 'POST') {
        res.setHeader('allow', 'POST');
        sendJson(res, 405, { error: 'invalid_request', error_description: 'The token endpoint accepts POST only' });
        return;
      }
      await this.token(req, res);
      return;
    }
    sendJson(res, 404, { error: 'not_found' });
  }

  private async token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req, MAX_BODY_BYTES).catch((error: unknown) => {
      if (error instanceof BodyTooLargeError) return undefined;
      throw error;
    });
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/x-www-form-urlencoded') {
      oauthError(res, 'invalid_request', 'The body must be application/x-www-form-urlencoded');
      return;
    }
    if (body === undefined) {
      oauthError(res, 'invalid_request', 'The request body is too large');
      return;
    }
    const form = new URLSearchParams(body.toString('utf8'));
    const repeated = [...new Set(form.keys())].find((name) => form.getAll(name).length > 1);
    if (repeated !== undefined) {
      oauthError(res, 'invalid_request', `Parameter ${repeated} is repeated`);
      return;
    }

    const credentials = clientCredentials(req, form);
    if (!credentials.ok) {
      oauthError(res, credentials.code, credentials.description, credentials.viaBasic);
      return;
    }
    const client = this.options.clients.find((candidate) => candidate.clientId === credentials.clientId);
    // Same answer (and the same work) for an unknown client and a wrong secret.
    const secretOk = secretsEqual(credentials.clientSecret, client?.clientSecret ?? '\u0000no-such-client');
    if (!client || !secretOk) {
      oauthError(res, 'invalid_client', 'Client authentication failed', credentials.viaBasic);
      return;
    }

    const grantType = form.get('grant_type');
    if (!grantType) {
      oauthError(res, 'invalid_request', 'grant_type is required');
      return;
    }
    if (grantType !== 'client_credentials') {
      oauthError(res, 'unsupported_grant_type', `Grant type ${JSON.stringify(grantType.slice(0, 64))} is not supported; use client_credentials`);
      return;
    }

    let scopes: readonly string[] = client.scopes;
    const requested = form.get('scope');
    if (requested !== null) {
      const list = requested.split(' ');
      if (list.some((scope) => scope === '')) {
        oauthError(res, 'invalid_scope', 'scope must be space-delimited scope tokens');
        return;
      }
      const refused = list.filter((scope) => !client.scopes.includes(scope));
      if (refused.length > 0) {
        oauthError(res, 'invalid_scope', `Client ${client.clientId} may not request: ${refused.join(' ')}`);
        return;
      }
      scopes = [...new Set(list)];
    }

    const expiresIn = this.options.tokenTtlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS;
    const accessToken = mintAccessToken(this.options.signingKey, {
      issuer: this.issuerUrl,
      audience: this.options.audience,
      clientId: client.clientId,
      scopes,
      ttlSeconds: expiresIn,
    });
    sendJson(
      res,
      200,
      { access_token: accessToken, token_type: 'Bearer', expires_in: expiresIn, scope: scopes.join(' ') },
      { 'cache-control': 'no-store', pragma: 'no-cache' },
    );
  }
}
