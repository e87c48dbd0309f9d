/**
 * The route manifest: which scopes each API route requires. It is the single source of truth shared by the
 * authorizer (policy building), the CDK construct (which routes it protects) and the local gateway.
 */
import { ConfigurationError } from './errors';

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'ANY'] as const;
export type RouteMethod = (typeof HTTP_METHODS)[number];

/** One protected route, as written in the manifest. */
export interface RouteSpec {
  /** HTTP method, or `ANY` (API Gateway's catch-all method). OPTIONS is never authorized (CORS preflight). */
  readonly method: RouteMethod;
  /** API Gateway resource path, e.g. `/items/{id}` or `/files/{proxy+}`. */
  readonly path: string;
  /** All of these scopes are required. An empty list means any authenticated caller. */
  readonly scopes?: readonly string[];
  /** Alternatives: the caller needs every scope of at least one set. Exclusive with `scopes`. */
  readonly anyOf?: readonly (readonly string[])[];
  /** The route is counted against the caller's usage plan (`apiKeyRequired` on the method). */
  readonly metered?: boolean;
}

export interface RouteManifest {
  readonly routes: readonly RouteSpec[];
}

/** A validated route with its requirement normalised to alternatives of all-of sets. */
export interface CompiledRoute {
  readonly method: RouteMethod;
  readonly path: string;
  /** Alternatives; the route is allowed when every scope of one alternative is held. */
  readonly requirement: readonly (readonly string[])[];
  readonly metered: boolean;
  /** The part of an execute-api ARN after the stage: `GET/items/*`. */
  readonly arnSuffix: string;
}

export interface CompiledManifest {
  readonly routes: readonly CompiledRoute[];
  /** Look a route up by the event's method and resource template. */
  find(method: string, resourcePath: string): CompiledRoute | undefined;
}

// RFC 6749 section 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
const LITERAL_SEGMENT = /^[A-Za-z0-9._~@:$&'()*+,;=!-]+$/;
const PARAM_SEGMENT = /^\{[A-Za-z0-9._-]+\}$/;
const GREEDY_SEGMENT = /^\{[A-Za-z0-9._-]+\+\}$/;

export function isValidScope(scope: string): boolean {
  return SCOPE_TOKEN.test(scope) && scope.length <= 256;
}

/** Converts a resource template to the ARN form API Gateway matches: path parameters become `*`. */
export function resourcePathToArnPath(path: string): string {
  if (path === '/') return '';
  return path
    .slice(1)
    .split('/')
    .map((segment) => (segment.startsWith('{') ? '*' : segment))
    .join('/');
}

function validatePath(setting: string, path: unknown): string {
  if (typeof path !== 'string' || !path.startsWith('/')) {
    throw new ConfigurationError(setting, `route path must be a string starting with "/", got ${JSON.stringify(path)}`);
  }
  if (path === '/') return path;
  const segments = path.slice(1).split('/');
  segments.forEach((segment, index) => {
    const greedy = GREEDY_SEGMENT.test(segment);
    if (greedy && index !== segments.length - 1) {
      throw new ConfigurationError(setting, `greedy path parameter must be the last segment in ${path}`);
    }
    if (!greedy && !PARAM_SEGMENT.test(segment) && !LITERAL_SEGMENT.test(segment)) {
      throw new ConfigurationError(setting, `invalid path segment "${segment}" in ${path}`);
    }
  });
  return path;
}

function validateScopeList(setting: string, where: string, scopes: unknown): string[] {
  if (!Array.isArray(scopes)) {
    throw new ConfigurationError(setting, `${where} must be an array of scope strings`);
  }
  for (const scope of scopes) {
    if (typeof scope !== 'string' || !isValidScope(scope)) {
      throw new ConfigurationError(setting, `${where} has an invalid scope ${JSON.stringify(scope)}`);
    }
  }
  return [...new Set(scopes as string[])];
}

function compileRoute(setting: string, raw: unknown, index: number): CompiledRoute {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigurationError(setting, `routes[${index}] must be an object`);
  }
  const spec = raw as Record<string, unknown>;
  const method = typeof spec.method === 'string' ? spec.method.toUpperCase() : spec.method;
  if (method === 'OPTIONS') {
    throw new ConfigurationError(setting, `routes[${index}]: OPTIONS (CORS preflight) is never put behind the authorizer`);
  }
  if (typeof method !== 'string' || !(HTTP_METHODS as readonly string[]).includes(method)) {
    throw new ConfigurationError(
      setting,
      `routes[${index}].method must be one of ${HTTP_METHODS.join(', ')}, got ${JSON.stringify(spec.method)}`,
    );
  }
  const path = validatePath(setting, spec.path);
  if (spec.scopes !== undefined && spec.anyOf !== undefined) {
    throw new ConfigurationError(setting, `routes[${index}] (${method} ${path}): give scopes or anyOf, not both`);
  }
  let requirement: string[][];
  if (spec.anyOf !== undefined) {
    if (!Array.isArray(spec.anyOf) || spec.anyOf.length === 0) {
      throw new ConfigurationError(setting, `routes[${index}] (${method} ${path}): anyOf must be a non-empty array of scope lists`);
    }
    requirement = spec.anyOf.map((set, i) => validateScopeList(setting, `routes[${index}].anyOf[${i}]`, set));
  } else {
    requirement = [validateScopeList(setting, `routes[${index}].scopes`, spec.scopes ?? [])];
  }
  if (spec.metered !== undefined && typeof spec.metered !== 'boolean') {
    throw new ConfigurationError(setting, `routes[${index}].metered must be a boolean`);
  }
  const arnPath = resourcePathToArnPath(path);
  return Object.freeze({
    method: method as RouteMethod,
    path,
    requirement: Object.freeze(requirement.map((set) => Object.freeze(set))),
    metered: spec.metered === true,
    arnSuffix: `${method === 'ANY' ? '*' : method}/${arnPath}`,
  });
}

/**
 * Validates a manifest (parsed JSON or an object literal) and prepares it for lookups.
 * @param setting the name reported in errors (the environment variable or prop that carried it)
 */
export function compileManifest(manifest: unknown, setting = 'ROUTE_MANIFEST'): CompiledManifest {
  if (typeof manifest !== 'object' || manifest === null || !Array.isArray((manifest as RouteManifest).routes)) {
    throw new ConfigurationError(setting, 'must be an object with a "routes" array');
  }
  const routes = (manifest as RouteManifest).routes.map((route, index) => compileRoute(setting, route, index));
  const byKey = new Map<string, CompiledRoute>();
  for (const route of routes) {
    const key = `${route.method} ${route.path}`;
    if (byKey.has(key)) {
      throw new ConfigurationError(setting, `route ${key} is listed twice`);
    }
    byKey.set(key, route);
  }
  return Object.freeze({
    routes: Object.freeze(routes),
    find(method: string, resourcePath: string): CompiledRoute | undefined {
      return byKey.get(`${method} ${resourcePath}`) ?? byKey.get(`ANY ${resourcePath}`);
    },
  });
}

/** True when the held scopes satisfy one alternative of the route's requirement. */
export function isRouteAllowed(route: CompiledRoute, held: ReadonlySet<string>): boolean {
  return route.requirement.some((set) => set.every((scope) => held.has(scope)));
}
