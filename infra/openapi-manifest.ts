/**
 * Route manifests from OpenAPI: the routes an API is already defined by (an OpenAPI 3.0/3.1 or Swagger 2 file, or API
 * Gateway's own export) become the manifest the authorizer and the construct use, so the two cannot drift apart.
 *
 * - Each operation's `security` (else the document's) is read: a list of requirement objects is a list of
 *   alternatives (`anyOf`); the scopes of every scheme inside one object are all required. OAuth2 and OpenID Connect
 *   schemes carry scopes, as do API Gateway Cognito authorizers (`x-amazon-apigateway-authtype: cognito_user_pools`,
 *   how GetExport writes `authorizationScopes`); other schemes (HTTP bearer/basic, custom or IAM authorizers) require an
 *   authenticated caller without scopes.
 * - API Gateway's API key scheme (`type: apiKey`, header `x-api-key`, no `x-amazon-apigateway-authtype`; GetExport
 *   writes it for `apiKeyRequired` methods) and the extension `x-portcullis-metered: true` mark a route metered.
 * - No security, `security: []`, or an empty alternative (`{}`: anonymous allowed) make an operation public: it is
 *   left out of the manifest and listed in `publicRoutes`.
 * - Path templates are kept as written (`{proxy+}` included); `x-amazon-apigateway-any-method` is `ANY`; `options`
 *   (CORS preflight) is never put behind the authorizer.
 *
 * Errors name the path and operation: an unknown security scheme, a scope that cannot be a scope (RFC 6749 §3.3), two
 * operations for one route, a duplicate operationId.
 */
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { compileManifest, isValidScope, type RouteManifest, type RouteMethod, type RouteSpec } from '../lambda/route-manifest';

/** The operation extension that marks a route metered (counted against the caller's usage plan). */
export const METERED_EXTENSION = 'x-portcullis-metered';
/** API Gateway's catch-all method in OpenAPI (`ANY`). */
export const ANY_METHOD_EXTENSION = 'x-amazon-apigateway-any-method';

const OPERATION_KEYS: Readonly<Record<string, RouteMethod | 'OPTIONS' | 'TRACE'>> = {
  get: 'GET',
  put: 'PUT',
  post: 'POST',
  delete: 'DELETE',
  options: 'OPTIONS',
  head: 'HEAD',
  patch: 'PATCH',
  trace: 'TRACE',
  [ANY_METHOD_EXTENSION]: 'ANY',
};

export interface PublicRoute {
  readonly method: string;
  readonly path: string;
  /** Why it is public: `no security`, `security: []` or `anonymous alternative ({})`. */
  readonly reason: string;
}

/** A route manifest, plus the routes the spec leaves public (the authorizer ignores `publicRoutes`). */
export interface OpenApiRouteManifest extends RouteManifest {
  readonly publicRoutes: readonly PublicRoute[];
}

export interface OpenApiConversion {
  readonly manifest: OpenApiRouteManifest;
  /** `OPTIONS` operations: CORS preflight, never behind the authorizer. */
  readonly preflight: readonly { method: 'OPTIONS'; path: string }[];
  /** Notes that do not stop the conversion (e.g. a route whose schemes carry no scopes). */
  readonly warnings: readonly string[];
  /** `OpenAPI 3.0.1`, `Swagger 2.0`... */
  readonly format: string;
}

/** A spec the manifest cannot be made from; the message names the source, path and operation. */
export class OpenApiManifestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OpenApiManifestError';
  }
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

type SchemeKind = 'scopes' | 'apiKey' | 'authenticated';

interface SchemeInfo {
  readonly kind: SchemeKind;
  readonly type: string;
}

