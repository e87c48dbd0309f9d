/**
 * The attach plan: what `apply` would change so the API matches the manifest, computed from a snapshot alone (no
 * calls), so `plan`, `check` and `apply` agree by construction.
 *
 * - Every manifest route's method gets `authorizationType: CUSTOM` and this authorizer; metered routes also
 *   `apiKeyRequired: true` (other routes keep their apiKeyRequired).
 * - Metered routes need the API's key source to be AUTHORIZER (the authorizer supplies the usage key).
 * - The gateway responses of infra/gateway-responses.ts are installed where the API's differ.
 * - Errors: a manifest route the API lacks (the authorizer matches the API's exact resource template, so a renamed
 *   path parameter counts as missing), and drift: a method using this authorizer that the manifest does not list.
 * - OPTIONS methods (CORS preflight) are never touched.
 */
import { gatewayResponseBodyJson, gatewayResponses, type GatewayResponseOptions } from '../../infra/gateway-responses';
import type { CompiledManifest } from '../../lambda/route-manifest';
import { methodKey, type ApiSnapshot, type GatewayResponseState, type MethodState } from './api-snapshot';

export interface MethodAuth {
  readonly authorizationType: string;
  readonly authorizerId?: string;
  readonly apiKeyRequired: boolean;
}

export interface MethodChange {
  readonly method: string;
  readonly path: string;
  readonly resourceId: string;
  readonly from: MethodAuth & { readonly authorizationScopes?: readonly string[] };
  readonly to: MethodAuth;
}

export interface GatewayResponseChange {
  readonly type: string;
  readonly from: GatewayResponseState | undefined;
  readonly to: GatewayResponseState;
}

export interface RouteRef {
  readonly method: string;
  readonly path: string;
}

export interface PlanProblem extends RouteRef {
  readonly reason: string;
}

export interface AttachPlan {
  readonly restApiId: string;
  readonly apiName: string;
  readonly authorizerId: string;
  readonly authorizerName: string;
  readonly stageName?: string;
  readonly methodChanges: readonly MethodChange[];
  /** Manifest routes whose methods already match. */
  readonly unchanged: readonly RouteRef[];
  readonly keySource: { readonly current: string; readonly desired: string };
  readonly gatewayResponseChanges: readonly GatewayResponseChange[];
  /** Errors: manifest routes the API lacks. */
  readonly missing: readonly PlanProblem[];
  /** Errors: methods using this authorizer that the manifest does not list. */
  readonly drift: readonly PlanProblem[];
  readonly optionsMethods: readonly RouteRef[];
  /** Methods outside the manifest, left as they are, with their authorization. */
  readonly otherMethods: readonly (RouteRef & { readonly authorizationType: string })[];
  readonly warnings: readonly string[];
}

export interface PlanOptions {
  /** Leave the API's gateway responses as they are. */
  readonly keepGatewayResponses?: boolean;
  readonly gatewayResponseOptions?: GatewayResponseOptions;
}

/** The gateway responses as API Gateway stores them (PutGatewayResponse input, GetGatewayResponses output). */
export function desiredGatewayResponses(options: GatewayResponseOptions = {}): Map<string, GatewayResponseState> {
  const desired = new Map<string, GatewayResponseState>();
  for (const definition of gatewayResponses(options)) {
    desired.set(definition.type, {
      defaultResponse: false,
      ...(definition.statusCode === undefined ? {} : { statusCode: String(definition.statusCode) }),
      responseParameters: Object.fromEntries(
        Object.entries(definition.headers).map(([name, value]) => [`gatewayresponse.header.${name}`, `'${value}'`]),
      ),
      responseTemplates: { [definition.contentType]: gatewayResponseBodyJson(definition) },
    });
  }
  return desired;
}

const sameRecord = (a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean => {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
};

export function sameGatewayResponse(current: GatewayResponseState | undefined, desired: GatewayResponseState): boolean {
  return (
    current !== undefined &&
    !current.defaultResponse &&
    current.statusCode === desired.statusCode &&
    sameRecord(current.responseParameters, desired.responseParameters) &&
    sameRecord(current.responseTemplates, desired.responseTemplates)
  );
}

export const usesAuthorizer = (method: MethodState, authorizerId: string): boolean =>
  method.authorizationType === 'CUSTOM' && method.authorizerId === authorizerId;

const shapeOf = (path: string): string => path.replace(/\{[^}/]+\+\}/g, '{+}').replace(/\{[^}/+]+\}/g, '{}');

