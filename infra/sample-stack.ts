/**
 * The sample stack that `cdk deploy` ships: a REST API whose routes come from SAMPLE_ROUTE_MANIFEST, protected by the
 * Portcullis authorizer, metered by one usage plan per tier, with an optional Cognito issuer for client-credentials
 * tokens. Outputs are named by STACK_OUTPUTS so the key CLI finds its targets.
 */
import * as path from 'node:path';
import { CfnOutput, Duration, Fn, Lazy, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib/core';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { addGatewayResponses } from './api-gateway-responses';
import { JwtIssuer } from './jwt-issuer';
import { PortcullisAuthorizer } from './portcullis-authorizer';
import {
  SAMPLE_AUDIENCE,
  SAMPLE_DEFAULT_PLAN,
  SAMPLE_KEY_PREFIX,
  SAMPLE_PUBLIC_ROUTES,
  SAMPLE_ROUTE_MANIFEST,
  SAMPLE_SCOPES,
} from './sample-api';
import { STACK_OUTPUTS } from './stack-outputs';

const REPO_ROOT = path.resolve(__dirname, '..');

/** Names of the sample's Cognito outputs (only with `cognito: true`). */
export const COGNITO_OUTPUTS = {
  tokenUrl: 'CognitoTokenUrl',
  clientId: 'CognitoClientId',
  userPoolId: 'CognitoUserPoolId',
  /** The public app client for users: authorization code with PKCE, no secret. */
  userClientId: 'CognitoUserClientId',
  /** The managed login domain: `<url>/oauth2/authorize`, `/oauth2/token`. */
  domainUrl: 'CognitoDomainUrl',
} as const;

/** Where the user app client may send users back to when no `callbackUrls` are given (a local app or CLI). */
export const DEFAULT_CALLBACK_URLS: readonly string[] = ['http://localhost:8400/callback'];

/**
 * The callback URLs of the user app client: the prop, else context `callbackUrls` (`-c callbackUrls=https://a,https://b`
 * or an array in cdk.json), else DEFAULT_CALLBACK_URLS. Cognito takes https, or http only for localhost.
 */
export function resolveCallbackUrls(fromProps: readonly string[] | undefined, fromContext: unknown): string[] {
  let urls: string[];
  if (fromProps !== undefined) urls = [...fromProps];
  else if (fromContext === undefined) urls = [...DEFAULT_CALLBACK_URLS];
  else if (typeof fromContext === 'string') urls = fromContext.split(',').map((url) => url.trim()).filter((url) => url !== '');
  else if (Array.isArray(fromContext) && fromContext.every((url) => typeof url === 'string')) urls = fromContext.map((url: string) => url.trim());
  else throw new Error(`callbackUrls must be a comma-separated list of URLs, got ${JSON.stringify(fromContext)}`);
  if (urls.length === 0) throw new Error('callbackUrls must name at least one URL');
  for (const url of urls) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new Error(`callbackUrls: ${JSON.stringify(url)} is not an absolute URL`);
    }
    const localHttp = parsed.protocol === 'http:' && parsed.hostname === 'localhost';
    if ((parsed.protocol !== 'https:' && !localHttp) || parsed.hash !== '') {
      throw new Error(`callbackUrls: ${JSON.stringify(url)} must be https (or http://localhost) without a fragment`);
    }
  }
  return urls;
}

export interface PortcullisSampleStackProps extends StackProps {
  /**
   * Create a Cognito user pool with a resource server (scopes SAMPLE_SCOPES), a client-credentials app client and a
   * public user app client (authorization code with PKCE), and trust it as an issuer.
   * @default true
   */
  readonly cognito?: boolean;
  /**
   * Callback URLs of the Cognito user app client (authorization code with PKCE).
   * @default - context `callbackUrls` (comma-separated), else `http://localhost:8400/callback`
   */
  readonly callbackUrls?: readonly string[];
  /**
   * Further JWT issuers to trust (your own IdP).
   * @default - none
   */
  readonly issuers?: readonly JwtIssuer[];
  /**
   * The stage name.
   * @default 'v1'
   */
  readonly stageName?: string;
  /**
   * Stage-wide throttling, above every tier's own limits (it protects the account-wide 10,000 rps quota).
   * @default { rateLimit: 1000, burstLimit: 2000 }
   */
  readonly throttle?: apigateway.ThrottleSettings;
  /**
   * The origin allowed by CORS (preflights and refusals).
   * @default '*'
   */
  readonly allowOrigin?: string;
  /**
   * Create the account-wide role API Gateway needs to write logs (`AWS::ApiGateway::Account`). Turn off when the account
   * already has one (`cdk deploy -c apiGatewayCloudWatchRole=false`). The role is account-wide, so it is kept when the
   * stack is destroyed (other APIs of the account may log through it).
   * @default true
   */
  readonly apiGatewayCloudWatchRole?: boolean;
  /**
   * How long API Gateway caches a decision.
   * @default Duration.seconds(60)
   */
  readonly resultsCacheTtl?: Duration;
}

