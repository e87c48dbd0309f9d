/**
 * The per-issuer settings beyond issuer, audience and key set: provider presets, claim mapping (scopes and roles from
 * several claims, principal and client claims), tenant and client checks, the RFC 9068 profile, certificate-bound
 * tokens (RFC 8705), OIDC / RFC 8414 discovery and RFC 7662 introspection. Parsed once at cold start with the rest of
 * `JWT_ISSUERS` (config.ts calls in here), validated, frozen; a bad value names the entry and the field.
 */
import { claimName, fail, nonEmptyStrings, type Spec } from './issuer-setting-checks';
import type { ProviderName } from './issuer-presets';
import { optionalFeatures } from './split-features-loader';

// The parts only some entries use (provider presets, discovery, tenant templates, scopeClaims) ship with the optional
// features (issuer-defaults.ts); discoveryUrl stays importable from here.
export { discoveryUrl } from './issuer-defaults';

/** One claim read for scopes: a path into the payload, an optional prefix removed and one added. */
export interface ClaimSource {
  readonly path: readonly string[];
  /** The claim as written in the setting, for messages. */
  readonly label: string;
  /** Values starting with this lose it (Cognito's `<resource server>/`). */
  readonly stripPrefix?: string;
  /** Added to every value (e.g. `role:` so roles cannot be mistaken for scopes). */
  readonly prefix?: string;
}

export type DiscoveryDocument = 'openid-configuration' | 'oauth-authorization-server';

export interface IntrospectionConfig {
  /** RFC 7662 endpoint (https). */
  readonly endpoint: string;
  /** This API's client id at the issuer, sent with client_secret_basic. */
  readonly clientId: string;
  /** The Secrets Manager secret (ARN or name) holding the client secret: read at cold start, never in the environment. */
  readonly clientSecretArn: string;
  readonly cacheTtlSeconds: number;
  readonly timeoutMs: number;
  readonly maxBytes: number;
}

export interface IssuerExtensions {
  readonly provider?: ProviderName;
  /** Where scopes are read, in order; their values are merged. */
  readonly scopeSources: readonly ClaimSource[];
  /** The claim naming the principal; unset: `sub`, else the client id. */
  readonly principalClaim?: string;
  /** Claims naming the client, first present wins. */
  readonly clientIdClaims: readonly string[];
  /** For generic issuers: the clients whose tokens are accepted (null/unset: any). */
  readonly acceptedClientIds?: readonly string[];
  /** The token's `tid` must be one of these. */
  readonly tenantIds?: readonly string[];
  /** Claims that must hold exactly these string values (e.g. Cognito's `token_use: access`). */
  readonly requiredClaims?: Readonly<Record<string, string>>;
  /** `rfc9068`: `typ` must be `at+jwt` and the profile's claims present. */
  readonly profile?: 'rfc9068';
  /** Refuse tokens without `cnf["x5t#S256"]` (RFC 8705 certificate-bound tokens). */
  readonly requireBoundToken: boolean;
  /** Resolve `jwks_uri` from this metadata document (its URL is then the entry's `jwksUri`). */
  readonly discovery?: DiscoveryDocument;
  readonly introspection?: IntrospectionConfig;
}

/** The fields this module adds to an issuer entry. */
export const EXTENSION_FIELDS: ReadonlySet<string> = new Set([
  'provider',
  'scopeClaims',
  'principalClaim',
  'clientIdClaims',
  'clientIds',
  'tenantIds',
  'requiredClaims',
  'profile',
  'requireBoundToken',
  'discovery',
  'introspection',
]);
/** Of those, the ones a `cognitoUserPoolId` entry may use (it has its own `clientIds`, issuer and key set). */
export const COGNITO_EXTENSION_FIELDS: ReadonlySet<string> = new Set(['scopeClaims', 'principalClaim', 'profile', 'requireBoundToken']);

const TENANT_PLACEHOLDER = '{tenantid}';
const DEFAULT_CLIENT_ID_CLAIMS: readonly string[] = Object.freeze(['client_id', 'azp', 'appid']);

/**
 * The extension fields of one entry (after {@link withIssuerDefaults}). `legacyScope` is the entry's single
 * `scopeClaim`/`scopePrefix`, used when it lists no `scopeClaims`.
 */
