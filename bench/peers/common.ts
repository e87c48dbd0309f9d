/**
 * What the peer authorizers share: the typical minimal REQUEST authorizer around a JWT library. It takes the
 * bearer token from the Authorization header, verifies it (signature, iss, aud, exp) and returns an Allow policy
 * for the requested method ARN with the token's scope in the context; any failure is "Unauthorized".
 * Each peer exports `createAuthorizer(config)`; its Lambda entry (bundled for the cold start) builds one from the
 * environment, like the real thing.
 */
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';

export interface PeerConfig {
  readonly issuer: string;
  readonly audience: string;
  readonly jwksUri: string;
  /** Given in-process: the keys, so no network is involved. Omitted in a Lambda, which fetches jwksUri. */
  readonly jwks?: { keys: Record<string, string>[] };
  /** fast-jwt only: its verified-token cache. */
  readonly cache?: boolean;
  /** aws-jwt-verify only: fetch the JWKS at init (`hydrate`, as the library recommends); default true without `jwks`. */
  readonly hydrate?: boolean;
}

export interface PeerAuthorizer {
  /** The library call alone. */
  verify(token: string): unknown;
  handler(event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult>;
}

export const ALGORITHMS = ['RS256', 'ES256', 'EdDSA'] as const;

export function configFromEnv(env: NodeJS.ProcessEnv): PeerConfig {
  const issuer = env.PEER_ISSUER;
  const audience = env.PEER_AUDIENCE;
  const jwksUri = env.PEER_JWKS_URI;
  if (!issuer || !audience || !jwksUri) throw new Error('PEER_ISSUER, PEER_AUDIENCE and PEER_JWKS_URI are required');
  return { issuer, audience, jwksUri, hydrate: env.PEER_HYDRATE !== 'false' };
}

export function bearerToken(event: APIGatewayRequestAuthorizerEvent): string {
  const header = event.headers?.Authorization ?? event.headers?.authorization;
  if (!header || !header.startsWith('Bearer ')) throw new Error('Unauthorized');
  return header.slice(7);
}

export function allowPolicy(principalId: string, methodArn: string, scope: unknown): APIGatewayAuthorizerResult {
  return {
    principalId,
    policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: methodArn }] },
    context: { scope: typeof scope === 'string' ? scope : '' },
  };
}

/** Wraps a verify function into the typical handler. */
export function typicalHandler(
  verify: (token: string) => Promise<Record<string, unknown>> | Record<string, unknown>,
): PeerAuthorizer['handler'] {
  return async (event) => {
    let payload: Record<string, unknown>;
    try {
      payload = await verify(bearerToken(event));
    } catch {
      throw new Error('Unauthorized');
    }
    return allowPolicy(String(payload.sub), event.methodArn, payload.scope);
  };
}
