#!/usr/bin/env node
/**
 * The CDK app (`cdk.json`: `npx tsx infra/app.ts`).
 *
 * - Always: the sample stack (`PortcullisSample`), deployable as is. `-c apiGatewayCloudWatchRole=false` skips the
 *   account-wide API Gateway logging role (keep it off when the account already has one; it is kept on destroy).
 * - With `-c existingRestApiId=<id>`: also `PortcullisExistingApi`, the authorizer for a REST API this app does not
 *   manage. Its routes come from `-c routeManifest=<file.json>` (the route manifest), issuers optionally from
 *   `-c jwtIssuers=<file.json>` (a JWT_ISSUERS array), the metered stage from `-c existingStageName=<stage>`.
 *
 * cdk-nag's AwsSolutions checks run on every synth: a new unacknowledged finding fails it.
 */
import { readFileSync } from 'node:fs';
import { App, Validations } from 'aws-cdk-lib/core';
import { AwsSolutionsChecks } from 'cdk-nag';
import { compileManifest, type RouteManifest } from '../lambda/route-manifest';
import { PortcullisExistingApiStack } from './existing-api-stack';
import { JwtIssuer } from './jwt-issuer';
import { PortcullisSampleStack } from './sample-stack';
import { DEFAULT_STACK_NAME } from './stack-outputs';

const app = new App();
const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };

/** A boolean context value: `-c name=false` arrives as the string "false". */
function booleanContext(name: string, fallback: boolean): boolean {
  const value: unknown = app.node.tryGetContext(name);
  if (value === undefined) return fallback;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new Error(`-c ${name} must be true or false, got ${JSON.stringify(value)}`);
}

new PortcullisSampleStack(app, DEFAULT_STACK_NAME, {
  env,
  apiGatewayCloudWatchRole: booleanContext('apiGatewayCloudWatchRole', true),
});

const existingRestApiId = app.node.tryGetContext('existingRestApiId') as string | undefined;
if (existingRestApiId !== undefined) {
  const manifestFile = app.node.tryGetContext('routeManifest') as string | undefined;
  if (manifestFile === undefined) throw new Error('existingRestApiId needs -c routeManifest=<file.json> (the routes to protect)');
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as RouteManifest;
  compileManifest(manifest, `routeManifest (${manifestFile})`);
  const issuersFile = app.node.tryGetContext('jwtIssuers') as string | undefined;
  const issuers = issuersFile === undefined
    ? []
    : (JSON.parse(readFileSync(issuersFile, 'utf8')) as Record<string, unknown>[]).map((entry) => JwtIssuer.fromSetting(entry));
  new PortcullisExistingApiStack(app, 'PortcullisExistingApi', {
    env,
    restApiId: existingRestApiId,
    stageName: app.node.tryGetContext('existingStageName') as string | undefined,
    routes: manifest.routes,
    authorizer: { issuers },
  });
}

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
