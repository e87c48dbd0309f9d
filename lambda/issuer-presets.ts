/**
 * Provider presets: the defaults an issuer entry gets from `"provider": "<name>"`, read from each provider's documented
 * access-token layout. A preset only fills fields the entry leaves out; anything written in the entry wins.
 *
 * Sources (checked 2026-11):
 * - Okta: https://developer.okta.com/docs/reference/api/oidc/ (keys at `<issuer>/v1/keys` for a custom authorization
 *   server, `/oauth2/v1/keys` for the org server; `scp` array, `cid` client, `uid` user).
 * - Microsoft Entra ID: https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference (v1 `iss`
 *   `https://sts.windows.net/<tid>/`, v2 `https://login.microsoftonline.com/<tid>/v2.0`; `scp` space-delimited,
 *   `roles` array, `oid`, `tid`, `appid` (v1) / `azp` (v2); keys at `/<tid>/discovery/keys` and
 *   `/<tid>/discovery/v2.0/keys`).
 * - Auth0: https://auth0.com/docs/secure/tokens/access-tokens/access-token-profiles (issuer ends with `/`; RBAC puts
 *   `permissions` in the token; keys at `<issuer>.well-known/jwks.json`).
 * - Keycloak: https://www.keycloak.org/docs/latest/securing_apps/ (issuer `<host>/realms/<realm>`, keys at
 *   `<issuer>/protocol/openid-connect/certs`; `realm_access.roles`, `resource_access.<client>.roles`, `azp`).
 * - Amazon Cognito: https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-access-token.html
 *   (issuer `https://cognito-idp.<region>.amazonaws.com/<pool>` or, for pools with the updated issuer,
 *   `https://issuer-cognito-idp.<region>.amazonaws.com/<pool>`; no `aud` in access tokens, `client_id`,
 *   `token_use: access`, `cognito:groups`).
 */
import { ConfigurationError } from './errors';

export const PROVIDERS = ['okta', 'entra-v1', 'entra-v2', 'auth0', 'keycloak', 'cognito'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

/** Issuer-entry fields a preset may fill (written as in `JWT_ISSUERS`). */
export interface PresetDefaults {
  readonly jwksUri?: string;
  readonly audience?: null;
  readonly scopeClaims: readonly (string | readonly string[])[];
  readonly principalClaim?: string;
  readonly clientIdClaims: readonly string[];
  readonly tenantIds?: readonly string[];
  readonly requiredClaims?: Readonly<Record<string, string>>;
}

const ENTRA_V2_ISSUER = /^https:\/\/[^/]+\/([^/]+)\/v2\.0$/;
const ENTRA_V1_ISSUER = /^https:\/\/sts\.windows\.net\/([^/]+)\/$/;
const COGNITO_ISSUER = /^https:\/\/(?:issuer-)?cognito-idp\.[a-z0-9-]+\.amazonaws\.com\/[a-z0-9-]+_[A-Za-z0-9]+$/;

const withoutSlash = (url: string) => url.replace(/\/$/, '');

function mismatch(setting: string, where: string, provider: string, issuer: string, expected: string): never {
  throw new ConfigurationError(setting, `${where}.issuer ${JSON.stringify(issuer)} is not a ${provider} issuer (expected ${expected})`);
}

/**
 * The preset for `provider`, derived from the entry's issuer (and audience, for Keycloak client roles). Throws when the
 * issuer does not have the provider's documented form and the entry does not name its key set itself.
 */
export function providerDefaults(
  setting: string,
  where: string,
  provider: ProviderName,
  issuer: string,
  audience: unknown,
  jwksUriGiven: boolean,
): PresetDefaults {
  switch (provider) {
    case 'okta': {
      // A custom authorization server's issuer has /oauth2/<id>; the org server's is the bare domain.
      const custom = new URL(issuer).pathname.startsWith('/oauth2/');
      return {
        jwksUri: `${withoutSlash(issuer)}${custom ? '' : '/oauth2'}/v1/keys`,
        scopeClaims: ['scp'],
        principalClaim: 'sub',
        clientIdClaims: ['cid'],
      };
    }
    case 'entra-v2': {
      const tenant = ENTRA_V2_ISSUER.exec(issuer)?.[1];
      if (tenant === undefined) mismatch(setting, where, provider, issuer, 'https://login.microsoftonline.com/<tenant id>/v2.0');
      return {
        jwksUri: `${new URL(issuer).origin}/${tenant}/discovery/v2.0/keys`,
        scopeClaims: ['scp', 'roles'],
        principalClaim: 'oid',
        clientIdClaims: ['azp'],
        tenantIds: [tenant!],
      };
    }
    case 'entra-v1': {
      const tenant = ENTRA_V1_ISSUER.exec(issuer)?.[1];
      if (tenant === undefined && !jwksUriGiven) mismatch(setting, where, provider, issuer, 'https://sts.windows.net/<tenant id>/');
      return {
        // sts.windows.net issues v1 tokens but publishes no keys: they are served by login.microsoftonline.com.
        jwksUri: tenant === undefined ? undefined : `https://login.microsoftonline.com/${tenant}/discovery/keys`,
        scopeClaims: ['scp', 'roles'],
        principalClaim: 'oid',
        clientIdClaims: ['appid'],
        tenantIds: tenant === undefined ? undefined : [tenant],
      };
    }
    case 'auth0':
      if (!issuer.endsWith('/')) mismatch(setting, where, provider, issuer, 'https://<tenant>.<region>.auth0.com/ (with the trailing slash)');
      return { jwksUri: `${issuer}.well-known/jwks.json`, scopeClaims: ['scope', 'permissions'], principalClaim: 'sub', clientIdClaims: ['azp', 'client_id'] };
    case 'keycloak': {
      if (!/\/realms\/[^/]+$/.test(issuer)) mismatch(setting, where, provider, issuer, 'https://<host>/realms/<realm>');
      // The API's own client roles only: another client's roles (e.g. `account`) grant nothing here.
      const clients = typeof audience === 'string' ? [audience] : Array.isArray(audience) ? audience.filter((a) => typeof a === 'string') : [];
      return {
        jwksUri: `${issuer}/protocol/openid-connect/certs`,
        scopeClaims: ['scope', 'realm_access.roles', ...clients.map((client: string) => ['resource_access', client, 'roles'])],
        principalClaim: 'sub',
        clientIdClaims: ['azp', 'client_id'],
      };
    }
    case 'cognito':
      if (!COGNITO_ISSUER.test(issuer) && !jwksUriGiven) {
        mismatch(setting, where, provider, issuer, 'https://cognito-idp.<region>.amazonaws.com/<pool id> or https://issuer-cognito-idp.<region>.amazonaws.com/<pool id>');
      }
      return {
        jwksUri: `${issuer}/.well-known/jwks.json`,
        // Cognito access tokens carry no `aud`: the app client is checked through `clientIds` instead.
        audience: null,
        scopeClaims: ['scope', 'cognito:groups'],
        principalClaim: 'sub',
        clientIdClaims: ['client_id'],
        requiredClaims: { token_use: 'access' },
      };
  }
}
