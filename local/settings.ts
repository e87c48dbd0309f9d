/**
 * The local mode's own settings, read from the environment once at start: ports and the gateway's result cache.
 * A bad value fails with the variable's name, like the authorizer's settings.
 */
import { DEFAULT_RESULT_CACHE_TTL_SECONDS } from '../infra/sample-api';
import { integer, type Env } from '../lambda/env';
import { DEFAULT_DYNAMODB_PORT, DEFAULT_GATEWAY_PORT, DEFAULT_ISSUER_PORT } from './constants';

export interface LocalPorts {
  /** 0 picks a free port. */
  readonly gateway: number;
  readonly issuer: number;
  readonly dynamodb: number;
}

/** Which environment variable moves each port (for messages). */
export const PORT_VARIABLES: Readonly<Record<keyof LocalPorts, string>> = {
  gateway: 'PORT',
  issuer: 'ISSUER_PORT',
  dynamodb: 'DYNAMODB_PORT',
};

/** The CDK construct's default result cache TTL, so the local gateway behaves like the deployed one. */
export const DEFAULT_AUTHORIZER_CACHE_TTL = DEFAULT_RESULT_CACHE_TTL_SECONDS;

export function portsFromEnv(env: Env): LocalPorts {
  const port = (name: string, fallback: number) => integer(env, name, { default: fallback, min: 0, max: 65_535 });
  return {
    gateway: port('PORT', DEFAULT_GATEWAY_PORT),
    issuer: port('ISSUER_PORT', DEFAULT_ISSUER_PORT),
    dynamodb: port('DYNAMODB_PORT', DEFAULT_DYNAMODB_PORT),
  };
}

/** Seconds the gateway caches an authorizer result per identity (0 = off; API Gateway allows at most 3600). */
export function authorizerCacheTtlFromEnv(env: Env): number {
  return integer(env, 'AUTHORIZER_CACHE_TTL', { default: DEFAULT_AUTHORIZER_CACHE_TTL, min: 0, max: 3600 });
}
