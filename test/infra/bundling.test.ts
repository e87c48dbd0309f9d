/**
 * The one test that bundles the real authorizer with esbuild from source (the others skip bundling), then runs the
 * bundle with the environment and configuration file the construct gives it: the asset CDK would upload is a working
 * authorizer.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { JwtIssuer, PortcullisAuthorizer } from '../../infra/portcullis-authorizer';
import { authorizerAssetDir, authorizerEnvironment, bundlingApp, configFileFromAsset, newApi } from './support';

describe('authorizer bundle', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'portcullis-cdk-'));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('is a minified esbuild bundle with a source map, the AWS SDK left external, that answers 401 to a bad credential', () => {
    const app = bundlingApp(outdir);
    const stack = new Stack(app, 'Bundled');
    const api = newApi(stack);
    const authorizer = new PortcullisAuthorizer(stack, 'Portcullis', {
      issuers: [JwtIssuer.oidc({ issuer: 'https://login.example.com/', audience: ['orders-api'] })],
      keyTable: dynamodb.Table.fromTableName(stack, 'Keys', 'portcullis-keys'),
    });
    authorizer.protect(api.root.addResource('items'), 'GET', undefined, { scopes: ['items:read'] });
    const template = Template.fromStack(stack);
    app.synth();

    const assetDir = authorizerAssetDir(stack, template);
    const bundlePath = join(assetDir, 'index.js');
    expect(existsSync(bundlePath)).toBe(true);
    expect(existsSync(join(assetDir, 'index.js.map'))).toBe(true);
    const bundle = readFileSync(bundlePath, 'utf8');
    expect(statSync(bundlePath).size).toBeLessThan(300 * 1024);
    expect(bundle.split('\n').length).toBeLessThan(50); // minified
    // Booleans, not toContain: a failure would print the whole bundle.
    // API keys and client bindings ship next to the handler, with the DynamoDB client they require at run time.
    const keyTable = readFileSync(join(assetDir, 'key-table.js'), 'utf8');
    expect(existsSync(join(assetDir, 'key-table.js.map'))).toBe(true);
    expect(keyTable.includes('@aws-sdk/client-dynamodb'), 'the SDK is required at run time').toBe(true);
    expect(bundle.includes('@aws-sdk/client-dynamodb'), 'the SDK is required by the key table file only').toBe(false);
    expect(keyTable.includes('@smithy/') || bundle.includes('@smithy/'), 'the SDK is not bundled').toBe(false);
    expect(bundle.includes('JWT string does not consist of exactly 3 parts'), 'aws-jwt-verify is bundled').toBe(true);

    const env = authorizerEnvironment(template) as Record<string, string>;
    for (const value of Object.values(env)) expect(typeof value).toBe('string'); // every setting literal here
    expect(existsSync(join(assetDir, env.CONFIG_FILE!)), 'the configuration file ships next to the bundle').toBe(true);
    const event = JSON.parse(readFileSync(join(__dirname, '../fixtures/apigateway-events/rest-authorizer-request.json'), 'utf8'));
    expect(existsSync(join(assetDir, 'extensions.js')), 'the optional features ship next to the handler').toBe(true);
    expect(existsSync(join(assetDir, 'extensions.js.map'))).toBe(true);
    // Provider presets are optional features: their text is in extensions.js only.
    expect(bundle.includes('/protocol/openid-connect/certs'), 'presets are not in the file loaded at cold start').toBe(false);
    expect(readFileSync(join(assetDir, 'extensions.js'), 'utf8').includes('/protocol/openid-connect/certs')).toBe(true);
    const run = (authorization: string) => runBundle(bundlePath, env, event, authorization);
    expect(run('Bearer not-a-jwt')).toMatch(/^ERROR Unauthorized$/m);
    expect(run('Bearer not-a-jwt'), 'a deployment using no optional feature never loads them').toMatch(/^EXTENSIONS LOADED false$/m);
    expect(run('Bearer not-a-jwt'), 'a deployment with a key table loads its features at cold start').toMatch(/^KEY TABLE LOADED true$/m);
    const { KEY_TABLE_NAME: _table, ...jwtOnly } = env;
    expect(runBundle(bundlePath, jwtOnly, event, 'Bearer not-a-jwt'), 'a JWT-only deployment never loads them').toMatch(/^KEY TABLE LOADED false$/m);
    expect(runBundle(bundlePath, jwtOnly, event, `ApiKey ptc_live_${'A'.repeat(38)}`), 'an API key without a key table is refused').toMatch(/^ERROR Unauthorized$/m);
    // Well-formed prefix, wrong checksum: refused before any DynamoDB call.
    expect(run(`ApiKey ptc_live_${'A'.repeat(38)}`)).toMatch(/^ERROR Unauthorized$/m);
  });

  it('loads the optional features from the file beside the handler when an issuer uses them, and refuses bad ones naming the setting', () => {
    const app = bundlingApp(outdir);
    const stack = new Stack(app, 'BundledPresets');
    const api = newApi(stack);
    const authorizer = new PortcullisAuthorizer(stack, 'Portcullis', {
      issuers: [JwtIssuer.fromSetting({ issuer: 'https://sso.example.com/realms/orders', audience: 'orders-api', provider: 'keycloak' })],
    });
    authorizer.protect(api.root.addResource('items'), 'GET', undefined, { scopes: ['items:read'] });
    const template = Template.fromStack(stack);
    app.synth();

    const assetDir = authorizerAssetDir(stack, template);
    const env = authorizerEnvironment(template) as Record<string, string>;
    const event = JSON.parse(readFileSync(join(__dirname, '../fixtures/apigateway-events/rest-authorizer-request.json'), 'utf8'));
    const output = runBundle(join(assetDir, 'index.js'), env, event, 'Bearer not-a-jwt');
    expect(output).toMatch(/^ERROR Unauthorized$/m);
    expect(output).toMatch(/^EXTENSIONS LOADED true$/m);

    // A bad optional setting fails the cold start naming it, from the extensions file's own copy of the error class.
    const badIssuers = JSON.stringify([{ issuer: 'https://sso.example.com/realms/orders', audience: 'orders-api', provider: 'keycloak', scopeClaims: [{ claim: 'roles', color: 'red' }] }]);
    const { CONFIG_FILE: _file, ...withoutFile } = env;
    const routes = JSON.stringify(configFileFromAsset(stack, template).ROUTE_MANIFEST);
    const bad = runBundle(join(assetDir, 'index.js'), { ...withoutFile, ROUTE_MANIFEST: routes, JWT_ISSUERS: badIssuers }, event, 'Bearer not-a-jwt');
    expect(bad).toMatch(/^LOAD FAILED ConfigurationError JWT_ISSUERS: \[0\]\.scopeClaims\[0\] has unknown field\(s\): color$/m);
  });
});

/** Loads the bundle in a fresh node with the function's environment and calls it once; prints what happened. */
function runBundle(bundlePath: string, env: Record<string, string>, event: { headers: Record<string, string> }, authorization: string): string {
  const script = `
    let handler;
    try {
      handler = require(${JSON.stringify(bundlePath)}).handler;
    } catch (error) {
      console.log('LOAD FAILED ' + error.name + ' ' + error.message);
      process.exit(0);
    }
    const loaded = (name = '/extensions.js') => Object.keys(require.cache).some((file) => file.endsWith(name));
    const report = () => { console.log('EXTENSIONS LOADED ' + loaded()); console.log('KEY TABLE LOADED ' + loaded('/key-table.js')); };
    const event = JSON.parse(process.env.TEST_EVENT);
    handler(event).then(
      (result) => { console.log('RESULT ' + JSON.stringify(result)); report(); },
      (error) => { console.log('ERROR ' + error.message); report(); },
    );`;
  return execFileSync(process.execPath, ['-e', script], {
    env: {
      ...process.env,
      ...env,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
      TEST_EVENT: JSON.stringify({ ...event, headers: { ...event.headers, Authorization: authorization }, multiValueHeaders: {} }),
    },
    encoding: 'utf8',
    timeout: 20_000,
  });
}
