/**
 * The sample API's routes and settings, shared by the CDK sample stack and the local mode so both serve the same
 * API with the same authorization. Pure data: no CDK import.
 */
import type { RouteManifest } from '../lambda/route-manifest';
import type { TierName } from './usage-tiers';

/** Routes behind the authorizer, with the scopes each requires. */
export const SAMPLE_ROUTE_MANIFEST: RouteManifest = {
  routes: [
    { method: 'GET', path: '/whoami', scopes: [] },
    { method: 'GET', path: '/items', scopes: ['items:read'], metered: true },
    { method: 'POST', path: '/items', scopes: ['items:write'], metered: true },
    { method: 'DELETE', path: '/items/{id}', scopes: ['items:admin'], metered: true },
  ],
};

/** Routes served without the authorizer. */
export const SAMPLE_PUBLIC_ROUTES = [{ method: 'GET', path: '/health' }] as const;

/** Every scope the sample API knows (the Cognito resource server and the local issuer's clients use these). */
export const SAMPLE_SCOPES = ['items:read', 'items:write', 'items:admin'] as const;

/** JWT clients with no binding of their own are metered under this plan's shared usage key. */
export const SAMPLE_DEFAULT_PLAN: TierName = 'pro';

/** The audience the sample's access tokens carry. */
export const SAMPLE_AUDIENCE = 'portcullis-sample-api';

/** Key prefixes: product `ptc`, then the environment. */
export const SAMPLE_KEY_PREFIX = 'ptc_live_';
export const LOCAL_KEY_PREFIX = 'ptc_local_';

/**
 * How long the gateway caches an authorizer result, per Authorization value: the construct's default and the local
 * mode's (AUTHORIZER_CACHE_TTL), so both behave alike. Revocation takes effect within this plus KEY_CACHE_TTL.
 */
export const DEFAULT_RESULT_CACHE_TTL_SECONDS = 60;
