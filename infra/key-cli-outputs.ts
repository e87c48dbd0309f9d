/**
 * The stack outputs through which `portcullis keys --stack NAME` (and `portcullis attach --stack NAME`) find a
 * deployment: its table, key prefix, usage plans, API, stage and authorizer, and the scopes its routes require. One
 * definition for the sample stack, the existing-API stack and a consumer's own stack
 * ({@link PortcullisAuthorizer.addStackOutputs}).
 */
import { CfnOutput, Lazy, Stack } from 'aws-cdk-lib/core';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import type { RouteManifest } from '../lambda/route-manifest';
import { STACK_OUTPUTS } from './stack-outputs';

export interface KeyCliOutputSource {
  readonly restApiId?: string;
  readonly stageName?: string;
  readonly authorizerId: () => string | undefined;
  readonly keyTable?: dynamodb.ITable;
  readonly keyPrefix: string;
  readonly usagePlans: Readonly<Record<string, apigateway.UsagePlan>>;
  readonly manifest: () => RouteManifest;
  readonly cacheKeyMode: () => string;
}

/** Every scope some route requires (all-of lists and anyOf alternatives), sorted. */
export function requiredScopes(manifest: RouteManifest): string[] {
  const scopes = new Set<string>();
  for (const route of manifest.routes) {
    for (const scope of route.scopes ?? []) scopes.add(scope);
    for (const set of route.anyOf ?? []) for (const scope of set) scopes.add(scope);
  }
  return [...scopes].sort();
}

/** Adds the outputs to the stack of `scope` (ids are the output names, so a stack can hold one set). */
export function addKeyCliOutputs(scope: Construct, source: KeyCliOutputSource): CfnOutput[] {
  const stack = Stack.of(scope);
  const outputs: CfnOutput[] = [];
  const output = (name: string, value: string, description: string) => outputs.push(new CfnOutput(stack, name, { value, description }));
  if (source.restApiId !== undefined) output(STACK_OUTPUTS.restApiId, source.restApiId, 'REST API id');
  if (source.stageName !== undefined) output(STACK_OUTPUTS.stageName, source.stageName, 'Stage metered by the usage plans');
  const authorizerId = source.authorizerId();
  if (authorizerId !== undefined) output(STACK_OUTPUTS.authorizerId, authorizerId, 'API Gateway authorizer id');
  if (source.keyTable !== undefined) output(STACK_OUTPUTS.keyTableName, source.keyTable.tableName, 'DynamoDB key table (hashed API keys, client bindings)');
  output(STACK_OUTPUTS.keyPrefix, source.keyPrefix, "Prefix of this deployment's API keys");
  output(
    STACK_OUTPUTS.usagePlanIds,
    stack.toJsonString(Object.fromEntries(Object.entries(source.usagePlans).map(([tier, plan]) => [tier, plan.usagePlanId]))),
    'JSON object: tier name -> usage plan id',
  );
  // Final at synth, once every route is protected.
  output(STACK_OUTPUTS.routeScopes, Lazy.string({ produce: () => JSON.stringify(requiredScopes(source.manifest())) }), 'JSON array: every scope the routes require');
  output(
    STACK_OUTPUTS.authorizerCacheKey,
    Lazy.string({ produce: () => source.cacheKeyMode() }),
    'Authorizer result cache key: identity (Authorization) or route (Authorization, method, resource)',
  );
  return outputs;
}
