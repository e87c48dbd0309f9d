/**
 * The per-issuer settings beyond issuer, audience and key set: provider presets, claim mapping (scopes and roles from
 * several claims, principal and client claims), tenant and client checks, the RFC 9068 profile, certificate-bound
 * tokens (RFC 8705), OIDC / RFC 8414 discovery and RFC 7662 introspection. Parsed once at cold start with the rest of
 * `JWT_ISSUERS` (config.ts calls in here), validated, frozen; a bad value names the entry and the field.
 */
import { ConfigurationError } from './errors';
import { PROVIDERS, providerDefaults, type ProviderName } from './issuer-presets';

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

const CLAIM_NAME = /^[\x21-\x7E]{1,256}$/;
const SCOPE_PREFIX = /^[\x21\x23-\x5B\x5D-\x7E]{1,128}$/;
const TENANT_PLACEHOLDER = '{tenantid}';
const DEFAULT_CLIENT_ID_CLAIMS: readonly string[] = Object.freeze(['client_id', 'azp', 'appid']);

type Spec = Readonly<Record<string, unknown>>;

function fail(setting: string, message: string): never {
  throw new ConfigurationError(setting, message);
}

function claimName(setting: string, value: unknown, what: string): string {
  if (typeof value !== 'string' || !CLAIM_NAME.test(value)) fail(setting, `${what} must be a claim name`);
  return value as string;
}

function nonEmptyStrings(setting: string, value: unknown, what: string): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.some((entry) => typeof entry !== 'string' || entry === '' || entry.length > 256)) {
    fail(setting, `${what} must be a non-empty array of non-empty strings`);
  }
  return value as string[];
}

function httpsUrl(setting: string, value: unknown, what: string): string {
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (url === undefined || url.protocol !== 'https:') fail(setting, `${what} must be an https URL`);
  return value as string;
}

function boundedInteger(setting: string, value: unknown, what: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(setting, `${what} must be a whole number between ${min} and ${max}`);
  }
  return value as number;
}

/** `"realm_access.roles"`, `["https://example.com/roles"]` (a claim name with dots), or `{claim, prefix, stripPrefix}`. */
function claimSource(setting: string, value: unknown, what: string): ClaimSource {
  const written = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : { claim: value };
  const extra = Object.keys(written).filter((key) => key !== 'claim' && key !== 'prefix' && key !== 'stripPrefix');
  if (extra.length > 0) fail(setting, `${what} has unknown field(s): ${extra.join(', ')}`);
  const claim = written.claim;
  const path = typeof claim === 'string' ? claim.split('.') : claim;
  if (!Array.isArray(path) || path.length === 0 || path.length > 8) fail(setting, `${what} must be a claim name, a dotted path or an array of names`);
  path.forEach((part: unknown, i: number) => claimName(setting, part, `${what}[${i}]`));
  const source: { path: readonly string[]; label: string; prefix?: string; stripPrefix?: string } = {
    path: Object.freeze([...(path as string[])]),
    label: (path as string[]).join('.'),
  };
  for (const field of ['prefix', 'stripPrefix'] as const) {
    const prefix = written[field];
    if (prefix === undefined) continue;
    if (typeof prefix !== 'string' || !SCOPE_PREFIX.test(prefix)) fail(setting, `${what}.${field} must be a short string of scope characters`);
    source[field] = prefix as string;
  }
  return Object.freeze(source);
}

/**
 * Expands an entry whose issuer holds `{tenantid}` into one entry per listed tenant (multi-tenant Entra ID apps): each
 * accepts exactly its own issuer and `tid`. Other entries pass unchanged.
 */
export function expandTenantTemplates(setting: string, entries: readonly unknown[]): unknown[] {
  return entries.flatMap((entry, index) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return [entry];
    const spec = entry as Spec;
    if (typeof spec.issuer !== 'string' || !spec.issuer.includes(TENANT_PLACEHOLDER)) return [entry];
    const tenants = nonEmptyStrings(setting, spec.tenantIds, `[${index}].tenantIds (required by the {tenantid} issuer template)`);
    return tenants.map((tenant) => {
      if (!/^[A-Za-z0-9.-]{1,64}$/.test(tenant)) fail(setting, `[${index}].tenantIds holds an invalid tenant id ${JSON.stringify(tenant)}`);
      const fill = (value: unknown) => (typeof value === 'string' ? value.split(TENANT_PLACEHOLDER).join(tenant) : value);
      return { ...spec, issuer: fill(spec.issuer), jwksUri: fill(spec.jwksUri), tenantIds: [tenant] };
    });
  });
}

