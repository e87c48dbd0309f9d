/**
 * Settings resolution as a pure function: the props' defaults and rules, checked without a stack or a synth.
 */
import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { resolveAuthorizerSettings } from '../../infra/authorizer-settings';
import { JwtIssuer } from '../../infra/jwt-issuer';

describe('Function: resolveAuthorizerSettings', () => {
  it('applies the documented defaults', () => {
    const settings = resolveAuthorizerSettings();
    expect(settings).toMatchObject({
      apiKeys: true,
      keyPrefix: 'ptc_live_',
      resultsCacheTtlSeconds: 60,
      identitySources: ['method.request.header.Authorization'],
      metricsNamespace: 'Portcullis',
      serviceName: undefined,
      function: {
        memorySize: 512,
        timeoutSeconds: 10,
        architecture: lambda.Architecture.ARM_64,
        logRetention: logs.RetentionDays.ONE_MONTH,
        tracing: undefined,
        reservedConcurrentExecutions: undefined,
      },
    });
    expect(Object.keys(settings.plans)).toEqual(['free', 'pro']);
    expect(settings.environment).toEqual({
      API_KEY_PREFIX: 'ptc_live_',
      KEY_CACHE_TTL: '30',
      KEY_NEGATIVE_CACHE_TTL: '5',
      VERIFIED_TOKEN_CACHE_TTL: '60',
      CLOCK_SKEW: '30',
      POWERTOOLS_METRICS_NAMESPACE: 'Portcullis',
    });
  });

  it('turns durations into whole seconds and carries extra settings through', () => {
    const settings = resolveAuthorizerSettings({
      keyCacheTtl: Duration.minutes(2),
      clockSkew: Duration.seconds(5),
      defaultPlan: 'free',
      serviceName: 'orders-prod',
      environment: { LAST_USED_INTERVAL: '600' },
      issuers: [JwtIssuer.oidc({ issuer: 'https://login.example.com/', audience: null })],
    });
    expect(settings.environment).toMatchObject({
      KEY_CACHE_TTL: '120',
      CLOCK_SKEW: '5',
      DEFAULT_PLAN: 'free',
      POWERTOOLS_SERVICE_NAME: 'orders-prod',
      LAST_USED_INTERVAL: '600',
    });
    expect(settings.issuers).toHaveLength(1);
  });

  it.each([
    [{ metricsNamespace: 'AWS/Lambda' }, /^metricsNamespace: .*"AWS\/Lambda"/],
    [{ serviceName: 'has space' }, /^serviceName: /],
    [{ environment: { CONFIG_FILE: 'x.json' } }, /^environment: CONFIG_FILE is set by the construct/],
    [{ environment: { POWERTOOLS_SERVICE_NAME: 'x' } }, /^environment: POWERTOOLS_SERVICE_NAME is set by the construct/],
    [{ functionProps: { memorySize: 100.5 } }, /^functionProps\.memorySize: /],
    [{ functionProps: { timeout: Duration.seconds(30) } }, /^functionProps\.timeout: must be between 1 and 29 seconds, got 30/],
  ])('refuses %o, naming the prop', (props, message) => {
    expect(() => resolveAuthorizerSettings(props)).toThrow(message);
  });
});