function classifyScheme(scheme: Json): SchemeInfo {
  const type = String(scheme.type ?? '');
  const authType = String(scheme['x-amazon-apigateway-authtype'] ?? '').toLowerCase();
  if (type === 'oauth2' || type === 'openIdConnect') return { kind: 'scopes', type };
  if (authType === 'cognito_user_pools') return { kind: 'scopes', type: 'cognito_user_pools' };
  if (type === 'apiKey' && authType === '' && String(scheme.name ?? '').toLowerCase() === 'x-api-key') {
    return { kind: 'apiKey', type: 'apiKey' };
  }
  return { kind: 'authenticated', type: authType === '' ? type : `${type} (${authType})` };
}

/** Parses JSON or YAML text; duplicate keys (e.g. a method written twice under one path) are an error. */
export function parseOpenApiText(text: string, source: string): unknown {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{')) {
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new OpenApiManifestError(`${source}: not valid JSON: ${(error as Error).message}`);
    }
  }
  const document = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  if (document.errors.length > 0) {
    const first = document.errors[0]!;
    const duplicate = first.code === 'DUPLICATE_KEY' ? ' (a duplicate operation or key)' : '';
    throw new OpenApiManifestError(`${source}: not valid YAML${duplicate}: ${first.message.split('\n')[0]}`);
  }
  return document.toJS({ maxAliasCount: 100 });
}

function formatOf(document: Json, source: string): { format: string; schemes: Json } {
  if (typeof document.swagger === 'string') {
    if (!document.swagger.startsWith('2.')) throw new OpenApiManifestError(`${source}: swagger ${document.swagger} is not supported (2.0 is)`);
    return { format: `Swagger ${document.swagger}`, schemes: isObject(document.securityDefinitions) ? document.securityDefinitions : {} };
  }
  if (typeof document.openapi === 'string') {
    if (!/^3\.[01]\./.test(document.openapi)) throw new OpenApiManifestError(`${source}: openapi ${document.openapi} is not supported (3.0 and 3.1 are)`);
    const components = isObject(document.components) ? document.components : {};
    return { format: `OpenAPI ${document.openapi}`, schemes: isObject(components.securitySchemes) ? components.securitySchemes : {} };
  }
  throw new OpenApiManifestError(`${source}: not an OpenAPI document (no "openapi" or "swagger" field)`);
}

/** The route identity API Gateway uses: parameter names do not matter (`/a/{id}` and `/a/{key}` are one resource). */
function routeShape(method: string, path: string): string {
  const shape = path.replace(/\{[^}/]+\+\}/g, '{+}').replace(/\{[^}/+]+\}/g, '{}');
  return `${method} ${shape}`;
}

interface Requirement {
  readonly scopes: string[];
  readonly apiKey: boolean;
  readonly scopeless: boolean;
}

/**
 * Converts a parsed OpenAPI/Swagger document to a route manifest, validated by the authorizer's own manifest parser.
 * @param source named in errors (the file name, or `GetExport abc123/prod`)
 */
