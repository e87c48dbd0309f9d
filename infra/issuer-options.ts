/**
 * Construct props for the issuer features of `JwtIssuer.oidc` (provider presets, claim mapping, tenant and client
 * checks, RFC 9068, certificate-bound tokens, discovery, introspection), turned into the `JWT_ISSUERS` fields the
 * function parses (lambda/issuer-config.ts), and the one grant introspection needs: `secretsmanager:GetSecretValue` on
 * the client secret. The secret's value never enters the environment or the template, only its ARN.
 */
import { Duration, Token } from 'aws-cdk-lib/core';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { ProviderName } from '../lambda/issuer-presets';

/** One claim read for scopes (the `scopeClaims` entry of the setting). */
export interface ScopeClaimOptions {
  /** A claim name, a dotted path (`realm_access.roles`), or the path as an array (for names with dots). */
  readonly claim: string | readonly string[];
  /**
   * Added to every value, e.g. `role:` so roles cannot be mistaken for scopes.
   * @default - none
   */
  readonly prefix?: string;
  /**
   * Removed from values that start with it (Cognito's `<resource server>/`).
   * @default - none
   */
  readonly stripPrefix?: string;
}

/** RFC 7662 introspection of opaque tokens. */
export interface IntrospectionOptions {
  /** The introspection endpoint (https). */
  readonly endpoint: string;
  /** This API's client id at the issuer (client_secret_basic). */
  readonly clientId: string;
  /** The secret holding the client secret (a plain string, or JSON with `client_secret`). The function may read exactly it. */
  readonly clientSecret: secretsmanager.ISecret;
  /**
   * How long an active answer is reused (never past the token's `exp`).
   * @default Duration.seconds(60)
   */
  readonly cacheTtl?: Duration;
  /**
   * Timeout of one introspection call.
   * @default Duration.seconds(2)
   */
  readonly timeout?: Duration;
}

export interface IssuerFeatureOptions {
  /**
   * Fill key set and claim layout from a provider's documented defaults (docs/issuers.md); props given here win.
   * @default - generic issuer
   */
  readonly provider?: ProviderName;
  /**
   * Where scopes and roles are read; values of all listed claims are merged.
   * @default - the preset's claims, else `scopeClaim`
   */
  readonly scopeClaims?: readonly (string | readonly string[] | ScopeClaimOptions)[];
  /**
   * The claim naming the principal (`principalId`): `sub`, `oid`, `client_id`, `azp`...
   * @default - `sub`, else the client id
   */
  readonly principalClaim?: string;
  /**
   * Claims naming the client, first present wins.
   * @default ['client_id', 'azp', 'appid']
   */
  readonly clientIdClaims?: readonly string[];
  /**
   * Accept only tokens of these clients.
   * @default - any client
   */
  readonly clientIds?: readonly string[];
  /**
   * The token's `tid` must be one of these. With `{tenantid}` in the issuer, one issuer per tenant is accepted.
   * @default - no tenant check (Entra ID presets: the issuer's own tenant)
   */
  readonly tenantIds?: readonly string[];
  /**
   * Claims that must have exactly these values.
   * @default - none
   */
  readonly requiredClaims?: Readonly<Record<string, string>>;
  /**
   * `rfc9068`: require the JWT access token profile (`typ` at+jwt and its claims).
   * @default - not required
   */
  readonly profile?: 'rfc9068';
  /**
   * Refuse tokens not bound to a client certificate (RFC 8705). Needs a mutual-TLS custom domain.
   * @default false
   */
  readonly requireBoundToken?: boolean;
  /**
   * Resolve the key set from the issuer's metadata at cold start (`true` = OIDC discovery).
   * @default - `jwksUri` or the preset's key set
   */
  readonly discovery?: boolean | 'openid-configuration' | 'oauth-authorization-server';
  /**
   * Accept opaque tokens of this issuer by introspection (one issuer per authorizer).
   * @default - JWTs only
   */
  readonly introspection?: IntrospectionOptions;
}

