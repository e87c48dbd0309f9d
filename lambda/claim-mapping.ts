/**
 * Reads who the caller is and what it may do from a verified token payload (or an introspection response), the way
 * each provider writes it: scopes and roles from several claims (space-delimited strings or arrays, at nested paths,
 * with prefixes), the principal and client claims, tenant, client and required-claim checks, the RFC 9068 profile and
 * the RFC 8705 certificate confirmation. Compiled once per issuer at cold start; per token it only reads claims.
 */
import type { IssuerConfig } from './config';
import { CredentialRejectedError } from './errors';
import type { ClaimSource } from './issuer-config';
import { MAX_IDENTIFIER_LENGTH } from './key-table-schema';
import { isValidScope } from './route-manifest';

/** Who the caller is and what it may do: the identity of a verified token (or of an introspected one). */
export interface MappedClaims {
  /** The configured issuer (for Cognito, its regional form, whichever form the token's `iss` used). */
  readonly issuer: string;
  readonly subject?: string;
  readonly clientId?: string;
  /** `sub`, or the client id for tokens without one (unless the issuer names a principal claim). */
  readonly principal: string;
  readonly scopes: readonly string[];
  /** `cnf["x5t#S256"]`: the token is bound to the client certificate with this SHA-256 thumbprint (base64url). */
  readonly certificateThumbprint?: string;
}

type Payload = Readonly<Record<string, unknown>>;
type Code = ConstructorParameters<typeof CredentialRejectedError>[0];

const NO_SCOPES: readonly string[] = Object.freeze([]);
/** Most clients send the same scope claims in every token: their parsed list is kept, bounded, and shared. */
const MAX_INTERNED_SCOPE_CLAIMS = 1000;
/** RFC 9068 section 2.2: the claims a JWT access token of the profile must carry. */
const RFC9068_CLAIMS = ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'] as const;
/** RFC 9068 section 4: `typ` is `at+jwt`, or the full media type (compared case-insensitively, RFC 7515 4.1.9). */
const RFC9068_TYPES = new Set(['at+jwt', 'application/at+jwt']);
const THUMBPRINT = /^[A-Za-z0-9_-]{43}$/;

const reject = (code: Code, message: string): never => {
  throw new CredentialRejectedError(code, message);
};

