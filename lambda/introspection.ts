/**
 * Opaque access tokens, checked by RFC 7662 introspection at the one issuer configured with an endpoint. A token that
 * is not a three-segment JWS goes there (client_secret_basic, RFC 6749 2.3.1); the client secret is read from Secrets
 * Manager at cold start. An active answer is mapped like a JWT payload (same claim mapping, so scopes come from
 * `scope` exactly as for JWTs) and remembered by the token's SHA-256 until the earlier of its `exp` and the TTL.
 * `active: false` (or an answer for another issuer, audience or an expired token) is a 401; an endpoint that cannot
 * answer is a 500, never remembered.
 */
import { createHash } from 'node:crypto';
import { ClaimMapping } from './claim-mapping';
import { ClockCache } from './clock-cache';
import type { IssuerConfig } from './config';
import { CredentialRejectedError, DependencyFaultError, withoutStack } from './errors';
import type { FormPoster } from './https-form-post';
import type { IntrospectionConfig } from './issuer-config';
import type { JwtIdentity } from './jwt-authenticator';
import type { SecretReader } from './client-secret';

export interface TokenIntrospectorOptions {
  readonly issuer: IssuerConfig & { readonly introspection: IntrospectionConfig };
  readonly post: FormPoster;
  readonly readSecret: SecretReader;
  readonly clockSkewSeconds: number;
  readonly cacheMaxEntries: number;
  readonly nowMs: () => number;
}

const reject = (code: ConstructorParameters<typeof CredentialRejectedError>[0], message: string): never => {
  throw withoutStack(() => new CredentialRejectedError(code, message));
};
const fault = (message: string) => new DependencyFaultError('introspection_unavailable', message);

/** RFC 6749 2.3.1: client id and secret are form-encoded before they are joined for HTTP Basic. */
const formEncode = (value: string) => new URLSearchParams({ v: value }).toString().slice(2);

export class TokenIntrospector {
  private readonly config: IssuerConfig & { readonly introspection: IntrospectionConfig };
  private readonly claims: ClaimMapping;
  private readonly results: ClockCache<string, JwtIdentity>;
  private authorization?: Promise<string>;

  constructor(private readonly options: TokenIntrospectorOptions) {
    this.config = options.issuer;
    this.claims = new ClaimMapping(options.issuer);
    this.results = new ClockCache(options.cacheMaxEntries);
    // Cold start: read the secret now, so the first opaque token does not wait for it. A failure is retried later.
    this.clientAuthorization().catch(() => undefined);
  }

  /** The `Authorization` value for the endpoint; a failed read is forgotten, so the next request retries it. */
  private clientAuthorization(): Promise<string> {
    this.authorization ??= this.options
      .readSecret(this.config.introspection.clientSecretArn)
      .then((secret) => `Basic ${Buffer.from(`${formEncode(this.config.introspection.clientId)}:${formEncode(secret)}`).toString('base64')}`)
      .catch((error: unknown) => {
        this.authorization = undefined;
        throw error instanceof DependencyFaultError ? error : new DependencyFaultError('introspection_unavailable', 'Client secret could not be read', { cause: error });
      });
    return this.authorization;
  }

  private static key(token: string): string {
    return createHash('sha256').update(token).digest('base64url');
  }

  /** The identity of a token introspected recently (active, not expired since), without any work; else undefined. */
  cached(token: string): JwtIdentity | undefined {
    return this.results.get(TokenIntrospector.key(token), this.options.nowMs());
  }

  /** Asks the endpoint; resolves to the identity, or rejects with CredentialRejectedError (401) / DependencyFaultError (500). */
  async introspect(token: string): Promise<JwtIdentity> {
    const { introspection } = this.config;
    const authorization = await this.clientAuthorization();
    const response = await this.options.post(
      introspection.endpoint,
      new URLSearchParams({ token, token_type_hint: 'access_token' }),
      { authorization },
    );
    // RFC 7662 2.2: an inactive token is a 200 with active false; anything else means the endpoint could not answer.
    if (response.status !== 200) throw fault(`Introspection endpoint answered HTTP ${response.status}`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(response.body), (key, value: unknown) =>
        key === '__proto__' || key === 'constructor' ? undefined : value,
      );
    } catch {
      throw fault('Introspection response is not JSON');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || typeof (parsed as { active?: unknown }).active !== 'boolean') {
      throw fault('Introspection response has no boolean "active"');
    }
    const answer = parsed as Readonly<Record<string, unknown>>;
    if (answer.active !== true) return reject('token_inactive', 'Token is not active');
    const nowMs = this.options.nowMs();
    const identity = this.check(answer, nowMs / 1000);
    const exp = answer.exp as number | undefined;
    const ttlMs = Math.min(introspection.cacheTtlSeconds * 1000, exp === undefined ? Infinity : exp * 1000 - nowMs);
    if (ttlMs > 0) this.results.set(TokenIntrospector.key(token), identity, ttlMs, nowMs);
    return identity;
  }

  /** Checks an active answer as a JWT's claims are checked, and maps it. */
  private check(answer: Readonly<Record<string, unknown>>, nowSeconds: number): JwtIdentity {
    const skew = this.options.clockSkewSeconds;
    const { exp, nbf, iss, aud } = answer;
    if (exp !== undefined && (typeof exp !== 'number' || exp + skew <= nowSeconds)) reject('token_expired', 'Token is expired');
    if (nbf !== undefined && (typeof nbf !== 'number' || nbf > nowSeconds + skew)) reject('token_not_yet_valid', 'Token is not valid yet');
    if (iss !== undefined && iss !== this.config.issuer) reject('invalid_claims', 'Token issuer is not the introspecting issuer');
    // A refresh token must not open the API, whatever the endpoint says about it.
    if (answer.token_type === 'refresh_token') reject('invalid_claims', 'Token is a refresh token');
    const audience = this.config.kind === 'oidc' ? this.config.audience : null;
    if (audience !== null) {
      const given = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
      if (!given.some((entry) => typeof entry === 'string' && audience.includes(entry))) reject('invalid_claims', 'Token audience is not accepted');
    }
    return this.claims.map(answer, undefined);
  }
}
