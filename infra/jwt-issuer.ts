/**
 * JWT issuers the authorizer trusts, as props: generic OAuth 2.0 / OIDC issuers, Amazon Cognito user pools, or entries
 * written as in the `JWT_ISSUERS` setting. Each holds the entry the function receives (values may be CDK tokens, such
 * as a user pool id, resolved at deploy time).
 */
import { Token } from 'aws-cdk-lib/core';
import { issuerFeatureSpec, withIssuerSecret, type IssuerFeatureOptions } from './issuer-options';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import { parseIssuers } from '../lambda/config';
import { asProp, fail } from './prop-errors';

const RESOURCE_SERVER_IDENTIFIER = /^[\x21\x23-\x2E\x30-\x5B\x5D-\x7E]{1,256}$/;

/** A generic OAuth 2.0 / OpenID Connect issuer; provider presets, claims, discovery, introspection: issuer-options.ts. */
export interface OidcIssuerOptions extends IssuerFeatureOptions {
  /** The `iss` value, an https URL. */
  readonly issuer: string;
  /** Accepted `aud` values; `null`, written explicitly, skips the audience check. */
  readonly audience: readonly string[] | null;
  /**
   * Where the signing keys are published (https).
   * @default - `<issuer>/.well-known/jwks.json`
   */
  readonly jwksUri?: string;
  /**
   * The claim that carries the scopes: `scope` (space-delimited) or `scp` (array).
   * @default 'scope'
   */
  readonly scopeClaim?: 'scope' | 'scp';
}

/** An Amazon Cognito user pool. */
export interface CognitoIssuerOptions {
  readonly userPool: cognito.IUserPool;
  /**
   * The app clients whose tokens are accepted (`client_id` of access tokens, `aud` of id tokens).
   * @default - none: required unless `allowAnyAppClient` is true
   */
  readonly appClients?: readonly cognito.IUserPoolClient[];
  /**
   * Accept tokens of every app client of the pool.
   * @default false
   */
  readonly allowAnyAppClient?: boolean;
  /**
   * Which tokens are accepted.
   * @default 'access'
   */
  readonly tokenUse?: 'access' | 'id';
  /**
   * Cognito names a resource server's scopes `<identifier>/<scope>`. Give the identifier and the authorizer reads
   * `<identifier>/items:read` from this pool's tokens as `items:read` (the issuer's `scopePrefix` setting).
   * @default - scopes are matched as the token carries them
   */
  readonly resourceServerIdentifier?: string;
}

/** A JWT issuer the authorizer trusts. */
export class JwtIssuer {
  /** A generic OAuth 2.0 / OIDC issuer (Auth0, Okta, Entra ID, Keycloak...). */
  public static oidc(options: OidcIssuerOptions): JwtIssuer {
    const spec: Record<string, unknown> = { issuer: options.issuer, audience: options.audience };
    if (options.jwksUri !== undefined) spec.jwksUri = options.jwksUri;
    if (options.scopeClaim !== undefined) spec.scopeClaim = options.scopeClaim;
    Object.assign(spec, issuerFeatureSpec(options));
    return withIssuerSecret(new JwtIssuer(spec), options);
  }

  /** An Amazon Cognito user pool; issuer and JWKS URI are derived from the pool id. */
  public static cognito(options: CognitoIssuerOptions): JwtIssuer {
    const clients = options.appClients ?? [];
    if (options.allowAnyAppClient === true && clients.length > 0) {
      fail('appClients', 'give appClients or allowAnyAppClient, not both');
    }
    if (options.allowAnyAppClient !== true && clients.length === 0) {
      fail('appClients', 'list the app clients whose tokens are accepted (or set allowAnyAppClient: true)');
    }
    let scopePrefix: string | undefined;
    if (options.resourceServerIdentifier !== undefined) {
      const identifier = options.resourceServerIdentifier;
      if (Token.isUnresolved(identifier) || !RESOURCE_SERVER_IDENTIFIER.test(identifier)) {
        fail('resourceServerIdentifier', `must be a literal resource server identifier, got ${JSON.stringify(identifier)}`);
      }
      scopePrefix = `${identifier}/`;
    }
    return new JwtIssuer({
      cognitoUserPoolId: options.userPool.userPoolId,
      clientIds: options.allowAnyAppClient === true ? null : clients.map((client) => client.userPoolClientId),
      tokenUse: options.tokenUse ?? 'access',
      ...(scopePrefix === undefined ? {} : { scopePrefix }),
    });
  }

  /**
   * An entry written as in the `JWT_ISSUERS` setting (README "Settings"), e.g. read from a JSON file. Validated with
   * the function's own parser.
   */
  public static fromSetting(entry: Readonly<Record<string, unknown>>): JwtIssuer {
    asProp('issuers', () => parseIssuers([entry], 'issuers'));
    return new JwtIssuer({ ...entry });
  }

  private constructor(
    /** The entry as written into `JWT_ISSUERS` (may hold tokens). */
    public readonly spec: Readonly<Record<string, unknown>>,
  ) {}
}

/** The issuer entries with unresolved tokens replaced by well-formed placeholders, for synth-time validation. */
export function issuerSpecsForValidation(issuers: readonly JwtIssuer[]): unknown[] {
  return issuers.map((issuer, index) => {
    const placeholder = (field: string, value: unknown): unknown => {
      if (typeof value === 'string' && Token.isUnresolved(value)) {
        if (field === 'cognitoUserPoolId') return `us-east-1_Token${index}`;
        if (field === 'issuer' || field === 'jwksUri') return `https://token-${index}.invalid/`;
        return `token-${index}`;
      }
      if (Array.isArray(value)) return value.map((entry: unknown, i) => placeholder(`${field}[${i}]`, entry));
      return value;
    };
    return Object.fromEntries(Object.entries(issuer.spec).map(([field, value]) => [field, placeholder(field, value)]));
  });
}