/** The Portcullis sample: `cdk deploy` as is. */
export class PortcullisSampleStack extends Stack {
  public readonly api: apigateway.RestApi;
  public readonly authorizer: PortcullisAuthorizer;
  public readonly backend: NodejsFunction;
  public readonly userPool?: cognito.UserPool;

  constructor(scope: Construct, id: string, props: PortcullisSampleStackProps = {}) {
    super(scope, id, {
      description: 'Portcullis sample: REST API with a JWT / API key Lambda authorizer and usage plans',
      ...props,
    });
    const stageName = props.stageName ?? 'v1';
    const allowOrigin = props.allowOrigin ?? '*';
    const throttle = props.throttle ?? { rateLimit: 1000, burstLimit: 2000 };
    const cloudWatchRole = props.apiGatewayCloudWatchRole ?? true;

    // ---- issuers
    const issuers: JwtIssuer[] = [...(props.issuers ?? [])];
    let cognitoClient: cognito.UserPoolClient | undefined;
    let cognitoDomain: cognito.UserPoolDomain | undefined;
    let cognitoUserClient: cognito.UserPoolClient | undefined;
    if (props.cognito ?? true) {
      this.userPool = new cognito.UserPool(this, 'UserPool', {
        userPoolName: `${this.stackName}-clients`,
        selfSignUpEnabled: false,
        signInAliases: { email: true },
        passwordPolicy: {
          minLength: 14,
          requireLowercase: true,
          requireUppercase: true,
          requireDigits: true,
          requireSymbols: true,
        },
        mfa: cognito.Mfa.REQUIRED,
        mfaSecondFactor: { otp: true, sms: false },
        accountRecovery: cognito.AccountRecovery.NONE,
        featurePlan: cognito.FeaturePlan.ESSENTIALS,
        // The sample pool holds machine clients and admin-created test users; a new deployment creates new ones.
        removalPolicy: RemovalPolicy.DESTROY,
      });
      const resourceServer = this.userPool.addResourceServer('ResourceServer', {
        identifier: SAMPLE_AUDIENCE,
        userPoolResourceServerName: 'Portcullis sample API',
        scopes: SAMPLE_SCOPES.map(
          (scopeName) => new cognito.ResourceServerScope({ scopeName, scopeDescription: `Portcullis sample ${scopeName}` }),
        ),
      });
      // Hosted domain for the /oauth2/token endpoint; prefix from the stack's UUID (globally unique, no naming clash).
      const uuidHead = Fn.select(0, Fn.split('-', Fn.select(2, Fn.split('/', this.stackId))));
      cognitoDomain = this.userPool.addDomain('Domain', {
        cognitoDomain: { domainPrefix: Fn.join('-', ['portcullis', uuidHead]) },
      });
      cognitoClient = this.userPool.addClient('SampleClient', {
        userPoolClientName: 'portcullis-sample-machine-client',
        generateSecret: true,
        authFlows: {},
        oAuth: {
          flows: { clientCredentials: true },
          scopes: SAMPLE_SCOPES.map((scopeName) =>
            cognito.OAuthScope.resourceServer(
              resourceServer,
              new cognito.ResourceServerScope({ scopeName, scopeDescription: `Portcullis sample ${scopeName}` }),
            ),
          ),
        },
        supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
        accessTokenValidity: Duration.minutes(60),
      });
      // Users sign in through the managed login page; a public client (an SPA or CLI) has no secret, so PKCE protects
      // its code (RFC 7636). Refresh tokens are revocable (token revocation is on by default).
      cognitoUserClient = this.userPool.addClient('UserClient', {
        userPoolClientName: 'portcullis-sample-user-client',
        generateSecret: false,
        authFlows: { userSrp: true },
        oAuth: {
          flows: { authorizationCodeGrant: true },
          callbackUrls: resolveCallbackUrls(props.callbackUrls, this.node.tryGetContext('callbackUrls')),
          scopes: [
            cognito.OAuthScope.OPENID,
            cognito.OAuthScope.EMAIL,
            ...SAMPLE_SCOPES.map((scopeName) =>
              cognito.OAuthScope.resourceServer(
                resourceServer,
                new cognito.ResourceServerScope({ scopeName, scopeDescription: `Portcullis sample ${scopeName}` }),
              ),
            ),
          ],
        },
        supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
        preventUserExistenceErrors: true,
        accessTokenValidity: Duration.minutes(60),
        idTokenValidity: Duration.minutes(60),
        refreshTokenValidity: Duration.days(30),
      });
      issuers.push(
        JwtIssuer.cognito({
          userPool: this.userPool,
          appClients: [cognitoClient, cognitoUserClient],
          resourceServerIdentifier: SAMPLE_AUDIENCE,
        }),
      );
    }

    // ---- the API
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: logs.RetentionDays.ONE_MONTH });
    this.api = new apigateway.RestApi(this, 'Api', {
      restApiName: `${this.stackName}-api`,
      description: 'Portcullis sample API',
      endpointTypes: [apigateway.EndpointType.REGIONAL],
      // Usage plans count the key the authorizer returns; a client's x-api-key header is never read.
      apiKeySourceType: apigateway.ApiKeySourceType.AUTHORIZER,
      cloudWatchRole,
      // Account-wide: other APIs of the account may log through it, so it outlives this stack. (Only with the role.)
      cloudWatchRoleRemovalPolicy: cloudWatchRole ? RemovalPolicy.RETAIN : undefined,
      defaultCorsPreflightOptions: {
        allowOrigins: [allowOrigin],
        allowMethods: ['GET', 'POST', 'DELETE'],
        allowHeaders: ['Authorization', 'Content-Type'],
        maxAge: Duration.hours(1),
      },
      deployOptions: {
        stageName,
        throttlingRateLimit: throttle.rateLimit,
        throttlingBurstLimit: throttle.burstLimit,
        metricsEnabled: true,
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        // Data traces log whole requests, Authorization headers included: never.
        dataTraceEnabled: false,
        accessLogDestination: new apigateway.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigateway.AccessLogFormat.custom(
          JSON.stringify({
            requestId: apigateway.AccessLogField.contextRequestId(),
            requestTime: apigateway.AccessLogField.contextRequestTime(),
            sourceIp: apigateway.AccessLogField.contextIdentitySourceIp(),
            httpMethod: apigateway.AccessLogField.contextHttpMethod(),
            resourcePath: apigateway.AccessLogField.contextResourcePath(),
            status: apigateway.AccessLogField.contextStatus(),
            responseLength: apigateway.AccessLogField.contextResponseLength(),
            responseLatency: apigateway.AccessLogField.contextResponseLatency(),
            principalId: apigateway.AccessLogField.contextAuthorizerPrincipalId(),
            authorizerStatus: apigateway.AccessLogField.contextAuthorizerStatus(),
            authorizerLatency: apigateway.AccessLogField.contextAuthorizerLatency(),
            authorizerError: apigateway.AccessLogField.contextAuthorizerError(),
            apiKeyId: apigateway.AccessLogField.contextIdentityApiKeyId(),
            errorType: apigateway.AccessLogField.contextErrorResponseType(),
          }),
        ),
      },
    });
    addGatewayResponses(this.api, { allowOrigin });
    const validator = this.api.addRequestValidator('RequestValidator', {
      validateRequestBody: true,
      validateRequestParameters: true,
    });

    // ---- the backend
    const backendRole = new iam.Role(this, 'BackendRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Portcullis sample backend: writes its logs',
    });
    const backendLogs = new logs.LogGroup(this, 'BackendLogs', { retention: logs.RetentionDays.ONE_MONTH });
    backendLogs.grantWrite(backendRole);
    this.backend = new NodejsFunction(this, 'Backend', {
      description: 'Portcullis sample backend',
      entry: path.join(__dirname, 'sample-backend', 'handler.ts'),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.seconds(5),
      role: backendRole,
      logGroup: backendLogs,
      bundling: { minify: true, format: OutputFormat.CJS, externalModules: ['@aws-sdk/*'] },
    });
    const integration = new apigateway.LambdaIntegration(this.backend);

    // ---- the authorizer and the routes (from the shared manifest, so the API and the manifest cannot drift)
    this.authorizer = new PortcullisAuthorizer(this, 'Authorizer', {
      issuers,
      keyPrefix: SAMPLE_KEY_PREFIX,
      knownScopes: [...SAMPLE_SCOPES],
      defaultPlan: SAMPLE_DEFAULT_PLAN,
      resultsCacheTtl: props.resultsCacheTtl,
    });
    for (const route of SAMPLE_ROUTE_MANIFEST.routes) {
      this.authorizer.protect(this.api.root.resourceForPath(route.path), route.method, integration, {
        ...(route.anyOf !== undefined ? { anyOf: route.anyOf } : { scopes: route.scopes ?? [] }),
        metered: route.metered ?? false,
        methodOptions: { requestValidator: validator },
      });
    }
    for (const route of SAMPLE_PUBLIC_ROUTES) {
      const method = this.api.root.resourceForPath(route.path).addMethod(route.method, integration, {
        authorizationType: apigateway.AuthorizationType.NONE,
        requestValidator: validator,
      });
      Validations.of(method).acknowledge(
        { id: 'AwsSolutions-APIG4', reason: `${route.method} ${route.path} is public by design (health check)` },
        { id: 'AwsSolutions-COG4', reason: `${route.method} ${route.path} is public by design (health check): no authorizer at all` },
      );
    }
    this.authorizer.addApiStage(this.api.deploymentStage);

    // ---- outputs (names shared with the key CLI)
    const output = (name: string, value: string, description: string) => new CfnOutput(this, name, { value, description });
    output(STACK_OUTPUTS.apiUrl, this.api.url, 'Base URL of the sample API stage');
    this.authorizer.addStackOutputs();
    if (this.userPool !== undefined && cognitoClient !== undefined && cognitoDomain !== undefined) {
      output(COGNITO_OUTPUTS.userPoolId, this.userPool.userPoolId, 'Cognito user pool of the sample machine clients');
      output(COGNITO_OUTPUTS.clientId, cognitoClient.userPoolClientId, 'Client-credentials app client id (secret: describe-user-pool-client)');
      output(COGNITO_OUTPUTS.tokenUrl, `${cognitoDomain.baseUrl()}/oauth2/token`, 'OAuth 2.0 token endpoint');
      output(COGNITO_OUTPUTS.domainUrl, cognitoDomain.baseUrl(), 'Managed login domain (/oauth2/authorize, /oauth2/token)');
    }
    if (cognitoUserClient !== undefined) {
      output(COGNITO_OUTPUTS.userClientId, cognitoUserClient.userPoolClientId, 'Public user app client id: authorization code with PKCE, no secret');
    }

    this.acknowledgeNagFindings();
  }

  /** cdk-nag AwsSolutions findings this sample accepts, each with its reason. */
  private acknowledgeNagFindings(): void {
    Validations.of(this.api).acknowledge(
      {
        id: 'AwsSolutions-APIG3',
        reason: 'WAF is left to the adopter (cost, rules depend on the traffic); the authorizer, usage plans and stage throttling bound abuse',
      },
    );
    for (const method of this.api.methods.filter((m) => m.httpMethod === 'OPTIONS')) {
      Validations.of(method).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason: 'CORS preflight (OPTIONS) carries no credential and must not be authorized',
      });
    }
    const cloudWatchRole = this.api.node.tryFindChild('CloudWatchRole');
    if (cloudWatchRole !== undefined) {
      Validations.of(cloudWatchRole).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason: 'The AWS managed policy API Gateway documents for its account-wide logging role',
      });
    }
    if (this.userPool !== undefined) {
      Validations.of(this.userPool).acknowledge({
        id: 'AwsSolutions-COG3',
        reason: 'Threat protection needs the Plus feature plan; the sample pool has no self sign-up, only admin-created test users with MFA required',
      });
      Validations.of(this.userPool).acknowledge({
        id: 'AwsSolutions-COG8',
        reason: 'The Plus feature plan adds user threat protection; the sample pool has no self sign-up, only admin-created test users with MFA required',
      });
    }
  }
}