/** The metadata URL for `issuer`: OIDC Discovery 1.0 section 4 appends; RFC 8414 section 3.1 inserts before the path. */
export function discoveryUrl(issuer: string, document: DiscoveryDocument): string {
  if (document === 'openid-configuration') return `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const url = new URL(issuer);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  return `${url.origin}/.well-known/oauth-authorization-server${path}`;
}

/**
 * The entry with what a provider preset or discovery implies filled in (fields the entry writes win), ready for the
 * generic parser: `jwksUri` (derived, or the metadata URL under discovery) and, for Cognito, `audience: null`.
 */
export function withIssuerDefaults(setting: string, spec: Spec, where: string): Spec {
  if (spec.cognitoUserPoolId !== undefined) return spec;
  const filled: Record<string, unknown> = { ...spec };
  const issuer = typeof spec.issuer === 'string' ? spec.issuer : undefined;
  if (spec.provider !== undefined) {
    if (!(PROVIDERS as readonly unknown[]).includes(spec.provider)) fail(setting, `${where}.provider must be one of ${PROVIDERS.join(', ')}`);
    if (issuer === undefined) fail(setting, `${where}.issuer must be a string`);
    httpsUrl(setting, issuer, `${where}.issuer`);
    const preset = providerDefaults(setting, where, spec.provider as ProviderName, issuer!, spec.audience, spec.jwksUri !== undefined);
    for (const [field, value] of Object.entries(preset)) if (filled[field] === undefined && value !== undefined) filled[field] = value;
    // A preset's claim layout replaces the single legacy scope claim unless the entry names one.
    if (spec.scopeClaim !== undefined || spec.scopePrefix !== undefined) delete filled.scopeClaims;
  }
  if (spec.discovery !== undefined && spec.discovery !== false) {
    if (spec.jwksUri !== undefined) fail(setting, `${where}: give jwksUri or discovery, not both`);
    if (spec.discovery !== true && spec.discovery !== 'openid-configuration' && spec.discovery !== 'oauth-authorization-server') {
      fail(setting, `${where}.discovery must be true, "openid-configuration" or "oauth-authorization-server"`);
    }
    if (issuer === undefined) fail(setting, `${where}.issuer must be a string`);
    httpsUrl(setting, issuer, `${where}.issuer`);
    filled.jwksUri = discoveryUrl(issuer!, spec.discovery === true ? 'openid-configuration' : (spec.discovery as DiscoveryDocument));
  }
  return filled;
}

function introspection(setting: string, value: unknown, where: string): IntrospectionConfig | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(setting, `${where}.introspection must be an object`);
  const spec = value as Spec;
  const allowed = new Set(['endpoint', 'clientId', 'clientSecretArn', 'cacheTtlSeconds', 'timeoutMs', 'maxBytes']);
  const extra = Object.keys(spec).filter((key) => !allowed.has(key));
  if (extra.length > 0) fail(setting, `${where}.introspection has unknown field(s): ${extra.join(', ')}`);
  if (typeof spec.clientId !== 'string' || spec.clientId === '' || spec.clientId.length > 256) {
    fail(setting, `${where}.introspection.clientId must be a non-empty string`);
  }
  // An ARN or a name (Secrets Manager takes both); CDK tokens stand in for it at synth, so no stricter form is checked.
  if (typeof spec.clientSecretArn !== 'string' || spec.clientSecretArn === '' || spec.clientSecretArn.length > 2048) {
    fail(setting, `${where}.introspection.clientSecretArn must name a Secrets Manager secret (ARN or name)`);
  }
  return Object.freeze({
    endpoint: httpsUrl(setting, spec.endpoint, `${where}.introspection.endpoint`),
    clientId: spec.clientId as string,
    clientSecretArn: spec.clientSecretArn as string,
    cacheTtlSeconds: boundedInteger(setting, spec.cacheTtlSeconds, `${where}.introspection.cacheTtlSeconds`, 60, 0, 3600),
    timeoutMs: boundedInteger(setting, spec.timeoutMs, `${where}.introspection.timeoutMs`, 2000, 100, 20_000),
    maxBytes: boundedInteger(setting, spec.maxBytes, `${where}.introspection.maxBytes`, 65_536, 1024, 1_048_576),
  });
}

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
    introspection: introspection(setting, spec.introspection, where),
  };
  return extensions;
}

/** Cross-entry rules: an opaque token says nothing of its issuer, so at most one issuer may introspect. */
export function assertIssuerSetConsistent(setting: string, issuers: readonly IssuerExtensions[]): void {
  if (issuers.filter((issuer) => issuer.introspection !== undefined).length > 1) {
    fail(setting, 'at most one issuer may have an introspection endpoint (an opaque token must go to one issuer only)');
  }
}
