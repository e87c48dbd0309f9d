/**
 * Identity sources: the one place that decides what the API Gateway authorizer keys its result cache on, and which
 * sources are safe with caching on. (A `cacheKey` prop plugs in here.)
 */
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import { fail } from './prop-errors';

/** The identity source every accepted credential carries: Bearer, ApiKey and Basic all travel in `Authorization`. */
export const AUTHORIZATION_IDENTITY_SOURCE = apigateway.IdentitySource.header('Authorization');

/**
 * The identity sources of the authorizer, validated. With result caching on, API Gateway answers 401 without calling
 * the function when a source is missing, so every source must be carried by every accepted credential.
 */
export function resolveIdentitySources(given: readonly string[] | undefined, resultsCacheTtlSeconds: number): readonly string[] {
  const identitySources = [...(given ?? [AUTHORIZATION_IDENTITY_SOURCE])];
  if (identitySources.length === 0) fail('identitySources', 'must list at least one identity source');
  if (resultsCacheTtlSeconds > 0) {
    if (!identitySources.includes(AUTHORIZATION_IDENTITY_SOURCE)) {
      fail(
        'identitySources',
        `result caching (resultsCacheTtl ${resultsCacheTtlSeconds}s) keys on the identity sources, and every credential travels in ` +
          `${AUTHORIZATION_IDENTITY_SOURCE}: include it, got ${JSON.stringify(identitySources)}`,
      );
    }
    const unsafe = identitySources.filter((source) => source !== AUTHORIZATION_IDENTITY_SOURCE && !source.startsWith('context.'));
    if (unsafe.length > 0) {
      fail(
        'identitySources',
        `with result caching on, API Gateway answers 401 without calling the authorizer when an identity source is ` +
          `missing, and ${unsafe.join(', ')} is not carried by every accepted credential (use resultsCacheTtl 0 or drop it)`,
      );
    }
  }
  return Object.freeze(identitySources);
}
