/**
 * Shared helpers for the infra tests: apps with cdk.json's feature flags (so tests check the template `cdk synth`
 * produces) that skip bundling (one test bundles for real), and readers for what the authorizer function receives.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack, Stage } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import { Template } from 'aws-cdk-lib/assertions';
import { loadConfig, type AuthorizerConfig } from '../../lambda/config';
import type { RouteManifest } from '../../lambda/route-manifest';

/** The `context` of cdk.json: feature flags and settings the CDK CLI passes to the app. */
export const CDK_JSON_CONTEXT = (JSON.parse(readFileSync(join(__dirname, '../../cdk.json'), 'utf8')) as { context: Record<string, unknown> })
  .context;

/** An app with cdk.json's context whose functions are not bundled (fast, no esbuild). */
export function unbundledApp(context: Record<string, unknown> = {}): App {
  return new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [], ...context } });
}

/** An app with cdk.json's context that bundles, writing its cloud assembly to `outdir`. */
export function bundlingApp(outdir: string): App {
  return new App({ outdir, context: { ...CDK_JSON_CONTEXT } });
}

export function newStack(): Stack {
  return new Stack(unbundledApp(), 'Test');
}

/** A REST API ready for metered routes (key source AUTHORIZER) with one integration-less resource tree. */
export function newApi(stack: Stack, props: Partial<apigateway.RestApiProps> = {}): apigateway.RestApi {
  return new apigateway.RestApi(stack, 'Api', { apiKeySourceType: apigateway.ApiKeySourceType.AUTHORIZER, ...props });
}

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

/** The authorizer function's resource: the one Lambda whose environment names a CONFIG_FILE. */
function authorizerFunction(template: Template): Record<string, unknown> {
  const functions = Object.values(template.findResources('AWS::Lambda::Function') as Resources)
    .map((fn) => fn.Properties!)
    .filter((props) => 'CONFIG_FILE' in ((props.Environment as { Variables?: object } | undefined)?.Variables ?? {}));
  if (functions.length !== 1) throw new Error(`expected one authorizer function, found ${functions.length}`);
  return functions[0]!;
}

/** The authorizer function's environment variables. */
export function authorizerEnvironment(template: Template): Record<string, unknown> {
  return (authorizerFunction(template).Environment as { Variables: Record<string, unknown> }).Variables;
}

/** The folder of the authorizer function's code asset in the stack's cloud assembly. */
export function authorizerAssetDir(stack: Stack, template: Template = Template.fromStack(stack)): string {
  const key = String((authorizerFunction(template).Code as { S3Key: unknown }).S3Key);
  return join(Stage.of(stack)!.outdir, `asset.${key.replace(/\.zip$/, '')}`);
}

/** The configuration file shipped in the function's code, as JSON. */
export function configFileFromAsset(stack: Stack, template: Template = Template.fromStack(stack)): Record<string, unknown> {
  const file = authorizerEnvironment(template).CONFIG_FILE as string;
  return JSON.parse(readFileSync(join(authorizerAssetDir(stack, template), file), 'utf8')) as Record<string, unknown>;
}

/**
 * What the deployed function would load: its environment from the template (deploy-time values supplied by the
 * caller, since only CloudFormation resolves them) and the configuration file from the asset, through the
 * production loader.
 */
export function loadDeployedConfig(stack: Stack, deployValues: Record<string, string> = {}): AuthorizerConfig {
  const template = Template.fromStack(stack);
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(authorizerEnvironment(template))) {
    env[name] = typeof value === 'string' ? value : (deployValues[name] ?? `deploy-time-${name}`);
  }
  return loadConfig(env, { configDir: authorizerAssetDir(stack, template) });
}

/** The route manifest the authorizer function receives, read from the configuration file in its code asset. */
export function manifestFromAsset(stack: Stack): RouteManifest {
  return configFileFromAsset(stack).ROUTE_MANIFEST as RouteManifest;
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