export function manifestFromOpenApi(document: unknown, source = 'OpenAPI document'): OpenApiConversion {
  if (!isObject(document)) throw new OpenApiManifestError(`${source}: not an OpenAPI document (not an object)`);
  const { format, schemes } = formatOf(document, source);
  if (!isObject(document.paths)) throw new OpenApiManifestError(`${source}: "paths" must be an object`);
  const globalSecurity = document.security;

  const routes: RouteSpec[] = [];
  const publicRoutes: PublicRoute[] = [];
  const preflight: { method: 'OPTIONS'; path: string }[] = [];
  const warnings: string[] = [];
  const shapes = new Map<string, string>();
  const operationIds = new Map<string, string>();

  for (const [path, pathItem] of Object.entries(document.paths)) {
    if (!isObject(pathItem)) throw new OpenApiManifestError(`${source}: paths["${path}"] must be an object`);
    if (pathItem.$ref !== undefined) {
      throw new OpenApiManifestError(`${source}: paths["${path}"]: $ref path items are not supported: inline the operations`);
    }
    for (const [key, operation] of Object.entries(pathItem)) {
      const method = OPERATION_KEYS[key];
      if (method === undefined) continue; // parameters, summary, servers, other extensions
      const where = `${source}: ${method} ${path}${isObject(operation) && typeof operation.operationId === 'string' ? ` (operationId ${operation.operationId})` : ''}`;
      if (!isObject(operation)) throw new OpenApiManifestError(`${where}: the operation must be an object`);
      if (method === 'TRACE') {
        warnings.push(`${where}: API Gateway has no TRACE method: left out`);
        continue;
      }

      const shape = routeShape(method, path);
      const earlier = shapes.get(shape);
      if (earlier !== undefined) throw new OpenApiManifestError(`${where}: duplicate operation: ${earlier} is the same route`);
      shapes.set(shape, `${method} ${path}`);
      if (typeof operation.operationId === 'string') {
        const other = operationIds.get(operation.operationId);
        if (other !== undefined) throw new OpenApiManifestError(`${where}: duplicate operationId, also used by ${other}`);
        operationIds.set(operation.operationId, `${method} ${path}`);
      }
      if (method === 'OPTIONS') {
        preflight.push({ method: 'OPTIONS', path });
        continue;
      }

      const security = operation.security ?? globalSecurity;
      if (security !== undefined && !Array.isArray(security)) throw new OpenApiManifestError(`${where}: security must be an array of requirement objects`);
      if (security === undefined || security.length === 0) {
        publicRoutes.push({ method, path, reason: security === undefined ? 'no security' : 'security: []' });
        continue;
      }
      const requirements = security.map((entry, index) => readRequirement(entry, index, where, schemes));
      if (requirements.some((requirement) => requirement === 'anonymous')) {
        publicRoutes.push({ method, path, reason: 'anonymous alternative ({})' });
        continue;
      }
      const alternatives = requirements as Requirement[];
      const metered = operation[METERED_EXTENSION] ?? pathItem[METERED_EXTENSION];
      if (metered !== undefined && typeof metered !== 'boolean') {
        throw new OpenApiManifestError(`${where}: ${METERED_EXTENSION} must be true or false`);
      }
      routes.push(routeFrom(method, path, alternatives, metered === true || alternatives.some((a) => a.apiKey)));
      if (alternatives.every((a) => a.scopes.length === 0) && alternatives.some((a) => a.scopeless)) {
        warnings.push(`${where}: its security schemes carry no scopes: any authenticated caller may use it`);
      }
    }
  }

  const manifest: OpenApiRouteManifest = { routes, publicRoutes };
  try {
    compileManifest(manifest, source);
  } catch (error) {
    throw new OpenApiManifestError((error as Error).message);
  }
  return { manifest, preflight, warnings, format };
}

function readRequirement(entry: unknown, index: number, where: string, schemes: Json): Requirement | 'anonymous' {
  if (!isObject(entry)) throw new OpenApiManifestError(`${where}: security[${index}] must be an object of scheme -> scopes`);
  const names = Object.keys(entry);
  if (names.length === 0) return 'anonymous';
  const scopes: string[] = [];
  let apiKey = false;
  let scopeless = false;
  for (const name of names) {
    const scheme = schemes[name];
    if (!isObject(scheme)) {
      const known = Object.keys(schemes);
      throw new OpenApiManifestError(
        `${where}: unknown security scheme "${name}" (defined: ${known.length > 0 ? known.join(', ') : 'none'})`,
      );
    }
    const listed = entry[name];
    if (!Array.isArray(listed)) throw new OpenApiManifestError(`${where}: security[${index}].${name} must be an array of scopes`);
    const info = classifyScheme(scheme);
    if (info.kind === 'apiKey') apiKey = true;
    if (info.kind !== 'scopes') {
      scopeless = true;
      // OpenAPI 3.1 allows role names for other schemes; they are not OAuth scopes the authorizer can check.
      if (listed.length > 0) throw new OpenApiManifestError(`${where}: scheme "${name}" (${info.type}) cannot carry scopes, got ${JSON.stringify(listed)}`);
      continue;
    }
    for (const scope of listed) {
      if (typeof scope !== 'string' || !isValidScope(scope)) {
        throw new OpenApiManifestError(
          `${where}: scope ${JSON.stringify(scope)} of scheme "${name}" cannot be a scope (RFC 6749 §3.3: printable ASCII without space, " or \\, at most 256)`,
        );
      }
      if (!scopes.includes(scope)) scopes.push(scope);
    }
  }
  return { scopes, apiKey, scopeless };
}

