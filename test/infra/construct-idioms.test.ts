/**
 * What aws-cdk-lib users expect of the construct: function options, metrics and opt-in alarms per deployment, a grant
 * for the key CLI, deletion protection on the key table, a usage key API Gateway accepts, and no cdk-nag finding on
 * the resources the construct creates.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { PortcullisAuthorizer, type PortcullisAuthorizerProps } from '../../infra/portcullis-authorizer';
import { authorizerEnvironment, newApi, unbundledApp } from './support';

function deployment(props: PortcullisAuthorizerProps = {}, stackName = 'Orders') {
  const stack = new Stack(unbundledApp(), stackName);
  const api = newApi(stack);
  const authorizer = new PortcullisAuthorizer(stack, 'Portcullis', props);
  authorizer.protect(api.root.addResource('orders'), 'GET', undefined, { scopes: ['orders:read'], metered: true });
  authorizer.addApiStage(api.deploymentStage);
  return { stack, api, authorizer };
}

/** Evaluates the intrinsics CloudFormation would, for a value built from the stack id (the test's own oracle). */
function evaluate(value: unknown, stackId: string): unknown {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map((entry) => evaluate(entry, stackId));
  const object = value as Record<string, unknown>;
  if ('Ref' in object && object.Ref === 'AWS::StackId') return stackId;
  if ('Fn::Join' in object) {
    const [separator, parts] = object['Fn::Join'] as [string, unknown];
    return (evaluate(parts, stackId) as unknown[]).flat().join(separator);
  }
  if ('Fn::Split' in object) {
    const [separator, source] = object['Fn::Split'] as [string, unknown];
    return (evaluate(source, stackId) as string).split(separator);
  }
  if ('Fn::Select' in object) {
    const [index, list] = object['Fn::Select'] as [number, unknown];
    return (evaluate(list, stackId) as unknown[])[index];
  }
  throw new Error(`unexpected intrinsic ${JSON.stringify(object)}`);
}

