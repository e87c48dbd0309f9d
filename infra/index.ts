/**
 * The package's entry point (`import { PortcullisAuthorizer } from 'portcullis-authorizer'`): the construct, the issuer
 * helpers, the key table, the usage tiers, the route types and the gateway responses.
 */
export { PortcullisAuthorizer, AUTHORIZATION_IDENTITY_SOURCE, DEFAULT_AUTHORIZER_MEMORY_MB } from './portcullis-authorizer';
export type { ExistingApiOptions, PortcullisAuthorizerProps, PortcullisFunctionOptions, ProtectOptions } from './authorizer-props';
export { resolveAuthorizerSettings, type AuthorizerSettings, type FunctionSettings } from './authorizer-settings';
export type { DecisionOutcome, PortcullisAlarmOptions, PortcullisAlarms } from './authorizer-metrics';
export { JwtIssuer, type CognitoIssuerOptions, type OidcIssuerOptions } from './jwt-issuer';
export { PortcullisKeyTable, type PortcullisKeyTableProps } from './portcullis-key-table';
export { KEY_TABLE_SCHEMA } from '../lambda/key-table-schema';
export { USAGE_TIERS, TIER_NAMES, isTierName, type QuotaPeriod, type TierName, type UsageTier } from './usage-tiers';
export { HTTP_METHODS, type RouteManifest, type RouteMethod, type RouteSpec } from '../lambda/route-manifest';
export { addGatewayResponses } from './api-gateway-responses';
export {
  gatewayResponses,
  gatewayResponseBodyJson,
  DEFAULT_REALM,
  type GatewayResponseBody,
  type GatewayResponseDefinition,
  type GatewayResponseOptions,
  type GatewayResponseType,
} from './gateway-responses';
export { STACK_OUTPUTS } from './stack-outputs';
export { routeManifestFromOpenApi, readRouteManifestFile, OpenApiManifestError, METERED_EXTENSION, type OpenApiRouteManifest, type PublicRoute } from './openapi-manifest';
export type { CacheKeySetting, ResolvedCacheKey } from './cache-key';
export type { IntrospectionOptions, IssuerFeatureOptions, ScopeClaimOptions } from './issuer-options';
