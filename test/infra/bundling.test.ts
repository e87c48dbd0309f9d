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
import { authorizerAssetDir, authorizerEnvironment, bundlingApp, newApi } from './support';

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
    expect(bundle.includes('@aws-sdk/client-dynamodb'), 'the SDK is required at run time').toBe(true);
    expect(bundle.includes('@smithy/'), 'the SDK is not bundled').toBe(false);
    expect(bundle.includes('JWT string does not consist of exactly 3 parts'), 'aws-jwt-verify is bundled').toBe(true);

    const env = authorizerEnvironment(template) as Record<string, string>;
    for (const value of Object.values(env)) expect(typeof value).toBe('string'); // every setting literal here
    expect(existsSync(join(assetDir, env.CONFIG_FILE!)), 'the configuration file ships next to the bundle').toBe(true);
    const event = JSON.parse(readFileSync(join(__dirname, '../fixtures/apigateway-events/rest-authorizer-request.json'), 'utf8'));
    const script = `
      const { handler } = require(${JSON.stringify(bundlePath)});
      const event = JSON.parse(process.env.TEST_EVENT);
      handler(event).then(
        (result) => { console.log('RESULT ' + JSON.stringify(result)); },
        (error) => { console.log('ERROR ' + error.message); },
      );`;
    const run = (authorization: string) =>
      execFileSync(process.execPath, ['-e', script], {
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
    expect(run('Bearer not-a-jwt')).toMatch(/^ERROR Unauthorized$/m);
    // Well-formed prefix, wrong checksum: refused before any DynamoDB call.
    expect(run(`ApiKey ptc_live_${'A'.repeat(38)}`)).toMatch(/^ERROR Unauthorized$/m);
  });
});
