/**
 * Shared helpers for the infra tests: apps that skip bundling (one test bundles for real), and readers for what the
 * authorizer function receives.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import { Template } from 'aws-cdk-lib/assertions';
import type { RouteManifest } from '../../lambda/route-manifest';

/** An app whose NodejsFunctions are not bundled (fast, no esbuild). */
export function unbundledApp(): App {
  return new App({ context: { 'aws:cdk:bundling-stacks': [] } });
}

export function newStack(): Stack {
  return new Stack(unbundledApp(), 'Test');
}

/** A REST API ready for metered routes (key source AUTHORIZER) with one integration-less resource tree. */
export function newApi(stack: Stack, props: Partial<apigateway.RestApiProps> = {}): apigateway.RestApi {
  return new apigateway.RestApi(stack, 'Api', { apiKeySourceType: apigateway.ApiKeySourceType.AUTHORIZER, ...props });
}

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

/** The authorizer function's environment variables (the one Lambda whose entry is lambda/index.ts: it has ROUTE_MANIFEST). */
export function authorizerEnvironment(template: Template): Record<string, unknown> {
  const functions = Object.values(template.findResources('AWS::Lambda::Function') as Resources)
    .map((fn) => (fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables)
    .filter((vars): vars is Record<string, unknown> => vars !== undefined && 'ROUTE_MANIFEST' in vars);
  if (functions.length !== 1) throw new Error(`expected one authorizer function, found ${functions.length}`);
  return functions[0]!;
}

/** The route manifest the authorizer function receives, parsed from the template. */
export function manifestFromTemplate(template: Template): RouteManifest {
  const value = authorizerEnvironment(template).ROUTE_MANIFEST;
  if (typeof value !== 'string') throw new Error('ROUTE_MANIFEST is not a literal string in the template');
  return JSON.parse(value) as RouteManifest;
}

/** Every AWS::ApiGateway::Method as { method, path, properties }, with its path rebuilt from the resource tree. */
export function methodsByRoute(template: Template): Map<string, Record<string, unknown>> {
  const resources = template.findResources('AWS::ApiGateway::Resource') as Resources;
  const pathOf = (ref: unknown): string => {
    if (typeof ref === 'object' && ref !== null && 'Fn::GetAtt' in ref) return ''; // the root resource
    const id = (ref as { Ref: string }).Ref;
    const resource = resources[id]!;
    return `${pathOf(resource.Properties!.ParentId)}/${resource.Properties!.PathPart as string}`;
  };
  const out = new Map<string, Record<string, unknown>>();
  for (const method of Object.values(template.findResources('AWS::ApiGateway::Method') as Resources)) {
    const props = method.Properties!;
    out.set(`${props.HttpMethod as string} ${pathOf(props.ResourceId) || '/'}`, props);
  }
  return out;
}
