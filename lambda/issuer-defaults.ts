/**
 * The issuer-entry settings only some deployments use, parsed and checked at cold start like every other setting (a bad
 * value names the entry and the field): provider presets, discovery, `{tenantid}` issuer templates and `scopeClaims`.
 * Part of the optional features (optional-features.ts); issuer-config.ts calls in here only when an entry uses one.
 */
import { claimName, fail, httpsUrl, nonEmptyStrings, type Spec } from './issuer-setting-checks';
import type { ClaimSource, DiscoveryDocument } from './issuer-config';
import { PROVIDERS, providerDefaults, type ProviderName } from './issuer-presets';

const SCOPE_PREFIX = /^[\x21\x23-\x5B\x5D-\x7E]{1,128}$/;
const TENANT_PLACEHOLDER = '{tenantid}';

/** `"realm_access.roles"`, `["https://example.com/roles"]` (a claim name with dots), or `{claim, prefix, stripPrefix}`. */
export function claimSource(setting: string, value: unknown, what: string): ClaimSource {
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
