/**
 * The local issuer's metadata: one document served at both `/.well-known/openid-configuration` (OIDC Discovery 1.0
 * section 3) and `/.well-known/oauth-authorization-server` (RFC 8414 section 2). It lists only what the issuer
 * does: the code flow with PKCE S256 (with a signed ID token for the `openid` scope), client credentials, refresh
 * tokens and introspection. No implicit flow, no userinfo endpoint, no PKCE `plain`.
 */
import type { DevClient } from '../dev-clients';
import type { SigningAlgorithm } from '../jwt-signer';

/** The OpenID Connect scopes the issuer understands (OIDC Core section 5.4), besides each client's API scopes. */
export const OIDC_SCOPES = ['openid', 'profile', 'email'] as const;

export const ENDPOINT_PATHS = {
  authorization: '/authorize',
  token: '/oauth2/token',
  introspection: '/oauth2/introspect',
  jwks: '/.well-known/jwks.json',
} as const;

export const METADATA_PATHS = ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server'] as const;

export function issuerMetadata(options: {
  readonly issuer: string;
  readonly signingAlgorithm: SigningAlgorithm;
  readonly clients: readonly DevClient[];
  readonly scopesSupported?: readonly string[];
}): Record<string, unknown> {
  const { issuer } = options;
  const apiScopes = options.scopesSupported ?? [...new Set(options.clients.flatMap((client) => client.scopes))];
  return {
    issuer,
    authorization_endpoint: `${issuer}${ENDPOINT_PATHS.authorization}`,
    token_endpoint: `${issuer}${ENDPOINT_PATHS.token}`,
    jwks_uri: `${issuer}${ENDPOINT_PATHS.jwks}`,
    introspection_endpoint: `${issuer}${ENDPOINT_PATHS.introspection}`,
    scopes_supported: [...OIDC_SCOPES, ...apiScopes],
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'client_credentials', 'refresh_token'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [options.signingAlgorithm],
    claims_supported: ['iss', 'sub', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'name', 'email'],
    // RFC 9207: the authorization response carries `iss`, so a client can tell issuers apart (mix-up defence).
    authorization_response_iss_parameter_supported: true,
  };
}
