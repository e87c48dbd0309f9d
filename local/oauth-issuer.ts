/**
 * The local OAuth 2.0 / OpenID Connect issuer, over HTTPS with the self-signed certificate kept in `.local/`. It
 * routes to one module per endpoint (local/issuer/):
 *
 * - `GET /.well-known/openid-configuration` and `/.well-known/oauth-authorization-server`: its metadata
 * - `GET /.well-known/jwks.json`: the current signing key's public JWK
 * - `GET|POST /authorize`: the login page of the authorization code grant (PKCE S256 required)
 * - `POST /oauth2/token`: the client_credentials, authorization_code and refresh_token grants
 * - `POST /oauth2/introspect`: RFC 7662 introspection of its opaque and JWT access tokens
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { SigningKey } from './jwt-signer';
import type { TlsMaterial } from './tls-certificate';
import { DEFAULT_TOKEN_TTL_SECONDS } from './access-token';
import type { DevClient, DevUser } from './dev-clients';
import { AuthorizationEndpoint } from './issuer/authorization-endpoint';
import { GrantStore } from './issuer/grant-store';
import { sendJson } from './issuer/http';
import { IntrospectionEndpoint } from './issuer/introspection-endpoint';
import { ENDPOINT_PATHS, issuerMetadata, METADATA_PATHS } from './issuer/metadata';
import { TokenEndpoint } from './issuer/token-endpoint';

export type { OAuthErrorCode } from './issuer/http';

export interface OAuthIssuerOptions {
  readonly tls: TlsMaterial;
  readonly signingKey: SigningKey;
  readonly clients: readonly DevClient[];
  /** The people the login page offers (none: the code flow answers access_denied). */
  readonly users?: readonly DevUser[];
  readonly audience: string;
  /** Every API scope the issuer knows (published in the metadata). */
  readonly scopesSupported?: readonly string[];
  readonly tokenTtlSeconds?: number;
}

export class OAuthIssuer {
  private issuerUrl = '';
  private readonly store = new GrantStore();
  private readonly authorization: AuthorizationEndpoint;
  private readonly tokens: TokenEndpoint;
  private readonly introspection: IntrospectionEndpoint;

  constructor(private readonly options: OAuthIssuerOptions) {
    const issuer = () => this.issuerUrl;
    const users = options.users ?? [];
    this.authorization = new AuthorizationEndpoint({ clients: options.clients, users, store: this.store, issuer });
    this.tokens = new TokenEndpoint({
      signingKey: options.signingKey,
      clients: options.clients,
      users,
      store: this.store,
      audience: options.audience,
      ...(options.tokenTtlSeconds !== undefined ? { tokenTtlSeconds: options.tokenTtlSeconds } : {}),
      issuer,
    });
    this.introspection = new IntrospectionEndpoint({ signingKey: options.signingKey, clients: options.clients, store: this.store, issuer });
  }

  /** The issuer identifier (`https://127.0.0.1:<port>`), known once the server listens. */
  get issuer(): string {
    return this.issuerUrl;
  }

  setIssuer(issuerUrl: string): void {
    this.issuerUrl = issuerUrl.replace(/\/$/, '');
  }

  /**
   * Issues an opaque access token directly, as `/oauth2/token` would for an opaque client (tests: an expired one
   * with a negative TTL). The token is introspectable at `/oauth2/introspect` until it expires.
   */
  issueOpaqueToken(options: { clientId: string; scopes: readonly string[]; subject?: string; ttlSeconds?: number }): string {
    const now = Math.floor(Date.now() / 1000);
    return this.store.issueOpaqueToken({
      clientId: options.clientId,
      sub: options.subject ?? options.clientId,
      scopes: options.scopes,
      issuedAt: now,
      expiresAt: now + (options.ttlSeconds ?? this.options.tokenTtlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS),
      audience: this.options.audience,
      jti: randomUUID(),
    });
  }

  createServer(): Server {
    return createServer({ key: this.options.tls.key, cert: this.options.tls.cert }, (req, res) => {
      this.handle(req, res).catch(() => {
        if (!res.headersSent) sendJson(res, 500, { error: 'server_error' });
        else res.destroy();
      });
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://localhost');
    const path = url.pathname;
    if ((METADATA_PATHS as readonly string[]).includes(path) || path === ENDPOINT_PATHS.jwks) {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        sendJson(res, 405, { error: 'method_not_allowed' }, { allow: 'GET, HEAD' });
        return;
      }
      const body =
        path === ENDPOINT_PATHS.jwks
          ? { keys: [this.options.signingKey.publicJwk] }
          : issuerMetadata({
              issuer: this.issuerUrl,
              signingAlgorithm: this.options.signingKey.alg,
              clients: this.options.clients,
              ...(this.options.scopesSupported ? { scopesSupported: this.options.scopesSupported } : {}),
            });
      sendJson(res, 200, body, { 'cache-control': 'max-age=300' });
      return;
    }
    if (path === ENDPOINT_PATHS.authorization) return this.authorization.handle(req, res, url);
    if (path === ENDPOINT_PATHS.token) return this.tokens.handle(req, res);
    if (path === ENDPOINT_PATHS.introspection) return this.introspection.handle(req, res);
    sendJson(res, 404, { error: 'not_found' });
  }
}