/** The context source that carries the client certificate, for result caching with bound tokens. */
export const CLIENT_CERTIFICATE_IDENTITY_SOURCE = 'context.identity.clientCert.clientCertPem';

const secrets = new WeakMap<object, secretsmanager.ISecret>();

/** The `JWT_ISSUERS` fields for these options. */
export function issuerFeatureSpec(options: IssuerFeatureOptions): Record<string, unknown> {
  const spec: Record<string, unknown> = {};
  const copy = ['provider', 'principalClaim', 'clientIdClaims', 'clientIds', 'tenantIds', 'requiredClaims', 'profile', 'requireBoundToken', 'discovery'] as const;
  for (const field of copy) if (options[field] !== undefined) spec[field] = options[field];
  if (options.scopeClaims !== undefined) spec.scopeClaims = options.scopeClaims;
  const introspection = options.introspection;
  if (introspection !== undefined) {
    spec.introspection = {
      endpoint: introspection.endpoint,
      clientId: introspection.clientId,
      // A token for the secret's ARN: the function reads the value at cold start, with its role.
      clientSecretArn: introspection.clientSecret.secretArn,
      ...(introspection.cacheTtl === undefined ? {} : { cacheTtlSeconds: introspection.cacheTtl.toSeconds() }),
      ...(introspection.timeout === undefined ? {} : { timeoutMs: introspection.timeout.toMilliseconds() }),
    };
  }
  return spec;
}

/** Remembers the introspection secret of an issuer, for {@link grantIssuerSecretReads}. */
export function withIssuerSecret<T extends object>(issuer: T, options: IssuerFeatureOptions): T {
  if (options.introspection !== undefined) secrets.set(issuer, options.introspection.clientSecret);
  return issuer;
}

/**
 * Grants the role `secretsmanager:GetSecretValue` on exactly the introspection secrets of these issuers: the secret
 * given to `JwtIssuer.oidc`, or the ARN written in an entry read with `JwtIssuer.fromSetting`.
 */
export function grantIssuerSecretReads(role: iam.IRole, issuers: readonly { readonly spec: Readonly<Record<string, unknown>> }[]): void {
  for (const issuer of issuers) {
    const secret = secrets.get(issuer);
    if (secret === undefined) {
      const arn = (issuer.spec.introspection as { clientSecretArn?: unknown } | undefined)?.clientSecretArn;
      if (arn === undefined) continue;
      if (typeof arn !== 'string' || (!Token.isUnresolved(arn) && !/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+-[A-Za-z0-9]{6}$/.test(arn))) {
        throw new Error(`issuers: introspection.clientSecretArn must be the secret's complete ARN (with its 6-character suffix) to be granted, got ${JSON.stringify(arn)}`);
      }
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [arn] }));
      continue;
    }
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        // An imported-by-name secret has no full ARN: its six-character suffix is matched, as grantRead does.
        resources: [secret.secretFullArn ?? `${secret.secretArn}-??????`],
      }),
    );
    secret.encryptionKey?.grantDecrypt(role);
  }
}

/**
 * A cached Allow is keyed on the identity sources only: with bound tokens required and result caching on, the client
 * certificate must be one of them, or a stolen token would be let through on another client's cached answer.
 */
export function boundTokenCachingProblem(
  issuerSpecs: readonly Readonly<Record<string, unknown>>[],
  resultsCacheTtl: number,
  identitySources: readonly string[],
): string | undefined {
  const requiresBinding = issuerSpecs.some((spec) => spec.requireBoundToken === true && !Token.isUnresolved(spec.requireBoundToken));
  if (!requiresBinding || resultsCacheTtl === 0 || identitySources.includes(CLIENT_CERTIFICATE_IDENTITY_SOURCE)) return undefined;
  return (
    `an issuer requires certificate-bound tokens and results are cached for ${resultsCacheTtl}s keyed on ` +
    `${identitySources.join(', ')}: add ${CLIENT_CERTIFICATE_IDENTITY_SOURCE} to identitySources, or set resultsCacheTtl 0`
  );
}
