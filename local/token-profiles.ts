/**
 * `npm run token -- --profile <provider>`: access tokens shaped like each identity provider's documented ones,
 * signed by the local issuer's key, as fixtures for the authorizer's per-provider claim mapping. Also `--cert`
 * (a certificate-bound token, RFC 8705 `cnf.x5t#S256`) and `--roles`. These options are read here, before the
 * token command's own options, so those stay exactly as they were.
 *
 * Shapes (header and claims) follow each provider's access token reference:
 * - okta: Okta custom authorization server (header kid/alg; `ver`, `cid`, `uid`, `scp` as an array)
 * - entra-v1 / entra-v2: Microsoft identity platform access token claims reference (header typ/alg/x5t/kid, x5t = kid;
 *   `ver` 1.0 with `appid` and issuer sts.windows.net, 2.0 with `azp` and login.microsoftonline.com/<tid>/v2.0;
 *   delegated tokens carry `scp` as a string, app-only tokens `roles`)
 * - auth0: Auth0 access token profile (`azp`, `scope`, `gty` for client credentials, RBAC `permissions`)
 * - keycloak: Keycloak (`typ` Bearer, `azp`, `realm_access.roles`, `resource_access.<client>.roles`, `scope`)
 * - cognito: Amazon Cognito access token (header kid/alg; `token_use` access, `client_id`, `version` 2, no `aud`,
 *   `cognito:groups` for users)
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { certificateThumbprint } from './client-certificate';
import { signJwt } from './jwt-signer';
import { loadOrCreateSigningKey, type LocalPaths } from './state';
import { TokenUsageError, type TokenRequest } from './token';

export const TOKEN_PROFILES = ['okta', 'entra-v1', 'entra-v2', 'auth0', 'keycloak', 'cognito'] as const;
export type TokenProfile = (typeof TOKEN_PROFILES)[number];

export const PROFILE_USAGE = `Provider-shaped and bound tokens:
  --profile P       shape the token like P's access tokens: ${TOKEN_PROFILES.join(', ')} (issuer: P's documented form,
                    or --iss); with --sub a user's token, else a client's (client credentials)
  --roles "a b"     roles/groups where P puts them (entra roles, keycloak realm_access, cognito:groups, auth0 permissions)
  --cert FILE       bind the token to a client certificate (PEM): cnf {"x5t#S256": ...} (RFC 8705)`;

export interface ExtendedTokenOptions {
  readonly profile?: TokenProfile;
  readonly roles?: readonly string[];
  readonly certFile?: string;
}

const NAMES = { '--profile': 'profile', '--roles': 'roles', '--cert': 'certFile' } as const;

/** Takes this module's options out of the arguments; the rest go to the token command's own parser. */
export function splitExtendedTokenArgs(args: readonly string[]): { rest: string[]; options: ExtendedTokenOptions } {
  const rest: string[] = [];
  const found: Partial<Record<'profile' | 'roles' | 'certFile', string>> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const equals = arg.indexOf('=');
    const flag = (equals > 0 ? arg.slice(0, equals) : arg) as keyof typeof NAMES;
    if (!(flag in NAMES)) {
      rest.push(arg);
      continue;
    }
    const value = equals > 0 ? arg.slice(equals + 1) : args[++i];
    if (value === undefined) throw new TokenUsageError(`${flag} needs a value`);
    found[NAMES[flag]] = value;
  }
  if (found.profile !== undefined && !(TOKEN_PROFILES as readonly string[]).includes(found.profile)) {
    throw new TokenUsageError(`--profile must be one of ${TOKEN_PROFILES.join(', ')}, got ${JSON.stringify(found.profile)}`);
  }
  return {
    rest,
    options: {
      ...(found.profile !== undefined ? { profile: found.profile as TokenProfile } : {}),
      ...(found.roles !== undefined ? { roles: found.roles.split(' ').filter((role) => role !== '') } : {}),
      ...(found.certFile !== undefined ? { certFile: found.certFile } : {}),
    },
  };
}

/** Example tenant values in each provider's documented issuer form. */
export const PROFILE_ISSUERS: Readonly<Record<TokenProfile, string>> = {
  okta: 'https://dev-123456.okta.com/oauth2/default',
  'entra-v1': 'https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/',
  'entra-v2': 'https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0',
  auth0: 'https://portcullis-dev.us.auth0.com/',
  keycloak: 'https://keycloak.example.test/realms/portcullis',
  cognito: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Examp1e00',
};

const ENTRA_TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';

interface Shape {
  readonly header: Record<string, unknown>;
  readonly claims: Record<string, unknown>;
}