/** The value at `path`, reading own properties only. */
function claimAt(payload: Payload, path: readonly string[]): unknown {
  if (path.length === 1) return Object.hasOwn(payload, path[0]!) ? payload[path[0]!] : undefined;
  let value: unknown = payload;
  for (const key of path) {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function boundedString(payload: Payload, claim: string): string | undefined {
  const value = Object.hasOwn(payload, claim) ? payload[claim] : undefined;
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '' || value.length > MAX_IDENTIFIER_LENGTH) {
    return reject('invalid_claims', `Token ${claim} claim is not a short string`);
  }
  return value;
}

/** The scope tokens of one claim value, with the source's prefixes applied; throws on a value of the wrong shape. */
function valuesOf(value: unknown, source: ClaimSource): string[] {
  let values: unknown[];
  if (typeof value === 'string') values = value.split(' ').filter((scope) => scope !== '');
  else if (Array.isArray(value)) values = value;
  else return reject('invalid_claims', `Token ${source.label} claim is neither a string nor an array`);
  for (const scope of values) {
    if (typeof scope !== 'string' || !isValidScope(scope)) reject('invalid_claims', `Token ${source.label} claim holds an invalid scope`);
  }
  const { stripPrefix, prefix } = source;
  if (stripPrefix === undefined && prefix === undefined) return values as string[];
  return (values as string[]).map((scope) => {
    const stripped = stripPrefix !== undefined && scope.startsWith(stripPrefix) && scope.length > stripPrefix.length ? scope.slice(stripPrefix.length) : scope;
    return prefix === undefined ? stripped : prefix + stripped;
  });
}

export class ClaimMapping {
  private readonly sources: readonly ClaimSource[];
  private readonly single?: ClaimSource;
  /** Parsed scope lists by the claim's text (one string source). */
  private readonly interned = new Map<string, readonly string[]>();
  /** Parsed scope lists by the JSON of the claim values (arrays, several sources): a separate map, so no text collides. */
  private readonly internedJson = new Map<string, readonly string[]>();
  private readonly requiredClaims: readonly (readonly [string, string])[];

  constructor(private readonly config: IssuerConfig) {
    this.sources = config.scopeSources;
    if (this.sources.length === 1) this.single = this.sources[0];
    this.requiredClaims = Object.entries(config.requiredClaims ?? {});
  }

  /**
   * Checks and maps a payload (the result is frozen) whose signature (or introspection) the caller has verified. `header` is the JWS header;
   * undefined for introspection results, which have none (the RFC 9068 `typ` check then does not apply).
   */
  map(payload: Payload, header: Payload | undefined): MappedClaims {
    const config = this.config;
    if (config.profile === 'rfc9068') this.checkProfile(payload, header);
    for (const [claim, expected] of this.requiredClaims) {
      if (payload[claim] !== expected || !Object.hasOwn(payload, claim)) reject('invalid_claims', `Token ${claim} claim is not accepted`);
    }
    if (config.tenantIds !== undefined) {
      const tenant = boundedString(payload, 'tid');
      if (tenant === undefined || !config.tenantIds.includes(tenant)) reject('invalid_claims', 'Token tenant is not accepted');
    }
    const subject = boundedString(payload, 'sub');
    let clientId: string | undefined;
    for (const claim of config.clientIdClaims) {
      clientId = boundedString(payload, claim);
      if (clientId !== undefined) break;
    }
    if (config.acceptedClientIds !== undefined && (clientId === undefined || !config.acceptedClientIds.includes(clientId))) {
      reject('invalid_claims', 'Token client is not accepted');
    }
    const principal = config.principalClaim === undefined ? (subject ?? clientId) : boundedString(payload, config.principalClaim);
    if (principal === undefined) {
      return reject('invalid_claims', `Token has no ${config.principalClaim ?? 'sub nor client id'} claim`);
    }
    const certificateThumbprint = this.confirmation(payload);
    const scopes = this.scopes(payload);
    // One frozen object per verified token, built in one literal (no spread on this path).
    return Object.freeze(
      certificateThumbprint === undefined
        ? { issuer: config.issuer, subject, clientId, principal, scopes }
        : { issuer: config.issuer, subject, clientId, principal, scopes, certificateThumbprint },
    );
  }

  private checkProfile(payload: Payload, header: Payload | undefined): void {
    if (header !== undefined) {
      const typ = header.typ;
      if (typeof typ !== 'string' || !RFC9068_TYPES.has(typ.toLowerCase())) reject('invalid_claims', 'Token typ is not at+jwt');
    }
    for (const claim of RFC9068_CLAIMS) {
      if (payload[claim] === undefined) reject('invalid_claims', `Token lacks the ${claim} claim the JWT access token profile requires`);
    }
  }

  /** RFC 8705 section 3.1: `cnf` with `x5t#S256`. A confirmation we cannot check (e.g. DPoP's `jkt`) is refused. */
  private confirmation(payload: Payload): string | undefined {
    const cnf = Object.hasOwn(payload, 'cnf') ? payload.cnf : undefined;
    if (cnf === undefined) {
      if (this.config.requireBoundToken) reject('token_not_bound', 'Token is not bound to a client certificate');
      return undefined;
    }
    const thumbprint = typeof cnf === 'object' && cnf !== null && Object.hasOwn(cnf, 'x5t#S256') ? (cnf as Record<string, unknown>)['x5t#S256'] : undefined;
    if (typeof thumbprint !== 'string' || !THUMBPRINT.test(thumbprint)) {
      return reject('token_not_bound', 'Token confirmation is not a client certificate thumbprint');
    }
    return thumbprint;
  }

  /** The token's scopes; the same claim values yield the same frozen array (routes are decided once per array). */
  private scopes(payload: Payload): readonly string[] {
    const single = this.single;
    if (single !== undefined) {
      const value = claimAt(payload, single.path);
      if (value === undefined) return NO_SCOPES;
      if (typeof value !== 'string') return this.intern(this.internedJson, JSON.stringify(value), () => valuesOf(value, single));
      return this.intern(this.interned, value, () => valuesOf(value, single));
    }
    const values = this.sources.map((source) => claimAt(payload, source.path));
    return this.intern(this.internedJson, JSON.stringify(values), () => {
      const names: string[] = [];
      values.forEach((value, i) => {
        if (value !== undefined) names.push(...valuesOf(value, this.sources[i]!));
      });
      return names;
    });
  }

  /** A list is stored only once parsed without error: a refused value is never remembered. */
  private intern(map: Map<string, readonly string[]>, key: string, parse: () => string[]): readonly string[] {
    let scopes = map.get(key);
    if (scopes === undefined) {
      scopes = Object.freeze([...new Set(parse())]);
      if (map.size >= MAX_INTERNED_SCOPE_CLAIMS) map.clear();
      map.set(key, scopes);
    }
    return scopes;
  }
}