export function computePlan(snapshot: ApiSnapshot, manifest: CompiledManifest, options: PlanOptions = {}): AttachPlan {
  const authorizerId = snapshot.authorizer.id;
  const byKey = new Map(snapshot.methods.map((method) => [methodKey(method.httpMethod, method.path), method]));
  const paths = new Set(snapshot.methods.map((method) => method.path));
  const methodChanges: MethodChange[] = [];
  const unchanged: RouteRef[] = [];
  const missing: PlanProblem[] = [];
  const warnings: string[] = [];
  const inManifest = new Set<string>();

  for (const route of manifest.routes) {
    const key = methodKey(route.method, route.path);
    inManifest.add(key);
    const method = byKey.get(key);
    if (method === undefined) {
      missing.push({ method: route.method, path: route.path, reason: missingReason(snapshot, route.method, route.path, paths) });
      continue;
    }
    const to: MethodAuth = {
      authorizationType: 'CUSTOM',
      authorizerId,
      apiKeyRequired: route.metered ? true : method.apiKeyRequired,
    };
    if (usesAuthorizer(method, authorizerId) && method.apiKeyRequired === to.apiKeyRequired) {
      unchanged.push({ method: route.method, path: route.path });
      continue;
    }
    methodChanges.push({
      method: route.method,
      path: route.path,
      resourceId: method.resourceId,
      from: {
        authorizationType: method.authorizationType,
        ...(method.authorizerId ? { authorizerId: method.authorizerId } : {}),
        apiKeyRequired: method.apiKeyRequired,
        ...(method.authorizationScopes ? { authorizationScopes: method.authorizationScopes } : {}),
      },
      to,
    });
    if (route.method === 'ANY') {
      for (const sibling of snapshot.methods) {
        if (sibling.path === route.path && sibling.httpMethod !== 'ANY' && sibling.httpMethod !== 'OPTIONS' && !manifest.routes.some((r) => r.method === sibling.httpMethod && r.path === sibling.path)) {
          warnings.push(`${sibling.httpMethod} ${sibling.path} is not in the manifest: requests with that method skip ANY ${route.path}'s authorizer`);
        }
      }
    }
  }

  const drift: PlanProblem[] = [];
  const optionsMethods: RouteRef[] = [];
  const otherMethods: (RouteRef & { authorizationType: string })[] = [];
  for (const method of snapshot.methods) {
    const ref = { method: method.httpMethod, path: method.path };
    if (method.httpMethod === 'OPTIONS') {
      optionsMethods.push(ref);
      if (usesAuthorizer(method, authorizerId)) {
        drift.push({ ...ref, reason: 'a CORS preflight behind the authorizer fails in browsers: set it back to NONE' });
      }
      continue;
    }
    if (inManifest.has(methodKey(method.httpMethod, method.path))) continue;
    if (usesAuthorizer(method, authorizerId)) {
      drift.push({ ...ref, reason: 'uses the authorizer but is not in the manifest: add it to the manifest, or take it off the authorizer' });
    } else {
      otherMethods.push({ ...ref, authorizationType: method.authorizationType });
    }
  }

  const metered = manifest.routes.some((route) => route.metered);
  const keySource = { current: snapshot.apiKeySource, desired: metered ? 'AUTHORIZER' : snapshot.apiKeySource };

  const gatewayResponseChanges: GatewayResponseChange[] = [];
  if (!options.keepGatewayResponses) {
    for (const [type, desired] of desiredGatewayResponses(options.gatewayResponseOptions)) {
      const current = snapshot.gatewayResponses.get(type);
      if (!sameGatewayResponse(current, desired)) gatewayResponseChanges.push({ type, from: current, to: desired });
    }
  }

  return {
    restApiId: snapshot.restApiId,
    apiName: snapshot.name,
    authorizerId,
    authorizerName: snapshot.authorizer.name,
    ...(snapshot.stageName === undefined ? {} : { stageName: snapshot.stageName }),
    methodChanges,
    unchanged,
    keySource,
    gatewayResponseChanges,
    missing,
    drift,
    optionsMethods,
    otherMethods,
    warnings,
  };
}

function missingReason(snapshot: ApiSnapshot, method: string, path: string, paths: ReadonlySet<string>): string {
  if (paths.has(path)) {
    const here = snapshot.methods.filter((m) => m.path === path).map((m) => m.httpMethod);
    return `the API has no ${method} method on ${path} (it has ${here.join(', ')})`;
  }
  const renamed = [...paths].find((candidate) => shapeOf(candidate) === shapeOf(path));
  if (renamed !== undefined) return `the API names this resource ${renamed}: the manifest must use the API's template`;
  return `no resource ${path} in the API`;
}

/** True when applying would change something, or the API and the manifest disagree. */
export function planDisagrees(plan: AttachPlan): boolean {
  return (
    plan.methodChanges.length > 0 ||
    plan.keySource.current !== plan.keySource.desired ||
    plan.gatewayResponseChanges.length > 0 ||
    plan.missing.length > 0 ||
    plan.drift.length > 0
  );
}

export const planHasErrors = (plan: AttachPlan): boolean => plan.missing.length > 0 || plan.drift.length > 0;