/** The header and claims of `profile`'s access token for the request (before --claim overrides). */
export function profileShape(profile: TokenProfile, request: TokenRequest, kid: string, roles: readonly string[] | undefined, nowSeconds: number): Shape {
  const iss = request.issuer ?? PROFILE_ISSUERS[profile];
  const iat = nowSeconds;
  const exp = nowSeconds + request.ttlSeconds;
  const user = request.subject;
  const scope = request.scopes.join(' ');
  const withScope = <T extends Record<string, unknown>>(claims: T, name: string, value: unknown): T =>
    request.scopes.length > 0 ? { ...claims, [name]: value } : claims;
  switch (profile) {
    case 'okta':
      return {
        header: { typ: undefined },
        claims: withScope(
          { ver: 1, jti: `AT.${randomUUID().replace(/-/g, '')}`, iss, aud: request.audience, iat, exp, cid: request.clientId, ...(user ? { uid: `00u${user}`, auth_time: iat } : {}), sub: user ?? request.clientId },
          'scp',
          [...request.scopes],
        ),
      };
    case 'entra-v1':
    case 'entra-v2': {
      const v1 = profile === 'entra-v1';
      const tid = ENTRA_TENANT;
      const base: Record<string, unknown> = {
        aud: request.audience,
        iss,
        iat,
        nbf: iat,
        exp,
        aio: 'E2ZgYJg2dVa7',
        ...(v1 ? { appid: request.clientId, appidacr: '1', idp: `https://sts.windows.net/${tid}/` } : { azp: request.clientId, azpacr: '1' }),
        oid: user ?? request.clientId,
        rh: '0.AXkA',
        sub: user ?? request.clientId,
        tid,
        uti: randomUUID().slice(0, 22),
        ver: v1 ? '1.0' : '2.0',
      };
      if (user) {
        Object.assign(base, v1 ? { name: user, upn: `${user}@example.test`, unique_name: `${user}@example.test` } : { name: user, preferred_username: `${user}@example.test` });
        if (scope) base.scp = scope;
        if (roles) base.roles = [...roles];
      } else {
        // App-only tokens carry application permissions as roles, never scp.
        const appRoles = [...request.scopes, ...(roles ?? [])];
        if (appRoles.length > 0) base.roles = appRoles;
      }
      return { header: { typ: 'JWT', x5t: kid }, claims: base };
    }
    case 'auth0':
      return {
        header: { typ: 'JWT' },
        claims: {
          ...withScope(
            {
              iss,
              sub: user ? `auth0|${user}` : `${request.clientId}@clients`,
              aud: user ? [request.audience, `${iss}userinfo`] : request.audience,
              iat,
              exp,
              azp: request.clientId,
              ...(user ? {} : { gty: 'client-credentials' }),
            },
            'scope',
            scope,
          ),
          permissions: [...(roles ?? request.scopes)],
        },
      };
    case 'keycloak':
      return {
        header: { typ: 'JWT' },
        claims: {
          exp,
          iat,
          jti: randomUUID(),
          iss,
          aud: request.audience,
          sub: user ?? randomUUID(),
          typ: 'Bearer',
          azp: request.clientId,
          scope: scope || 'profile email',
          realm_access: { roles: [...(roles ?? ['default-roles-portcullis', 'offline_access'])] },
          ...(roles ? { resource_access: { [request.audience]: { roles: [...roles] } } } : {}),
          ...(user ? { preferred_username: user } : { preferred_username: `service-account-${request.clientId}`, client_id: request.clientId }),
        },
      };
    case 'cognito':
      return {
        header: { typ: undefined },
        claims: withScope(
          {
            sub: user ?? request.clientId,
            ...(user && roles ? { 'cognito:groups': [...roles] } : {}),
            iss,
            version: 2,
            client_id: request.clientId,
            token_use: 'access',
            auth_time: iat,
            exp,
            iat,
            jti: randomUUID(),
            ...(user ? { username: user, origin_jti: randomUUID(), event_id: randomUUID() } : {}),
          },
          'scope',
          scope,
        ),
      };
  }
}

/**
 * Mints a token with a profile and/or a certificate binding, signed by the issuer's current key. Without a
 * profile the claims are the local issuer's own (the token command's defaults) plus `cnf`.
 */
export function mintExtendedToken(
  request: TokenRequest,
  options: ExtendedTokenOptions,
  paths: LocalPaths,
  mintDefault: (request: TokenRequest) => { token: string; keyCreated: boolean },
): { token: string; keyCreated: boolean } {
  let cnf: Record<string, string> | undefined;
  if (options.certFile !== undefined) {
    let pem: string;
    try {
      pem = readFileSync(options.certFile, 'utf8');
      cnf = { 'x5t#S256': certificateThumbprint(pem) };
    } catch (error) {
      throw new TokenUsageError(`--cert ${options.certFile}: not a readable PEM certificate (${(error as Error).message})`);
    }
  }
  if (options.profile === undefined) {
    return mintDefault({ ...request, claims: { ...(cnf ? { cnf } : {}), ...request.claims } });
  }
  const { key, created } = loadOrCreateSigningKey(paths);
  const issuer = request.issuer ?? PROFILE_ISSUERS[options.profile];
  const shape = profileShape(options.profile, { ...request, issuer }, key.kid, options.roles, Math.floor(Date.now() / 1000));
  const claims = { ...shape.claims, ...(cnf ? { cnf } : {}), ...request.claims };
  return { token: signJwt(key, claims, shape.header), keyCreated: created };
}
