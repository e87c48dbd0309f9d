/**
 * Configuration without the 4 KB wall: routes and issuers ship in a file in the function's code, and what stays in the
 * environment is measured at its resolved size (values known only at deploy time at their documented maximum).
 */
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { describe, expect, it } from 'vitest';
import { JwtIssuer, PortcullisAuthorizer } from '../../infra/portcullis-authorizer';
import { authorizerAssetDir, authorizerEnvironment, configFileFromAsset, loadDeployedConfig, newApi, unbundledApp } from './support';

function largeStack(routes: number, issuers: number) {
  const stack = new Stack(unbundledApp(), 'Large');
  const api = newApi(stack);
  const authorizer = new PortcullisAuthorizer(stack, 'Portcullis', {
    issuers: Array.from({ length: issuers }, (_, i) =>
      JwtIssuer.oidc({ issuer: `https://tenant-${i}.login.example.com/`, audience: [`orders-api-${i}`, `billing-api-${i}`] }),
    ),
  });
  for (let i = 0; i < routes; i++) {
    authorizer.protect(api.root.resourceForPath(`/tenants/{tenantId}/resource-number-${i}`), 'GET', undefined, {
      anyOf: [[`resource-${i}:read`], [`resource-${i}:admin`, 'tenants:all']],
    });
  }
  return { stack, authorizer };
}

describe('a large configuration', () => {
  it('200 routes and 20 issuers synthesize, and the function loads every one of them from its code', () => {
    const { stack } = largeStack(200, 20);
    const config = loadDeployedConfig(stack);
    expect(config.manifest.routes).toHaveLength(200);
    expect(config.manifest.find('GET', '/tenants/{tenantId}/resource-number-199')?.requirement).toEqual([
      ['resource-199:read'],
      ['resource-199:admin', 'tenants:all'],
    ]);
    expect(config.issuers).toHaveLength(20);
    expect(config.issuers[19]).toMatchObject({ issuer: 'https://tenant-19.login.example.com/', audience: ['orders-api-19', 'billing-api-19'] });
    // The configuration is far past 4 KB; the environment is not.
    const env = authorizerEnvironment(Template.fromStack(stack));
    expect(JSON.stringify(configFileFromAsset(stack)).length).toBeGreaterThan(20_000);
    expect(JSON.stringify(env).length).toBeLessThan(1024);
  });

  it('names the file after the SHA-256 of its content, so a changed route changes the file and the code asset', async () => {
    const { createHash } = await import('node:crypto');
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const one = largeStack(3, 1).stack;
    const other = largeStack(4, 1).stack;
    const nameOf = (stack: Stack) => authorizerEnvironment(Template.fromStack(stack)).CONFIG_FILE as string;
    const content = readFileSync(join(authorizerAssetDir(one), nameOf(one)));
    expect(nameOf(one)).toBe(`portcullis-config.${createHash('sha256').update(content).digest('hex').slice(0, 16)}.json`);
    expect(nameOf(other)).not.toBe(nameOf(one));
    expect(authorizerAssetDir(other)).not.toBe(authorizerAssetDir(one));
  });

  it('regression: issuers whose ids are deploy-time tokens were measured as 18 bytes, so 40 of them passed synth', () => {
    const stack = new Stack(unbundledApp(), 'ManyPools');
    const api = newApi(stack);
    const issuers = Array.from({ length: 40 }, (_, i) => {
      const pool = new cognito.UserPool(stack, `Pool${i}`);
      return JwtIssuer.cognito({ userPool: pool, appClients: [pool.addClient('Client')] });
    });
    new PortcullisAuthorizer(stack, 'Portcullis', { issuers }).protect(api.root.addResource('a'), 'GET');
    // 40 pool ids (at most 55 characters) and client ids (at most 128) cannot fit in 4 KB once resolved.
    expect(() => Template.fromStack(stack)).toThrow(/environment takes up to \d+ bytes once resolved, over Lambda's limit of 4096/);
  });

  it('a Cognito issuer loads with its deploy-time pool and client ids', () => {
    const stack = new Stack(unbundledApp(), 'OnePool');
    const api = newApi(stack);
    const pool = new cognito.UserPool(stack, 'Pool');
    new PortcullisAuthorizer(stack, 'Portcullis', {
      issuers: [JwtIssuer.cognito({ userPool: pool, appClients: [pool.addClient('Client')] })],
    }).protect(api.root.addResource('a'), 'GET');
    const config = loadDeployedConfig(stack, { CONFIG_VALUES: JSON.stringify(['eu-west-1_AbC123', '1h57kf5cpq17m0eml12EXAMPLE']) });
    expect(config.issuers).toEqual([
      expect.objectContaining({
        kind: 'cognito',
        issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123',
        clientIds: ['1h57kf5cpq17m0eml12EXAMPLE'],
      }),
    ]);
  });
});
