import { Duration, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import { describe, expect, it } from 'vitest';
import { keyTableCreateInput } from '../../local/create-key-table';
import { compileManifest } from '../../lambda/route-manifest';
import { PortcullisExistingApiStack } from '../../infra/existing-api-stack';
import {
  JwtIssuer,
  PortcullisAuthorizer,
  type PortcullisAuthorizerProps,
} from '../../infra/portcullis-authorizer';
import { STACK_OUTPUTS } from '../../infra/stack-outputs';
import { USAGE_TIERS } from '../../infra/usage-tiers';
import { authorizerEnvironment, configFileFromAsset, manifestFromAsset, methodsByRoute, newApi, newStack, unbundledApp } from './support';

const OIDC = JwtIssuer.oidc({ issuer: 'https://login.example.com/', audience: ['orders-api'] });

/** A stack with an API, the authorizer (props merged in) and GET /items (items:read, metered) protected. */
function protectedApi(props: PortcullisAuthorizerProps = {}) {
  const stack = newStack();
  const api = newApi(stack);
  const authorizer = new PortcullisAuthorizer(stack, 'Portcullis', props);
  const items = api.root.addResource('items');
  authorizer.protect(items, 'GET', undefined, { scopes: ['items:read'], metered: true });
  authorizer.addApiStage(api.deploymentStage);
  return { stack, api, authorizer, items };
}

describe('Class: PortcullisAuthorizer', () => {
  describe('the function', () => {
    it('runs lambda/index.ts on the latest Node.js runtime, ARM64, 512 MB, 10 s', () => {
      const { stack } = protectedApi();
      Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
        Handler: 'index.handler',
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        MemorySize: 512,
        Timeout: 10,
      });
    });

    it('receives its settings from the props, the key table name by reference', () => {
      const { stack } = protectedApi({
        keyPrefix: 'acme_test_',
        keyCacheTtl: Duration.seconds(20),
        keyNegativeCacheTtl: Duration.seconds(2),
        verifiedTokenCacheTtl: Duration.seconds(0),
        clockSkew: Duration.seconds(10),
        environment: { LAST_USED_INTERVAL: '600' },
      });
      const env = authorizerEnvironment(Template.fromStack(stack));
      expect(env).toMatchObject({
        API_KEY_PREFIX: 'acme_test_',
        KEY_CACHE_TTL: '20',
        KEY_NEGATIVE_CACHE_TTL: '2',
        VERIFIED_TOKEN_CACHE_TTL: '0',
        CLOCK_SKEW: '10',
        LAST_USED_INTERVAL: '600',
        KEY_TABLE_NAME: { Ref: expect.stringMatching(/^PortcullisKeyTable/) },
      });
      expect(env).not.toHaveProperty('CONFIG_VALUES');
    });

    it('ships generic and Cognito issuers in its configuration file, the pool and client ids as deploy-time values', () => {
      const stack = newStack();
      const pool = new cognito.UserPool(stack, 'Pool');
      const client = pool.addClient('Client');
      const api = newApi(stack);
      const authorizer = new PortcullisAuthorizer(stack, 'Portcullis', {
        issuers: [OIDC, JwtIssuer.cognito({ userPool: pool, appClients: [client] })],
      });
      authorizer.protect(api.root.addResource('a'), 'GET');
      expect(configFileFromAsset(stack).JWT_ISSUERS).toEqual([
        { issuer: 'https://login.example.com/', audience: ['orders-api'] },
        { cognitoUserPoolId: { $deployValue: 0 }, clientIds: [{ $deployValue: 1 }], tokenUse: 'access' },
      ]);
      const values = JSON.stringify(authorizerEnvironment(Template.fromStack(stack)).CONFIG_VALUES);
      expect(values).toMatch(/Ref.*Pool[0-9A-F]{8}.*Ref.*PoolClient/);
    });
  });

  describe('the manifest the function receives', () => {
    it('lists every protected route, including routes added after construction', () => {
      const { stack, api, authorizer } = protectedApi({ routes: [{ method: 'GET', path: '/legacy', scopes: ['x'] }] });
      authorizer.protect(api.root.addResource('whoami'), 'GET');
      authorizer.protect(api.root.resourceForPath('/items/{id}'), 'delete', undefined, { anyOf: [['items:admin'], ['root']] });
      expect(manifestFromAsset(stack).routes).toEqual([
        { method: 'GET', path: '/legacy', scopes: ['x'] },
        { method: 'GET', path: '/items', scopes: ['items:read'], metered: true },
        { method: 'GET', path: '/whoami', scopes: [] },
        { method: 'DELETE', path: '/items/{id}', anyOf: [['items:admin'], ['root']] },
      ]);
    });

    it('is valid for the function (compileManifest accepts it)', () => {
      const { stack } = protectedApi();
      expect(() => compileManifest(manifestFromAsset(stack))).not.toThrow();
    });

    it('tells the function to read Cognito resource-server scopes (<identifier>/<scope>) without the prefix', () => {
      const stack = newStack();
      const pool = new cognito.UserPool(stack, 'Pool');
      const api = newApi(stack);
      const authorizer = new PortcullisAuthorizer(stack, 'Portcullis', {
        issuers: [JwtIssuer.cognito({ userPool: pool, appClients: [pool.addClient('C')], resourceServerIdentifier: 'orders' })],
      });
      authorizer.protect(api.root.addResource('a'), 'GET', undefined, { scopes: ['a:read', 'a:list'] });
      authorizer.protect(api.root.addResource('b'), 'GET');
      expect(manifestFromAsset(stack).routes).toEqual([
        { method: 'GET', path: '/a', scopes: ['a:read', 'a:list'] },
        { method: 'GET', path: '/b', scopes: [] },
      ]);
      expect(configFileFromAsset(stack).JWT_ISSUERS).toEqual([expect.objectContaining({ scopePrefix: 'orders/' })]);
    });
  });

  describe('Method: protect', () => {
    it('adds the method behind the authorizer; metered routes require the authorizer-supplied API key', () => {
      const { stack, api, authorizer } = protectedApi();
      authorizer.protect(api.root.addResource('whoami'), 'GET');
      const methods = methodsByRoute(Template.fromStack(stack));
      const authorizerRef = { Ref: expect.stringMatching(/^PortcullisAuthorizer/) };
      expect(methods.get('GET /items')).toMatchObject({ AuthorizationType: 'CUSTOM', AuthorizerId: authorizerRef, ApiKeyRequired: true });
      expect(methods.get('GET /whoami')).toMatchObject({ AuthorizationType: 'CUSTOM', AuthorizerId: authorizerRef, ApiKeyRequired: false });
    });

    it.each(['OPTIONS', 'options'])('refuses to authorize %s (CORS preflight)', (method) => {
      const { api, authorizer } = protectedApi();
      expect(() => authorizer.protect(api.root, method)).toThrow(/OPTIONS.*CORS preflight/);
    });

    it('never authorizes the CORS preflight methods of the API', () => {
      const stack = newStack();
      const api = newApi(stack, { defaultCorsPreflightOptions: { allowOrigins: ['*'] } });
      const authorizer = new PortcullisAuthorizer(stack, 'Portcullis');
      authorizer.protect(api.root.addResource('items'), 'GET');
      const options = [...methodsByRoute(Template.fromStack(stack))].filter(([route]) => route.startsWith('OPTIONS'));
      expect(options.length).toBeGreaterThan(0);
      for (const [, props] of options) {
        expect(props.AuthorizationType).toBe('NONE');
        expect(props).not.toHaveProperty('AuthorizerId');
      }
    });

    it('refuses a route protected twice', () => {
      const { authorizer, items } = protectedApi();
      expect(() => authorizer.protect(items, 'get', undefined, { scopes: ['items:read'] })).toThrow(/protect: route GET \/items is listed twice/);
    });

    it('refuses a scope outside knownScopes', () => {
      const { api, authorizer } = protectedApi({ knownScopes: ['items:read', 'items:write'] });
      expect(() => authorizer.protect(api.root.addResource('x'), 'POST', undefined, { scopes: ['items:wirte'] })).toThrow(
        /not in knownScopes: items:wirte/,
      );
    });

    it('refuses scopes and anyOf together, and invalid scopes', () => {
      const { api, authorizer } = protectedApi();
      const x = api.root.addResource('x');
      expect(() => authorizer.protect(x, 'GET', undefined, { scopes: ['a'], anyOf: [['b']] })).toThrow(/scopes or anyOf, not both/);
      expect(() => authorizer.protect(x, 'GET', undefined, { scopes: ['has space'] })).toThrow(/protect: .*invalid scope/);
    });

    it('refuses a second REST API (policies name one API)', () => {
      const { stack, authorizer } = protectedApi();
      const other = new apigateway.RestApi(stack, 'Other');
      expect(() => authorizer.protect(other.root.addResource('a'), 'GET')).toThrow(/one authorizer serves one REST API/);
    });

    it('refuses a metered route when there are no plans', () => {
      const stack = newStack();
      const api = newApi(stack);
      const authorizer = new PortcullisAuthorizer(stack, 'Portcullis', { plans: {} });
      expect(() => authorizer.protect(api.root.addResource('a'), 'GET', undefined, { metered: true })).toThrow(/metered, but plans is empty/);
    });
  });

  describe('checks at synthesis', () => {
    it('fails when no route is protected', () => {
      const stack = newStack();
      new PortcullisAuthorizer(stack, 'Portcullis');
      expect(() => Template.fromStack(stack)).toThrow(/protects no route/);
    });

    it('fails when metered routes have no stage to be metered on', () => {
      const stack = newStack();
      const api = newApi(stack);
      new PortcullisAuthorizer(stack, 'Portcullis').protect(api.root.addResource('a'), 'GET', undefined, { metered: true });
      expect(() => Template.fromStack(stack)).toThrow(/attached to no stage: call addApiStage/);
    });

    it('fails when metered routes are on an API whose key source is not AUTHORIZER', () => {
      const stack = newStack();
      const api = new apigateway.RestApi(stack, 'Api');
      const authorizer = new PortcullisAuthorizer(stack, 'Portcullis');
      authorizer.protect(api.root.addResource('a'), 'GET', undefined, { metered: true });
      authorizer.addApiStage(api.deploymentStage);
      expect(() => Template.fromStack(stack)).toThrow(/apiKeySourceType to be AUTHORIZER/);
    });

    it('fails when a method uses the authorizer without being in the manifest', () => {
      const { stack, api, authorizer } = protectedApi();
      api.root.addResource('sneaky').addMethod('GET', undefined, {
        authorizer: authorizer.authorizer,
        authorizationType: apigateway.AuthorizationType.CUSTOM,
      });
      expect(() => Template.fromStack(stack)).toThrow(/GET \/sneaky uses the authorizer but is not in its manifest/);
    });

    it('fails when an OPTIONS method uses the authorizer', () => {
      const { stack, authorizer, items } = protectedApi();
      items.addMethod('OPTIONS', undefined, { authorizer: authorizer.authorizer, authorizationType: apigateway.AuthorizationType.CUSTOM });
      expect(() => Template.fromStack(stack)).toThrow(/OPTIONS \/items uses the authorizer/);
    });

    it('warns when an ANY route has no CORS preflight (preflights would hit the authorizer)', () => {
      const { stack, api, authorizer } = protectedApi();
      authorizer.protect(api.root.addResource('files'), 'ANY');
      Annotations.fromStack(stack).hasWarning('/Test/Portcullis', Match.stringLikeRegexp('ANY /files is authorized and has no OPTIONS method'));
    });

    it("fails when what stays in the function's environment would pass Lambda's 4 KB once resolved", () => {
      const { stack } = protectedApi({ environment: { MAX_TOKEN_LIFETIME: '3600', PADDING: 'x'.repeat(4000) } });
      expect(() => Template.fromStack(stack)).toThrow(/environment takes up to \d+ bytes once resolved, over Lambda's limit of 4096/);
    });
  });

  describe('prop validation', () => {
    const table = (stack: Stack) => dynamodb.Table.fromTableName(stack, 'Imported', 'keys');
    it.each<[string, (stack: Stack) => PortcullisAuthorizerProps, RegExp]>([
      ['keyTable with keyTableProps', (s) => ({ keyTable: table(s), keyTableProps: {} }), /^keyTable: .*not both/],
      ['apiKeys false with a table', (s) => ({ apiKeys: false, issuers: [OIDC], keyTable: table(s) }), /^apiKeys: /],
      ['apiKeys false and no issuer', () => ({ apiKeys: false }), /^issuers: .*at least one JWT issuer/],
      ['a malformed key prefix', () => ({ keyPrefix: 'PTC-live' }), /^keyPrefix: .*"PTC-live"/],
      ['a cache TTL over an hour', () => ({ resultsCacheTtl: Duration.seconds(3601) }), /^resultsCacheTtl: .*3601/],
      [
        'caching without the Authorization identity source',
        () => ({ identitySources: [apigateway.IdentitySource.header('X-Api-Key')] }),
        /^identitySources: result caching .*include it/,
      ],
      [
        'caching with an identity source some credentials lack',
        () => ({
          identitySources: [apigateway.IdentitySource.header('Authorization'), apigateway.IdentitySource.queryString('tenant')],
        }),
        /^identitySources: .*method\.request\.querystring\.tenant is not carried by every accepted credential/,
      ],
      ['a fractional key cache TTL', () => ({ keyCacheTtl: Duration.millis(1500) }), /^keyCacheTtl: .*whole number of seconds/],
      ['a negative-cache TTL over an hour', () => ({ keyNegativeCacheTtl: Duration.hours(2) }), /^keyNegativeCacheTtl: /],
      ['a clock skew over 5 minutes', () => ({ clockSkew: Duration.minutes(10) }), /^clockSkew: .*600/],
      ['too little memory', () => ({ functionProps: { memorySize: 64 } }), /^functionProps\.memorySize: .*64/],
      ['a timeout beyond 29 s', () => ({ functionProps: { timeout: Duration.minutes(1) } }), /^functionProps\.timeout: .*60/],
      ['an unknown default plan', () => ({ defaultPlan: 'gold' }), /^defaultPlan: "gold" is not one of the plans \(free, pro\)/],
      [
        'a plan with no rate',
        () => ({ plans: { free: { ...USAGE_TIERS.free, rateLimit: 0 } } }),
        /^plans\.free: rateLimit must be > 0, got 0/,
      ],
      ['a badly named plan', () => ({ plans: { 'Gold Plan': USAGE_TIERS.pro } }), /^plans: plan name "Gold Plan"/],
      ['a managed setting in environment', () => ({ environment: { KEY_TABLE_NAME: 'x' } }), /^environment: KEY_TABLE_NAME is set by the construct/],
      ['an invalid extra setting', () => ({ environment: { LAST_USED_INTERVAL: 'soon' } }), /^environment: LAST_USED_INTERVAL: must be a whole number/],
      [
        'an http issuer',
        () => ({ issuers: [JwtIssuer.oidc({ issuer: 'http://login.example.com/', audience: ['a'] })] }),
        /^issuers: \[0\]\.issuer must use https/,
      ],
      ['an issuer listed twice', () => ({ issuers: [OIDC, OIDC] }), /^issuers: issuer https:\/\/login\.example\.com\/ is listed twice/],
      ['an invalid known scope', () => ({ knownScopes: ['a b'] }), /^knownScopes: "a b"/],
      ['an invalid route', () => ({ routes: [{ method: 'GET', path: 'items' }] }), /^routes: route path must be a string starting with "\/"/],
      ['an OPTIONS route', () => ({ routes: [{ method: 'OPTIONS' as 'GET', path: '/a' }] }), /^routes: OPTIONS \/a: CORS preflight/],
      ['a malformed REST API id', () => ({ existingApi: { restApiId: 'my-api' } }), /^existingApi\.restApiId: .*"my-api"/],
    ])('refuses %s, naming the prop', (_name, props, message) => {
      const stack = newStack();
      expect(() => new PortcullisAuthorizer(stack, 'Portcullis', props(stack))).toThrow(message);
    });

    it('accepts another identity source when result caching is off', () => {
      const stack = newStack();
      const api = newApi(stack);
      const authorizer = new PortcullisAuthorizer(stack, 'Portcullis', {
        resultsCacheTtl: Duration.seconds(0),
        identitySources: [apigateway.IdentitySource.header('Authorization'), apigateway.IdentitySource.queryString('tenant')],
      });
      authorizer.protect(api.root.addResource('a'), 'GET');
      Template.fromStack(stack).hasResourceProperties('AWS::ApiGateway::Authorizer', {
        AuthorizerResultTtlInSeconds: 0,
        IdentitySource: 'method.request.header.Authorization,method.request.querystring.tenant',
      });
    });

    it('refuses a Cognito issuer with no app client unless any client is allowed explicitly', () => {
      const stack = newStack();
      const userPool = new cognito.UserPool(stack, 'Pool');
      expect(() => JwtIssuer.cognito({ userPool })).toThrow(/^appClients: /);
      expect(() => JwtIssuer.cognito({ userPool, allowAnyAppClient: true })).not.toThrow();
      expect(() => JwtIssuer.cognito({ userPool, allowAnyAppClient: true, resourceServerIdentifier: 'a b' })).toThrow(
        /^resourceServerIdentifier: /,
      );
    });
  });

  describe('the API Gateway authorizer', () => {
    it('is a REQUEST authorizer on the Authorization header, caching 60 s by default', () => {
      const { stack } = protectedApi();
      Template.fromStack(stack).hasResourceProperties('AWS::ApiGateway::Authorizer', {
        Type: 'REQUEST',
        IdentitySource: 'method.request.header.Authorization',
        AuthorizerResultTtlInSeconds: 60,
      });
    });

    it('lets only this authorizer of this API invoke the function', () => {
      const { stack } = protectedApi();
      Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Permission', {
        Principal: 'apigateway.amazonaws.com',
        FunctionName: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PortcullisFunction'), 'Arn'] },
        SourceArn: {
          'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('/authorizers/'), { Ref: Match.stringLikeRegexp('^PortcullisAuthorizer') }])],
        },
      });
    });
  });

  describe('the key table', () => {
    it('is on-demand, recoverable, KMS-encrypted, retained, with the TTL attribute and the CLI indexes', () => {
      const { stack } = protectedApi();
      const template = Template.fromStack(stack);
      template.resourceCountIs('AWS::DynamoDB::Table', 1);
      template.hasResource('AWS::DynamoDB::Table', {
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: {
          BillingMode: 'PAY_PER_REQUEST',
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          SSESpecification: { SSEEnabled: true },
          TimeToLiveSpecification: { AttributeName: 'purgeAt', Enabled: true },
        },
      });
    });

    it('has exactly the schema of the CLI table definition (local/create-key-table.ts)', () => {
      const { stack } = protectedApi();
      const table = Object.values(Template.fromStack(stack).findResources('AWS::DynamoDB::Table'))[0]!.Properties;
      const expected = keyTableCreateInput('keys');
      const byName = <T extends { AttributeName?: string; IndexName?: string }>(list: T[]) =>
        [...list].sort((a, b) => String(a.AttributeName ?? a.IndexName).localeCompare(String(b.AttributeName ?? b.IndexName)));
      expect(byName(table.AttributeDefinitions)).toEqual(byName(expected.AttributeDefinitions as never[]));
      expect(table.KeySchema).toEqual(expected.KeySchema);
      expect(byName(table.GlobalSecondaryIndexes)).toEqual(byName(expected.GlobalSecondaryIndexes as never[]));
    });

    it('uses an imported table instead of creating one', () => {
      const stack = newStack();
      const api = newApi(stack);
      const keyTable = dynamodb.Table.fromTableName(stack, 'Keys', 'existing-keys');
      const authorizer = new PortcullisAuthorizer(stack, 'Portcullis', { keyTable });
      authorizer.protect(api.root.addResource('a'), 'GET');
      const template = Template.fromStack(stack);
      template.resourceCountIs('AWS::DynamoDB::Table', 0);
      expect(authorizerEnvironment(template).KEY_TABLE_NAME).toBe('existing-keys');
      expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).toContain(':table/existing-keys');
    });

    it('is absent with apiKeys false, and so are its permissions', () => {
      const stack = newStack();
      const api = newApi(stack);
      new PortcullisAuthorizer(stack, 'Portcullis', { apiKeys: false, issuers: [OIDC] }).protect(api.root.addResource('a'), 'GET');
      const template = Template.fromStack(stack);
      template.resourceCountIs('AWS::DynamoDB::Table', 0);
      expect(authorizerEnvironment(template)).not.toHaveProperty('KEY_TABLE_NAME');
      expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).not.toContain('dynamodb:');
    });
  });

  describe('least privilege', () => {
    it('grants only GetItem on key and client records and the conditional last-used UpdateItem, plus its logs', () => {
      const { stack } = protectedApi();
      const template = Template.fromStack(stack);
      const policies = Object.values(template.findResources('AWS::IAM::Policy', {
        Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^PortcullisServiceRole') }] },
      }));
      expect(policies).toHaveLength(1);
      const tableArn = { 'Fn::GetAtt': [expect.stringMatching(/^PortcullisKeyTable/), 'Arn'] };
      expect(policies[0]!.Properties.PolicyDocument.Statement).toEqual([
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: { 'Fn::GetAtt': [expect.stringMatching(/^PortcullisLogGroup/), 'Arn'] },
        },
        {
          Sid: 'ReadKeyRecordsAndClientBindings',
          Effect: 'Allow',
          Action: 'dynamodb:GetItem',
          Resource: tableArn,
          Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['key#*', 'client#*'] } },
        },
        {
          Sid: 'RecordKeyLastUse',
          Effect: 'Allow',
          Action: 'dynamodb:UpdateItem',
          Resource: tableArn,
          Condition: {
            'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['key#*'] },
            'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['pk', 'lastUsedAt'] },
            StringEqualsIfExists: { 'dynamodb:ReturnValues': 'NONE' },
          },
        },
      ]);
      template.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: Match.objectLike({
          Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })],
        }),
        ManagedPolicyArns: Match.absent(),
      });
    });

    it('may decrypt with the table key when the table uses a customer managed key', () => {
      const stack = newStack();
      const api = newApi(stack);
      const encryptionKey = new kms.Key(stack, 'Key');
      new PortcullisAuthorizer(stack, 'Portcullis', { keyTableProps: { encryptionKey } }).protect(api.root.addResource('a'), 'GET');
      Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Action: 'kms:Decrypt', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] } }),
          ]),
        },
      });
    });
  });

  describe('usage plans', () => {
    it('creates one usage plan per tier with its throttle and quota, attached to the stage', () => {
      const { stack } = protectedApi();
      const template = Template.fromStack(stack);
      template.resourceCountIs('AWS::ApiGateway::UsagePlan', Object.keys(USAGE_TIERS).length);
      for (const tier of Object.values(USAGE_TIERS)) {
        template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
          Throttle: { RateLimit: tier.rateLimit, BurstLimit: tier.burstLimit },
          Quota: { Limit: tier.quota.limit, Period: tier.quota.period },
          ApiStages: [Match.objectLike({ ApiId: { Ref: Match.stringLikeRegexp('^Api') }, Stage: { Ref: Match.stringLikeRegexp('^ApiDeploymentStage') } })],
        });
      }
    });

    it('with defaultPlan, creates the shared hidden usage key on that plan and passes its value to the function', () => {
      const { stack } = protectedApi({ defaultPlan: 'pro' });
      const template = Template.fromStack(stack);
      const keys = Object.values(template.findResources('AWS::ApiGateway::ApiKey'));
      expect(keys).toHaveLength(1);
      const value = keys[0]!.Properties.Value;
      // Derived from the stack's UUID at deploy time: no literal (and nothing secret) in the template.
      expect(typeof value).not.toBe('string');
      expect(JSON.stringify(value)).toContain('AWS::StackId');
      const env = authorizerEnvironment(template);
      expect(env.DEFAULT_USAGE_IDENTIFIER_KEY).toEqual(value);
      expect(env.DEFAULT_PLAN).toBe('pro');
      template.hasResourceProperties('AWS::ApiGateway::UsagePlanKey', {
        KeyType: 'API_KEY',
        UsagePlanId: { Ref: Match.stringLikeRegexp('^PortcullisUsagePlanpro') },
      });
    });

    it('without defaultPlan, creates no API key and sets no default', () => {
      const { stack } = protectedApi();
      const template = Template.fromStack(stack);
      template.resourceCountIs('AWS::ApiGateway::ApiKey', 0);
      expect(authorizerEnvironment(template)).not.toHaveProperty('DEFAULT_USAGE_IDENTIFIER_KEY');
    });
  });

  describe('existing API (not managed by this app)', () => {
    const routes = [
      { method: 'GET' as const, path: '/orders', scopes: ['orders:read'], metered: true },
      { method: 'POST' as const, path: '/orders', scopes: ['orders:write'], metered: true },
    ];

    it('creates the authorizer on the API by id, with an invoke permission for that authorizer only', () => {
      const stack = new PortcullisExistingApiStack(unbundledApp(), 'Existing', {
        restApiId: 'abc123defg',
        stageName: 'prod',
        routes,
      });
      const template = Template.fromStack(stack);
      expect(manifestFromAsset(stack).routes).toEqual(routes);
      template.resourceCountIs('AWS::ApiGateway::RestApi', 0);
      template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
        RestApiId: 'abc123defg',
        Type: 'REQUEST',
        IdentitySource: 'method.request.header.Authorization',
        AuthorizerResultTtlInSeconds: 60,
        AuthorizerUri: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([':lambda:path/2015-03-31/functions/'])] }),
      });
      template.hasResourceProperties('AWS::Lambda::Permission', {
        Principal: 'apigateway.amazonaws.com',
        SourceArn: { 'Fn::Join': ['', Match.arrayWith([':abc123defg/authorizers/', { Ref: Match.stringLikeRegexp('^Authorizer') }])] },
      });
      template.hasResourceProperties('AWS::ApiGateway::UsagePlan', { ApiStages: [{ ApiId: 'abc123defg', Stage: 'prod' }] });
      for (const name of [STACK_OUTPUTS.authorizerId, STACK_OUTPUTS.keyTableName, STACK_OUTPUTS.usagePlanIds, STACK_OUTPUTS.restApiId]) {
        template.hasOutput(name, {});
      }
    });

    it('refuses protect() and requires a stage for metered routes', () => {
      const stack = newStack();
      const authorizer = new PortcullisAuthorizer(stack, 'Portcullis', { routes, existingApi: { restApiId: 'abc123defg' } });
      expect(() => authorizer.protect(new apigateway.RestApi(stack, 'Api').root, 'GET')).toThrow(/^protect: .*existingApi/);
      expect(() => Template.fromStack(stack)).toThrow(/set existingApi\.stageName/);
    });
  });
});
