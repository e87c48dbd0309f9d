/**
 * Names of the sample stack's CloudFormation outputs: the key CLI finds its targets (table, usage plans, stage)
 * through them, so both sides import these names instead of repeating strings.
 */
export const STACK_OUTPUTS = {
  apiUrl: 'ApiUrl',
  restApiId: 'RestApiId',
  stageName: 'StageName',
  keyTableName: 'KeyTableName',
  authorizerId: 'AuthorizerId',
  keyPrefix: 'KeyPrefix',
  /** JSON object: tier name -> usage plan id. */
  usagePlanIds: 'UsagePlanIds',
  /** JSON array of every scope the routes require (the key CLI refuses keys granting any other scope). */
  routeScopes: 'RouteScopes',
  /** The authorizer result cache key chosen from the manifest: `identity` or `route`. */
  authorizerCacheKey: 'AuthorizerCacheKey',
} as const;

export const DEFAULT_STACK_NAME = 'PortcullisSample';