describe('Class: PortcullisAuthorizer (CDK idioms)', () => {
  describe('functionProps', () => {
    it('sets memory, architecture, timeout, log retention, tracing and reserved concurrency', () => {
      const { stack } = deployment({
        functionProps: {
          memorySize: 1024,
          architecture: lambda.Architecture.X86_64,
          timeout: Duration.seconds(5),
          logRetention: logs.RetentionDays.ONE_WEEK,
          tracing: lambda.Tracing.ACTIVE,
          reservedConcurrentExecutions: 50,
        },
      });
      const template = Template.fromStack(stack);
      template.hasResourceProperties('AWS::Lambda::Function', {
        MemorySize: 1024,
        Architectures: ['x86_64'],
        Timeout: 5,
        TracingConfig: { Mode: 'Active' },
        ReservedConcurrentExecutions: 50,
        Environment: { Variables: Match.objectLike({ CONFIG_FILE: Match.anyValue() }) },
      });
      template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
    });

    it('refuses a reserved concurrency of 0 (every request would be throttled)', () => {
      expect(() => deployment({ functionProps: { reservedConcurrentExecutions: 0 } })).toThrow(/^functionProps\.reservedConcurrentExecutions: /);
    });
  });

  describe('metrics', () => {
    it('publish under a namespace and a service name per deployment, so two deployments in one account do not mix', () => {
      const one = authorizerEnvironment(Template.fromStack(deployment({}, 'OrdersA').stack));
      const other = authorizerEnvironment(Template.fromStack(deployment({}, 'OrdersB').stack));
      expect(one.POWERTOOLS_METRICS_NAMESPACE).toBe('Portcullis');
      expect(one.POWERTOOLS_SERVICE_NAME).not.toEqual(other.POWERTOOLS_SERVICE_NAME);
      const named = authorizerEnvironment(Template.fromStack(deployment({ metricsNamespace: 'Acme/Auth', serviceName: 'orders-prod' }).stack));
      expect(named).toMatchObject({ POWERTOOLS_METRICS_NAMESPACE: 'Acme/Auth', POWERTOOLS_SERVICE_NAME: 'orders-prod' });
    });

    it('metricDecisions, metricAuthorizerErrors and metricLatency name what the function and Lambda publish', () => {
      const { authorizer, stack } = deployment({ metricsNamespace: 'Acme/Auth', serviceName: 'orders-prod' });
      expect(authorizer.metricDecisions('deny').expression).toContain(
        `SEARCH('{Acme/Auth,service,decision,reason} MetricName="Decisions" service="orders-prod" decision="deny"'`,
      );
      const faults = authorizer.metricAuthorizerErrors();
      const reasons = Object.values(faults.usingMetrics).map((m) => (m as unknown as { dimensions: Record<string, string> }).dimensions);
      expect(reasons).toEqual(
        ['key_store_unavailable', 'jwks_unavailable', 'introspection_unavailable', 'internal_error'].map((reason) => ({ service: 'orders-prod', decision: 'error', reason })),
      );
      const latency = authorizer.metricLatency();
      expect(latency).toMatchObject({ namespace: 'AWS/Lambda', metricName: 'Duration', statistic: 'p99' });
      expect(stack.resolve(latency.dimensions)).toEqual({ FunctionName: { Ref: expect.stringMatching(/^PortcullisFunction/) } });
    });

    it('opt-in alarms: authorizer faults, the API 5xx and key table throttles', () => {
      const { stack, authorizer } = deployment();
      const template0 = Template.fromStack(deployment().stack);
      template0.resourceCountIs('AWS::CloudWatch::Alarm', 0);
      const alarms = authorizer.addAlarms({ serverErrorThreshold: 10 });
      expect(alarms.serverErrors).toHaveLength(1);
      expect(alarms.keyTableThrottles).toBeDefined();
      const template = Template.fromStack(stack);
      template.resourceCountIs('AWS::CloudWatch::Alarm', 3);
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: '5XXError', Namespace: 'AWS/ApiGateway', Threshold: 10 });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Threshold: 1,
        Metrics: Match.arrayWith([Match.objectLike({ Expression: 'FILL(fault0, 0) + FILL(fault1, 0) + FILL(fault2, 0) + FILL(fault3, 0)' })]),
      });
    });
  });

  describe('Method: grantKeyAdministration', () => {
    it('grants the key CLI the key table, the usage keys of its plans, the cache flush and the stack outputs', () => {
      const { stack, authorizer } = deployment();
      const operator = new iam.Role(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() });
      authorizer.grantKeyAdministration(operator);
      const statements = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy', {
        Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^Operator') }] },
      }))[0]!.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[];
      const actions = statements.flatMap((s) => s.Action);
      for (const action of ['dynamodb:PutItem', 'dynamodb:Query', 'apigateway:POST', 'apigateway:PATCH', 'apigateway:DELETE', 'cloudformation:DescribeStacks']) {
        expect(actions).toContain(action);
      }
      const resources = JSON.stringify(statements.map((s) => s.Resource));
      expect(resources).toContain('/usageplans/');
      expect(resources).toContain('/cache/authorizers');
      expect(resources).toMatch(/PortcullisKeyTable[0-9A-F]{8}.*\/index\/\*/);
      expect(actions).not.toContain('dynamodb:*');
    });
  });

  describe('deployable on the first try', () => {
    it('protects the key table from deletion by default', () => {
      Template.fromStack(deployment().stack).hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: true });
      Template.fromStack(deployment({ keyTableProps: { deletionProtection: false } }).stack).hasResourceProperties('AWS::DynamoDB::Table', {
        DeletionProtectionEnabled: false,
      });
    });

    it("the default plan's usage key value is alphanumeric, 20 to 128 characters, as API Gateway documents", () => {
      const { stack } = deployment({ defaultPlan: 'pro' });
      const key = Object.values(Template.fromStack(stack).findResources('AWS::ApiGateway::ApiKey'))[0]!;
      const value = evaluate(key.Properties.Value, 'arn:aws:cloudformation:eu-west-1:123456789012:stack/Orders/1f2e3d4c-5b6a-4798-8a9b-0c1d2e3f4a5b');
      expect(value).toMatch(/^[A-Za-z0-9]{20,128}$/);
    });
  });

  describe('cdk-nag', () => {
    it("reports no finding on the construct's resources, COG4 acknowledged with its reason on each protected method", () => {
      const { stack, api } = deployment({ defaultPlan: 'pro' });
      const report = new AwsSolutionsChecks(stack).validateScope(stack);
      const paths = report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath ?? ''}`));
      expect(paths.filter((path) => path.includes('/Portcullis/') || /\/orders\/GET\//.test(path))).toEqual([]);
      const method = api.methods.find((m) => m.httpMethod === 'GET')!;
      expect(JSON.stringify(method.node.metadata)).toMatch(/AwsSolutions-COG4.*verifies Cognito/);
    });
  });
});