function routeFrom(method: RouteMethod, path: string, alternatives: readonly Requirement[], metered: boolean): RouteSpec {
  const sets: string[][] = [];
  for (const { scopes } of alternatives) {
    const sorted = [...scopes].sort();
    if (!sets.some((set) => set.length === sorted.length && set.every((scope, i) => scope === sorted[i]))) sets.push(sorted);
  }
  // An alternative without scopes lets any authenticated caller in: the others add nothing.
  const route: { method: RouteMethod; path: string; scopes?: string[]; anyOf?: string[][]; metered?: boolean } = { method, path };
  if (sets.length === 1 || sets.some((set) => set.length === 0)) route.scopes = sets.length === 1 ? sets[0]! : [];
  else route.anyOf = sets;
  if (metered) route.metered = true;
  return route;
}

/** Reads an OpenAPI/Swagger file (JSON or YAML) and converts it. */
export function convertOpenApiFile(file: string): OpenApiConversion {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new OpenApiManifestError(`${file}: cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return manifestFromOpenApi(parseOpenApiText(text, file), file);
}

/**
 * The route manifest of an OpenAPI file, for the construct: `new PortcullisAuthorizer(this, 'Auth', { routes:
 * routeManifestFromOpenApi('api.yaml').routes, ... })` next to a `SpecRestApi` built from the same file.
 */
export function routeManifestFromOpenApi(file: string): OpenApiRouteManifest {
  return convertOpenApiFile(file).manifest;
}

/** True when a parsed JSON/YAML document is an OpenAPI or Swagger document rather than a route manifest. */
export function isOpenApiDocument(document: unknown): boolean {
  return isObject(document) && (typeof document.openapi === 'string' || typeof document.swagger === 'string');
}

/**
 * A route manifest file as the commands and the local mode take it: a manifest (`{"routes": [...]}`, optionally with
 * `publicRoutes`) or an OpenAPI/Swagger file, JSON or YAML. Validated with the authorizer's own parser.
 */
export function readRouteManifestFile(file: string): OpenApiRouteManifest {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new OpenApiManifestError(`${file}: cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const document = parseOpenApiText(text, file);
  if (isOpenApiDocument(document)) return manifestFromOpenApi(document, file).manifest;
  try {
    compileManifest(document, file);
  } catch (error) {
    throw new OpenApiManifestError((error as Error).message);
  }
  const manifest = document as { routes: RouteSpec[]; publicRoutes?: unknown };
  const publicRoutes = readPublicRoutes(manifest.publicRoutes, file);
  return { routes: manifest.routes, publicRoutes };
}

function readPublicRoutes(value: unknown, file: string): PublicRoute[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new OpenApiManifestError(`${file}: publicRoutes must be an array of {method, path}`);
  return value.map((entry: unknown, index) => {
    const route = (isObject(entry) ? entry : {}) as Record<string, unknown>;
    const method = typeof route.method === 'string' ? route.method.toUpperCase() : '';
    if (!/^(GET|PUT|POST|DELETE|PATCH|HEAD|ANY)$/.test(method) || typeof route.path !== 'string' || !route.path.startsWith('/')) {
      throw new OpenApiManifestError(`${file}: publicRoutes[${index}] must be {"method": "GET|PUT|POST|DELETE|PATCH|HEAD|ANY", "path": "/..."}`);
    }
    return { method, path: route.path, reason: typeof route.reason === 'string' ? route.reason : 'listed public' };
  });
}
