import { Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { gatewayResponseBodyJson, gatewayResponses } from '../../infra/gateway-responses';
import { SAMPLE_AUDIENCE, SAMPLE_DEFAULT_PLAN, SAMPLE_KEY_PREFIX, SAMPLE_PUBLIC_ROUTES, SAMPLE_ROUTE_MANIFEST, SAMPLE_SCOPES } from '../../infra/sample-api';
import { COGNITO_OUTPUTS, DEFAULT_CALLBACK_URLS, PortcullisSampleStack, resolveCallbackUrls } from '../../infra/sample-stack';
import { STACK_OUTPUTS } from '../../infra/stack-outputs';
import { USAGE_TIERS } from '../../infra/usage-tiers';
import { authorizerEnvironment, configFileFromAsset, loadDeployedConfig, manifestFromAsset, methodsByRoute, unbundledApp } from './support';

/** What CloudFormation resolves CONFIG_VALUES to: the pool id, then the app client id (the file's references). */
const DEPLOYED = { CONFIG_VALUES: JSON.stringify(['eu-west-1_Sample123', 'client123', 'userclient456']) };

describe('Class: PortcullisSampleStack', () => {
  let stack: PortcullisSampleStack;
  let template: Template;
  beforeAll(() => {
    stack = new PortcullisSampleStack(unbundledApp(), 'Sample');
    template = Template.fromStack(stack);
  });

  describe('routes', () => {
    it('puts every manifest route behind the authorizer, metered routes requiring the authorizer-supplied key', () => {
      const methods = methodsByRoute(template);
      for (const route of SAMPLE_ROUTE_MANIFEST.routes) {
        expect(methods.get(`${route.method} ${route.path}`), `${route.method} ${route.path}`).toMatchObject({
          AuthorizationType: 'CUSTOM',
          AuthorizerId: stack.resolve(stack.authorizer.authorizerId),
          ApiKeyRequired: route.metered === true,
        });
      }
    });

    it('serves GET /health without the authorizer', () => {
      const methods = methodsByRoute(template);
      for (const route of SAMPLE_PUBLIC_ROUTES) {
        expect(methods.get(`${route.method} ${route.path}`)).toMatchObject({ AuthorizationType: 'NONE' });
        expect(methods.get(`${route.method} ${route.path}`)).not.toHaveProperty('AuthorizerId');
      }
    });

    it('never authorizes OPTIONS (CORS preflight on every resource)', () => {
      const options = [...methodsByRoute(template)].filter(([route]) => route.startsWith('OPTIONS '));
      expect(options.map(([route]) => route).sort()).toEqual(['OPTIONS /', 'OPTIONS /health', 'OPTIONS /items', 'OPTIONS /items/{id}', 'OPTIONS /whoami']);
      for (const [, props] of options) expect(props.AuthorizationType).toBe('NONE');
    });

    it('has exactly the routes of the manifest and the public routes (plus preflights)', () => {
      const routes = [...methodsByRoute(template).keys()].filter((route) => !route.startsWith('OPTIONS ')).sort();
      const expected = [...SAMPLE_ROUTE_MANIFEST.routes, ...SAMPLE_PUBLIC_ROUTES].map((r) => `${r.method} ${r.path}`).sort();
      expect(routes).toEqual(expected);
    });
  });

  describe('the manifest the function receives', () => {
    it('is exactly the sample manifest, with Cognito scopes read without their resource-server prefix', () => {
      expect(manifestFromAsset(stack)).toEqual(JSON.parse(JSON.stringify(SAMPLE_ROUTE_MANIFEST)));
      const issuers = configFileFromAsset(stack).JWT_ISSUERS as Array<Record<string, unknown>>;
      expect(issuers).toEqual([
        { cognitoUserPoolId: { $deployValue: 0 }, clientIds: [{ $deployValue: 1 }, { $deployValue: 2 }], tokenUse: 'access', scopePrefix: `${SAMPLE_AUDIENCE}/` },
      ]);
    });

    it('is exactly the sample manifest without Cognito', () => {
      const plainStack = new PortcullisSampleStack(unbundledApp(), 'NoCognito', { cognito: false });
      const plain = Template.fromStack(plainStack);
      expect(manifestFromAsset(plainStack)).toEqual(JSON.parse(JSON.stringify(SAMPLE_ROUTE_MANIFEST)));
      plain.resourceCountIs('AWS::Cognito::UserPool', 0);
      expect(configFileFromAsset(plainStack)).not.toHaveProperty('JWT_ISSUERS');
      expect(authorizerEnvironment(plain)).not.toHaveProperty('CONFIG_VALUES');
    });

    it('is a configuration the function loads (every setting valid)', () => {
      const config = loadDeployedConfig(stack, DEPLOYED);
      expect(config.apiKeyPrefix).toBe(SAMPLE_KEY_PREFIX);
      expect(config.defaultPlan).toBe(SAMPLE_DEFAULT_PLAN);
      expect(config.issuers).toHaveLength(1);
      expect(config.manifest.find('DELETE', '/items/{id}')?.requirement).toEqual([['items:admin']]);
      expect(config.issuers[0]).toMatchObject({ kind: 'cognito', userPoolId: 'eu-west-1_Sample123', clientIds: ['client123', 'userclient456'], scopePrefix: `${SAMPLE_AUDIENCE}/` });
    });
  });

  describe('the API', () => {
    it('takes usage keys from the authorizer only (apiKeySourceType AUTHORIZER)', () => {
      template.hasResourceProperties('AWS::ApiGateway::RestApi', {
        ApiKeySourceType: 'AUTHORIZER',
        EndpointConfiguration: { Types: ['REGIONAL'] },
      });
    });

    it('logs access as JSON without credentials, never data traces, and throttles the stage', () => {
      const stage = Object.values(template.findResources('AWS::ApiGateway::Stage'))[0]!.Properties;
      expect(stage.MethodSettings).toEqual([
        expect.objectContaining({
          HttpMethod: '*',
          ResourcePath: '/*',
          DataTraceEnabled: false,
          LoggingLevel: 'ERROR',
          MetricsEnabled: true,
          ThrottlingRateLimit: 1000,
          ThrottlingBurstLimit: 2000,
        }),
      ]);
      const format = JSON.parse(stage.AccessLogSetting.Format as string) as Record<string, string>;
      expect(format).toMatchObject({
        requestId: '$context.requestId',
        status: '$context.status',
        principalId: '$context.authorizer.principalId',
        authorizerError: '$context.authorizer.error',
        apiKeyId: '$context.identity.apiKeyId',
      });
      expect(JSON.stringify(format).toLowerCase()).not.toContain('authorization');
      // cdk.json's logGroupDestinationArnWithoutWildcard: the log group ARN without its trailing ":*".
      expect(JSON.stringify(stage.AccessLogSetting.DestinationArn)).toMatch(/:log-group:","?\{"Ref":"AccessLogs[0-9A-F]{8}"\}\]\]\}$/);
    });

    it('answers refusals with the shared JSON bodies, CORS headers and RFC 6750 challenges', () => {
      const definitions = gatewayResponses();
      template.resourceCountIs('AWS::ApiGateway::GatewayResponse', definitions.length);
      for (const definition of definitions) {
        template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
          ResponseType: definition.type,
          StatusCode: definition.statusCode === undefined ? Match.absent() : String(definition.statusCode),
          ResponseTemplates: { 'application/json': gatewayResponseBodyJson(definition) },
          ResponseParameters: Object.fromEntries(
            Object.entries(definition.headers).map(([name, value]) => [`gatewayresponse.header.${name}`, `'${value}'`]),
          ),
        });
      }
      template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: 'UNAUTHORIZED',
        StatusCode: '401',
        ResponseParameters: Match.objectLike({
          'gatewayresponse.header.WWW-Authenticate': Match.stringLikeRegexp(`^'Bearer realm="portcullis", error="invalid_token"`),
          'gatewayresponse.header.Access-Control-Allow-Origin': "'*'",
        }),
      });
      template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: 'ACCESS_DENIED',
        StatusCode: '403',
        ResponseParameters: Match.objectLike({
          'gatewayresponse.header.WWW-Authenticate': Match.stringLikeRegexp(`error="insufficient_scope"`),
        }),
      });
      for (const type of ['THROTTLED', 'QUOTA_EXCEEDED']) {
        template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', { ResponseType: type, StatusCode: '429' });
      }
      for (const type of ['AUTHORIZER_FAILURE', 'AUTHORIZER_CONFIGURATION_ERROR']) {
        template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', { ResponseType: type, StatusCode: '500' });
      }
    });
  });

  describe('the account-wide API Gateway CloudWatch role', () => {
    it('is created by default and kept when the stack is destroyed', () => {
      template.hasResource('AWS::IAM::Role', {
        DeletionPolicy: 'Retain',
        Properties: { ManagedPolicyArns: [Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('AmazonAPIGatewayPushToCloudWatchLogs')])] })] },
      });
      template.resourceCountIs('AWS::ApiGateway::Account', 1);
    });

    it('is left out with apiGatewayCloudWatchRole false (-c apiGatewayCloudWatchRole=false)', () => {
      const without = Template.fromStack(new PortcullisSampleStack(unbundledApp(), 'NoRole', { cognito: false, apiGatewayCloudWatchRole: false }));
      without.resourceCountIs('AWS::ApiGateway::Account', 0);
    });
  });

  describe('usage plans', () => {
    it('creates one plan per tier on the stage, and the default plan holds the shared usage key', () => {
      template.resourceCountIs('AWS::ApiGateway::UsagePlan', Object.keys(USAGE_TIERS).length);
      template.resourceCountIs('AWS::ApiGateway::ApiKey', 1);
      template.hasResourceProperties('AWS::ApiGateway::UsagePlanKey', {
        UsagePlanId: { Ref: Match.stringLikeRegexp(`^AuthorizerUsagePlan${SAMPLE_DEFAULT_PLAN}`) },
      });
      expect(authorizerEnvironment(template).DEFAULT_PLAN).toBe(SAMPLE_DEFAULT_PLAN);
    });
  });

  describe('Cognito issuer', () => {
    it('has a resource server with the sample scopes and a client-credentials app client the authorizer trusts', () => {
      template.hasResourceProperties('AWS::Cognito::UserPoolResourceServer', {
        Identifier: SAMPLE_AUDIENCE,
        Scopes: SAMPLE_SCOPES.map((scope) => Match.objectLike({ ScopeName: scope })),
      });
      template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
        GenerateSecret: true,
        AllowedOAuthFlows: ['client_credentials'],
        AllowedOAuthFlowsUserPoolClient: true,
        AllowedOAuthScopes: SAMPLE_SCOPES.map((scope) => ({
          'Fn::Join': ['', [{ Ref: Match.stringLikeRegexp('^UserPoolResourceServer') }, `/${scope}`]],
        })),
      });
      template.resourceCountIs('AWS::Cognito::UserPoolDomain', 1);
      expect(JSON.stringify(authorizerEnvironment(template).CONFIG_VALUES)).toMatch(/Ref.*UserPool.*Ref.*UserPoolSampleClient/);
    });

    it('has a public user app client for code + PKCE (no secret), trusted by the authorizer, its id an output', () => {
      template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
        ClientName: 'portcullis-sample-user-client',
        GenerateSecret: false,
        AllowedOAuthFlows: ['code'],
        AllowedOAuthFlowsUserPoolClient: true,
        CallbackURLs: [...DEFAULT_CALLBACK_URLS],
        SupportedIdentityProviders: ['COGNITO'],
        AllowedOAuthScopes: Match.arrayWith([
          'openid',
          ...SAMPLE_SCOPES.map((scope) => ({ 'Fn::Join': ['', [{ Ref: Match.stringLikeRegexp('^UserPoolResourceServer') }, `/${scope}`]] })),
        ]),
      });
      const clients = template.findResources('AWS::Cognito::UserPoolClient');
      const userClient = Object.entries(clients).find(([, resource]) => resource.Properties.ClientName === 'portcullis-sample-user-client')!;
      expect(userClient[1].Properties.AllowedOAuthFlows).not.toContain('implicit');
      // The issuer's client ids are deploy-time values: the file refers to them, CONFIG_VALUES carries them.
      expect(JSON.stringify(authorizerEnvironment(template).CONFIG_VALUES)).toContain(userClient[0]);
      template.hasOutput(COGNITO_OUTPUTS.userClientId, { Value: { Ref: userClient[0] } });
    });

    it('takes its callback URLs from context -c callbackUrls=https://a,https://b', () => {
      const app = unbundledApp();
      app.node.setContext('callbackUrls', 'https://app.example.com/cb, https://staging.example.com/cb');
      Template.fromStack(new PortcullisSampleStack(app, 'Callbacks')).hasResourceProperties('AWS::Cognito::UserPoolClient', {
        ClientName: 'portcullis-sample-user-client',
        CallbackURLs: ['https://app.example.com/cb', 'https://staging.example.com/cb'],
      });
    });

    it('refuses callback URLs Cognito would refuse, naming the setting', () => {
      expect(() => resolveCallbackUrls(undefined, 'http://app.example.com/cb')).toThrow(/callbackUrls: .* must be https/);
      expect(() => resolveCallbackUrls(undefined, 'https://a.example/cb#x')).toThrow(/callbackUrls/);
      expect(() => resolveCallbackUrls(undefined, ' , ')).toThrow(/callbackUrls must name at least one URL/);
      expect(() => resolveCallbackUrls(undefined, 42)).toThrow(/callbackUrls must be/);
      expect(resolveCallbackUrls(['https://x.example/cb'], 'https://ignored.example/cb')).toEqual(['https://x.example/cb']);
      expect(resolveCallbackUrls(undefined, ['http://localhost:3000/cb'])).toEqual(['http://localhost:3000/cb']);
    });
  });

  describe('outputs', () => {
    it('exports every output the key CLI reads, and the Cognito token endpoint', () => {
      for (const name of [...Object.values(STACK_OUTPUTS), ...Object.values(COGNITO_OUTPUTS)]) template.hasOutput(name, {});
      template.hasOutput(STACK_OUTPUTS.keyPrefix, { Value: SAMPLE_KEY_PREFIX });
      const usagePlanIds = JSON.stringify(template.toJSON().Outputs[STACK_OUTPUTS.usagePlanIds].Value);
      for (const tier of Object.keys(USAGE_TIERS)) expect(usagePlanIds).toMatch(new RegExp(`\\\\"${tier}\\\\":\\\\"".*AuthorizerUsagePlan${tier}`));
    });
  });

  describe('cdk-nag AwsSolutions', () => {
    it('reports no unacknowledged finding', () => {
      const report = new AwsSolutionsChecks(stack).validateScope(stack);
      expect(report.violations).toEqual([]);
      expect(report.success).toBe(true);
    });

    it('every acknowledgement carries a reason', () => {
      const acknowledgements: { id: string; reason: unknown; path: string }[] = [];
      const visit = (node: IConstruct) => {
        for (const entry of node.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)) {
          // One entry per acknowledge() call: { "<prefix>::<rule id>": reason }.
          for (const [id, reason] of Object.entries(entry.data as Record<string, unknown>)) {
            acknowledgements.push({ id, reason, path: node.node.path });
          }
        }
        node.node.children.forEach(visit);
      };
      visit(stack);
      expect(acknowledgements.length).toBeGreaterThan(0);
      for (const ack of acknowledgements) {
        expect(typeof ack.reason, `${ack.id} at ${ack.path}`).toBe('string');
        expect((ack.reason as string).trim().length, `${ack.id} at ${ack.path}`).toBeGreaterThan(20);
      }
    });
  });
});