export function parseIssuerExtensions(
  setting: string,
  spec: Spec,
  where: string,
  legacyScope: { claim: string; stripPrefix?: string },
): IssuerExtensions {
  if (spec.scopeClaims !== undefined && (spec.scopeClaim !== undefined || spec.scopePrefix !== undefined)) {
    fail(setting, `${where}: give scopeClaims or scopeClaim/scopePrefix, not both`);
  }
  let scopeSources: ClaimSource[];
  if (spec.scopeClaims === undefined) {
    const legacy: ClaimSource = { path: Object.freeze([legacyScope.claim]), label: legacyScope.claim };
    scopeSources = [Object.freeze(legacyScope.stripPrefix === undefined ? legacy : { ...legacy, stripPrefix: legacyScope.stripPrefix })];
  } else {
    if (!Array.isArray(spec.scopeClaims) || spec.scopeClaims.length === 0 || spec.scopeClaims.length > 16) {
      fail(setting, `${where}.scopeClaims must be a non-empty array (at most 16 claims)`);
    }
    const { claimSource } = optionalFeatures();
    scopeSources = (spec.scopeClaims as unknown[]).map((source, i) => claimSource(setting, source, `${where}.scopeClaims[${i}]`));
  }
  const requiredClaims = spec.requiredClaims;
  if (requiredClaims !== undefined) {
    if (typeof requiredClaims !== 'object' || requiredClaims === null || Array.isArray(requiredClaims)) {
      fail(setting, `${where}.requiredClaims must be an object of claim: string value`);
    }
    for (const [claim, expected] of Object.entries(requiredClaims)) {
      claimName(setting, claim, `${where}.requiredClaims key`);
      if (typeof expected !== 'string') fail(setting, `${where}.requiredClaims.${claim} must be a string`);
    }
  }
  if (spec.provider === 'cognito' && spec.clientIds === undefined) {
    fail(setting, `${where}.clientIds is required for Cognito access tokens, which carry no aud (null, explicitly, accepts every app client)`);
  }
  if (spec.profile !== undefined && spec.profile !== 'rfc9068') fail(setting, `${where}.profile must be "rfc9068"`);
  if (spec.requireBoundToken !== undefined && typeof spec.requireBoundToken !== 'boolean') {
    fail(setting, `${where}.requireBoundToken must be true or false`);
  }
  const extensions: IssuerExtensions = {
    provider: spec.provider as ProviderName | undefined,
    scopeSources: Object.freeze(scopeSources),
    principalClaim: spec.principalClaim === undefined ? undefined : claimName(setting, spec.principalClaim, `${where}.principalClaim`),
    clientIdClaims: Object.freeze(
      spec.clientIdClaims === undefined
        ? DEFAULT_CLIENT_ID_CLAIMS
        : nonEmptyStrings(setting, spec.clientIdClaims, `${where}.clientIdClaims`).map((c, i) => claimName(setting, c, `${where}.clientIdClaims[${i}]`)),
    ),
    acceptedClientIds:
      spec.clientIds === undefined || spec.clientIds === null || spec.cognitoUserPoolId !== undefined
        ? undefined
        : Object.freeze(nonEmptyStrings(setting, spec.clientIds, `${where}.clientIds`)),
    tenantIds: spec.tenantIds === undefined ? undefined : Object.freeze(nonEmptyStrings(setting, spec.tenantIds, `${where}.tenantIds`)),
    requiredClaims: requiredClaims === undefined ? undefined : Object.freeze({ ...(requiredClaims as Record<string, string>) }),
    profile: spec.profile as 'rfc9068' | undefined,
    requireBoundToken: spec.requireBoundToken === true,
    discovery:
      spec.discovery === undefined || spec.discovery === false
        ? undefined
        : spec.discovery === true
          ? 'openid-configuration'
          : (spec.discovery as DiscoveryDocument),
    // Introspection ships with the optional features: its settings are parsed (and checked) there, at cold start.
    introspection: spec.introspection === undefined ? undefined : optionalFeatures().parseIntrospectionConfig(setting, spec.introspection, where),
  };
  return extensions;
}

/** True when some entry's issuer is a `{tenantid}` template (see issuer-defaults.ts, expandTenantTemplates). */
export function hasTenantTemplate(entries: readonly unknown[]): boolean {
  return entries.some((entry) => typeof (entry as { issuer?: unknown } | null)?.issuer === 'string' && (entry as { issuer: string }).issuer.includes(TENANT_PLACEHOLDER));
}

/**
 * The entry with what a provider preset or discovery implies filled in (issuer-defaults.ts); an entry using neither
 * passes unchanged, without loading the optional features.
 */
export function withIssuerDefaults(setting: string, spec: Spec, where: string): Spec {
  if (spec.cognitoUserPoolId !== undefined) return spec;
  if (spec.provider === undefined && (spec.discovery === undefined || spec.discovery === false)) return spec;
  return optionalFeatures().withIssuerDefaults(setting, spec, where);
}

/** Cross-entry rules: an opaque token says nothing of its issuer, so at most one issuer may introspect. */
export function assertIssuerSetConsistent(setting: string, issuers: readonly IssuerExtensions[]): void {
  if (issuers.filter((issuer) => issuer.introspection !== undefined).length > 1) {
    fail(setting, 'at most one issuer may have an introspection endpoint (an opaque token must go to one issuer only)');
  }
}
