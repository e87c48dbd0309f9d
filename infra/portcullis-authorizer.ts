/**
 * The Portcullis authorizer construct: the product's public CDK surface.
 *
 * One construct composes the authorizer function (authorizer-function.ts), the API Gateway `REQUEST` authorizer, the key
 * table (created or imported) and one usage plan per tier (usage-plans.ts). Routes are protected with
 * {@link PortcullisAuthorizer.protect}, which adds the method and records the route in the manifest the function
 * reads, so the manifest and the API cannot drift apart. Props are resolved and validated by a pure function
 * (authorizer-settings.ts); checks that need the finished tree run at synthesis.
 */
import { AspectPriority, Aspects, Annotations, type CfnOutput, Duration, Names, Stack, Validations } from 'aws-cdk-lib/core';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct, type IConstruct } from 'constructs';
import { compileManifest, type RouteManifest, type RouteSpec } from '../lambda/route-manifest';
import { addGatewayResponses } from './api-gateway-responses';
import { AuthorizerFunction } from './authorizer-function';
import {
  DecisionMetrics,
  type DecisionOutcome,
  type PortcullisAlarmOptions,
  type PortcullisAlarms,
} from './authorizer-metrics';
import type { ExistingApiOptions, PortcullisAuthorizerProps, ProtectOptions } from './authorizer-props';
import { resolveAuthorizerSettings, type AuthorizerSettings } from './authorizer-settings';
import type { FunctionConfigFile } from './function-config';
import type { GatewayResponseOptions } from './gateway-responses';
import { grantKeyAdministration } from './key-administration';
import { addKeyCliOutputs } from './key-cli-outputs';
import { CacheKeyHook, type ResolvedCacheKey } from './cache-key-hook';
import { grantIssuerSecretReads } from './issuer-options';
import { asProp, fail } from './prop-errors';
import { PortcullisKeyTable } from './portcullis-key-table';
import { createUsagePlans } from './usage-plans';

export { AUTHORIZATION_IDENTITY_SOURCE } from './identity-sources';
export { DEFAULT_AUTHORIZER_MEMORY_MB } from './authorizer-settings';
export { JwtIssuer, type CognitoIssuerOptions, type OidcIssuerOptions } from './jwt-issuer';
export type { ExistingApiOptions, PortcullisAuthorizerProps, PortcullisFunctionOptions, ProtectOptions } from './authorizer-props';

const COG4_REASON =
  'Authorized by the Portcullis Lambda REQUEST authorizer, which verifies Cognito (and other) JWTs itself and also accepts API keys';

/**
 * The Portcullis API authorizer: a Lambda `REQUEST` authorizer that accepts JWTs and hashed API keys and returns
 * scoped IAM policies with a `usageIdentifierKey`, plus its key table and usage plans.
 */
export class PortcullisAuthorizer extends Construct {
  /** The authorizer function. */
  public readonly function: lambda.Function;
  /** The function's role: read the key table, conditionally update `lastUsedAt`, write its own logs. */
  public readonly role: iam.Role;
  /** The key table (created or imported), or undefined when `apiKeys` is false. */
  public readonly keyTable?: dynamodb.ITable;
  /** One usage plan per tier, by tier name. */
  public readonly usagePlans: Readonly<Record<string, apigateway.UsagePlan>>;
  /** The hidden API Gateway key that JWT clients without a binding share (with `defaultPlan`). */
  public readonly defaultUsageKey?: apigateway.ApiKey;
  /** The API key prefix this deployment accepts. */
  public readonly keyPrefix: string;
  /** The CloudWatch namespace of the decision metrics. */
  public readonly metricsNamespace: string;
  /** The `service` dimension of the decision metrics (and `service` field of the decision log). */
  public readonly serviceName: string;

  private readonly settings: AuthorizerSettings;
  private readonly authorizerFunction: AuthorizerFunction;
  private readonly decisionMetrics: DecisionMetrics;
  private readonly routeSpecs: RouteSpec[] = [];
  private readonly stages: apigateway.IStage[] = [];
  private readonly apis: apigateway.IRestApi[] = [];
  private readonly existingApi?: ExistingApiOptions;
  private requestAuthorizer?: apigateway.RequestAuthorizer;
  private existingAuthorizerId?: string;
  private readonly cacheKeyHook: CacheKeyHook;

  constructor(scope: Construct, id: string, props: PortcullisAuthorizerProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    this.settings = resolveAuthorizerSettings(props);
    const settings = this.settings;
    this.keyPrefix = settings.keyPrefix;
    this.existingApi = settings.existingApi;
    this.metricsNamespace = settings.metricsNamespace;
    this.serviceName = settings.serviceName ?? Names.uniqueResourceName(this, { maxLength: 128, separator: '-' });
    this.decisionMetrics = new DecisionMetrics(this.metricsNamespace, this.serviceName);
    this.cacheKeyHook = new CacheKeyHook(props.cacheKey, props.identitySources, settings.resultsCacheTtlSeconds > 0, () => this.manifest);
    for (const route of props.routes ?? []) this.addRoute('routes', route);

    if (settings.apiKeys) {
      this.keyTable = props.keyTable ?? new PortcullisKeyTable(this, 'KeyTable', props.keyTableProps).table;
    }
    const usagePlans = createUsagePlans(this, settings.plans, settings.defaultPlan);
    this.usagePlans = usagePlans.plans;
    this.defaultUsageKey = usagePlans.defaultUsageKey;

    this.authorizerFunction = new AuthorizerFunction(this, {
      settings: settings.function,
      environment: settings.environment,
      serviceName: this.serviceName,
      keyTable: this.keyTable,
      defaultUsageKeyValue: usagePlans.defaultUsageKeyValue,
    });
    this.function = this.authorizerFunction.function;
    this.role = this.authorizerFunction.role;
    grantIssuerSecretReads(this.role, settings.issuers);
    // The cache key is final once every route is known; the function reads it to build policies for that key.
    this.function.addEnvironment('CACHE_KEY_MODE', this.cacheKeyHook.modeToken());

    // The configuration file is written once every route is known: before synthesis, by a mutating aspect.
    Aspects.of(this).add(
      { visit: (node: IConstruct) => (node === this ? this.authorizerFunction.stage(this.manifest, settings.issuers) : undefined) },
      { priority: AspectPriority.MUTATING },
    );

    // ---- the API Gateway authorizer: created by the first protect() (in-app), or now on the existing API
    if (this.existingApi !== undefined) this.createExistingApiAuthorizer(this.existingApi);

    this.node.addValidation({ validate: () => this.validateTree() });
  }

  /** The configuration file the function reads (routes and issuers), once written (at synthesis). */
  public get functionConfigFile(): FunctionConfigFile | undefined {
    return this.authorizerFunction.stagedConfigFile;
  }

  /**
   * The API Gateway authorizer methods are attached to: created by the first `protect()` (so an authorizer attached to
   * no API fails with a clear message); undefined before that and with `existingApi`.
   */
  public get authorizer(): apigateway.RequestAuthorizer | undefined {
    return this.requestAuthorizer;
  }

  /** The API Gateway authorizer id (in-app: available once a route is protected). */
  public get authorizerId(): string {
    const id = this.existingAuthorizerId ?? this.requestAuthorizer?.authorizerId;
    if (id === undefined) fail('authorizerId', 'the authorizer exists once a route is protected: call protect() first');
    return id;
  }

  /** The authorizer result cache key for the routes protected so far, and why (final at synth). */
  public get cacheKey(): ResolvedCacheKey {
    return this.cacheKeyHook.resolve();
  }

  /** The manifest the function receives: every route, Cognito resource-server alternatives included. */
  public get manifest(): RouteManifest {
    return { routes: this.routeSpecs.map((route) => this.renderRoute(route)) };
  }

  /**
   * Adds `httpMethod` on `resource` behind the authorizer, records the route and its required scopes in the manifest,
   * and sets `apiKeyRequired` when the route is metered. OPTIONS (CORS preflight) is never authorized.
   */
  public protect(
    resource: apigateway.IResource,
    httpMethod: string,
    integration?: apigateway.Integration,
    options: ProtectOptions = {},
  ): apigateway.Method {
    if (this.existingApi !== undefined) {
      fail('protect', 'the authorizer was created for an existing API (existingApi): list its routes in the routes prop instead');
    }
    const method = httpMethod.toUpperCase();
    const route: RouteSpec = {
      method: method as RouteSpec['method'],
      path: resource.path,
      ...(options.anyOf !== undefined ? { anyOf: options.anyOf } : { scopes: options.scopes ?? [] }),
      ...(options.metered === true ? { metered: true } : {}),
    };
    if (options.scopes !== undefined && options.anyOf !== undefined) {
      fail('protect', `${method} ${resource.path}: give scopes or anyOf, not both`);
    }
    if (this.apis.length > 0 && this.apis[0] !== resource.api) {
      fail('protect', `${method} ${resource.path}: one authorizer serves one REST API (its policies name that API); create another PortcullisAuthorizer`);
    }
    this.addRoute('protect', route);
    if (!this.apis.includes(resource.api)) this.apis.push(resource.api);
    this.requestAuthorizer ??= new apigateway.RequestAuthorizer(this, 'Authorizer', {
      handler: this.function,
      identitySources: [...this.settings.identitySources],
      resultsCacheTtl: Duration.seconds(this.settings.resultsCacheTtlSeconds),
      authorizerName: this.settings.authorizerName,
    });
    this.cacheKeyHook.attach(this.requestAuthorizer);
    const created = resource.addMethod(method, integration, {
      ...options.methodOptions,
      authorizer: this.requestAuthorizer,
      authorizationType: apigateway.AuthorizationType.CUSTOM,
      apiKeyRequired: options.metered === true,
    });
    // cdk-nag's COG4 asks for a Cognito user pool authorizer on every method; this one verifies Cognito tokens itself.
    Validations.of(created).acknowledge({ id: 'AwsSolutions-COG4', reason: COG4_REASON });
    return created;
  }

  /**
   * Adds the stack outputs through which `portcullis keys --stack NAME` and `portcullis attach --stack NAME` find
   * this deployment (REST API, stage, authorizer, key table, key prefix, usage plans, the scopes the routes require,
   * the cache key). Call it once, after `addApiStage` (the first stage given is output).
   */
  public addStackOutputs(): CfnOutput[] {
    const restApiId = this.existingApi?.restApiId ?? this.apis[0]?.restApiId;
    const stageName = this.existingApi?.stageName ?? this.stages[0]?.stageName;
    return addKeyCliOutputs(this, {
      ...(restApiId !== undefined ? { restApiId } : {}),
      ...(stageName !== undefined ? { stageName } : {}),
      authorizerId: () => this.existingAuthorizerId ?? this.requestAuthorizer?.authorizerId,
      ...(this.keyTable !== undefined ? { keyTable: this.keyTable } : {}),
      keyPrefix: this.keyPrefix,
      usagePlans: this.usagePlans,
      manifest: () => this.manifest,
      cacheKeyMode: () => this.cacheKey.mode,
    });
  }

  /** Attaches every usage plan to a stage, so the plans throttle and count that stage's metered routes. */
  public addApiStage(stage: apigateway.IStage): void {
    this.stages.push(stage);
    for (const plan of Object.values(this.usagePlans)) {
      // UsagePlan only reads `stageName` and `restApi.restApiId`, which every IStage has (imported stages included).
      plan.addApiStage({ stage: stage as apigateway.Stage });
    }
  }

  private addRoute(prop: string, route: RouteSpec): void {
    if (typeof route.method === 'string' && route.method.toUpperCase() === 'OPTIONS') {
      fail(prop, `OPTIONS ${route.path}: CORS preflight is never put behind the authorizer (browsers send no credential)`);
    }
    asProp(prop, () => compileManifest({ routes: [...this.routeSpecs, route] }, prop));
    if (route.metered === true && Object.keys(this.settings.plans).length === 0) {
      fail(prop, `${route.method} ${route.path} is metered, but plans is empty: nothing would admit its callers`);
    }
    const knownScopes = this.settings.knownScopes;
    if (knownScopes !== undefined) {
      const required = route.anyOf?.flat() ?? route.scopes ?? [];
      const unknown = required.filter((scope) => !knownScopes.has(scope));
      if (unknown.length > 0) {
        fail(prop, `${route.method} ${route.path} requires scope(s) not in knownScopes: ${unknown.join(', ')}`);
      }
    }
    this.routeSpecs.push(route);
  }

  private renderRoute(route: RouteSpec): RouteSpec {
    const rendered: { -readonly [K in keyof RouteSpec]: RouteSpec[K] } = { method: route.method, path: route.path };
    if (route.anyOf !== undefined) rendered.anyOf = route.anyOf;
    else rendered.scopes = route.scopes ?? [];
    if (route.metered === true) rendered.metered = true;
    return rendered;
  }


  /**
   * Decisions with this outcome (`allow`, `deny`, `unauthorized` or `error`), every reason summed. A SEARCH expression:
   * for graphs and dashboards (CloudWatch alarms cannot evaluate SEARCH; alarm on {@link metricAuthorizerErrors}).
   * @default period 5 minutes
   */
  public metricDecisions(outcome: DecisionOutcome, props?: cloudwatch.MathExpressionOptions): cloudwatch.MathExpression {
    return this.decisionMetrics.decisions(outcome, props);
  }

  /** Authorizer faults (key table or JWKS unavailable, internal errors), each a 500 to its caller. Alarmable. */
  public metricAuthorizerErrors(props?: cloudwatch.MathExpressionOptions): cloudwatch.MathExpression {
    return this.decisionMetrics.authorizerErrors(props);
  }

  /**
   * The function's run time per invocation (Lambda's `Duration`), p99 by default. A cached decision never invokes it.
   * @default p99 over 5 minutes
   */
  public metricLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.function.metricDuration({ statistic: 'p99', ...props });
  }

  /**
   * Creates the opt-in alarms: authorizer faults, 5xx answers of each protected API of this app, and key table
   * throttles. Call it after the routes are protected.
   */
  public addAlarms(options: PortcullisAlarmOptions = {}): PortcullisAlarms {
    const period = options.period ?? Duration.minutes(5);
    const alarm = (id: string, metric: cloudwatch.IMetric, threshold: number, description: string) => {
      const created = new cloudwatch.Alarm(this, id, {
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      for (const action of options.alarmActions ?? []) created.addAlarmAction(action);
      return created;
    };
    const authorizerErrors = alarm(
      'AuthorizerErrorsAlarm',
      this.metricAuthorizerErrors({ period }),
      options.authorizerErrorThreshold ?? 1,
      `Portcullis ${this.serviceName}: the authorizer could not decide (key table or JWKS unavailable): callers got 500`,
    );
    const serverErrors = this.apis
      .filter((api): api is apigateway.RestApiBase => api instanceof apigateway.RestApiBase)
      .map((api, index) =>
        alarm(
          index === 0 ? 'ServerErrorsAlarm' : `ServerErrorsAlarm${index + 1}`,
          api.metricServerError({ period, statistic: 'Sum' }),
          options.serverErrorThreshold ?? 5,
          `Portcullis ${this.serviceName}: the API answered 5xx`,
        ),
      );
    const keyTableThrottles =
      this.keyTable === undefined
        ? undefined
        : alarm(
            'KeyTableThrottlesAlarm',
            this.keyTable.metricThrottledRequestsForOperations({
              operations: [dynamodb.Operation.GET_ITEM, dynamodb.Operation.UPDATE_ITEM],
              period,
            }),
            options.keyTableThrottleThreshold ?? 1,
            `Portcullis ${this.serviceName}: DynamoDB throttled key table reads or writes`,
          );
    return { authorizerErrors, serverErrors, keyTableThrottles };
  }

  /**
   * Adds Portcullis' gateway responses to `api`: what API Gateway answers when it refuses a request itself (401 with an
   * RFC 6750 challenge, 403, 429, 500), as JSON with a stable `code` and CORS headers.
   */
  public addGatewayResponses(api: apigateway.IRestApi, options?: GatewayResponseOptions): apigateway.GatewayResponse[] {
    return addGatewayResponses(api, options);
  }

  /**
   * Grants what the key CLI (`portcullis keys`) needs on this deployment: the key table, the hidden usage keys and
   * their plans, the authorizer cache flush of the attached stages, and the stack's outputs. Call it after
   * `addApiStage`, so the stages are known.
   */
  public grantKeyAdministration(grantee: iam.IGrantable): iam.Grant {
    return grantKeyAdministration(this, grantee, { keyTable: this.keyTable, usagePlans: this.usagePlans, stages: this.stages });
  }

  private createExistingApiAuthorizer({ restApiId, stageName }: ExistingApiOptions): void {
    const stack = Stack.of(this);
    const authorizer = new apigateway.CfnAuthorizer(this, 'Authorizer', {
      restApiId,
      name: this.settings.authorizerName ?? `${stack.stackName}-portcullis`,
      type: 'REQUEST',
      authorizerUri: stack.formatArn({
        service: 'apigateway',
        account: 'lambda',
        resource: 'path/2015-03-31/functions',
        resourceName: `${this.function.functionArn}/invocations`,
      }),
      identitySource: this.cacheKeyHook.identitySourceToken(),
      authorizerResultTtlInSeconds: this.settings.resultsCacheTtlSeconds,
    });
    this.existingAuthorizerId = authorizer.ref;
    this.function.addPermission('ApiGatewayInvoke', {
      principal: new iam.ServicePrincipal('apigateway.amazonaws.com'),
      sourceArn: stack.formatArn({ service: 'execute-api', resource: restApiId, resourceName: `authorizers/${authorizer.ref}` }),
    });
    if (stageName !== undefined) {
      const restApi = apigateway.RestApi.fromRestApiId(this, 'ExistingApi', restApiId);
      this.addApiStage(apigateway.Stage.fromStageAttributes(this, 'ExistingStage', { restApi, stageName }));
    }
  }

  private validateTree(): string[] {
    const errors: string[] = [...this.cacheKeyHook.report(this)];
    const routes = this.manifest.routes;
    if (this.existingApi === undefined && this.apis.length === 0) {
      errors.push('PortcullisAuthorizer protects no route: call protect() on a REST API, or use existingApi');
    }
    if (routes.some((route) => route.metered) && this.stages.length === 0) {
      errors.push(
        this.existingApi === undefined
          ? 'metered routes are protected but the usage plans are attached to no stage: call addApiStage(api.deploymentStage)'
          : 'metered routes are listed but the usage plans are attached to no stage: set existingApi.stageName',
      );
    }
    for (const api of this.apis) {
      const cfnApi = api.node.defaultChild;
      if (
        routes.some((route) => route.metered) &&
        cfnApi instanceof apigateway.CfnRestApi &&
        cfnApi.apiKeySourceType !== apigateway.ApiKeySourceType.AUTHORIZER
      ) {
        errors.push(
          `metered routes need the API's apiKeySourceType to be AUTHORIZER (the authorizer supplies the usage key; ` +
            `callers never send x-api-key), got ${cfnApi.apiKeySourceType ?? 'HEADER (the default)'}`,
        );
      }
      if (!apigateway.RestApi.isRestApi(api)) continue;
      for (const method of api.methods) {
        const cfnMethod = method.node.defaultChild as apigateway.CfnMethod;
        if (cfnMethod.authorizerId === undefined || cfnMethod.authorizerId !== this.requestAuthorizer?.authorizerId) continue;
        if (method.httpMethod === 'OPTIONS') {
          errors.push(`OPTIONS ${method.resource.path} uses the authorizer: CORS preflight must not be authorized`);
        } else if (!routes.some((route) => route.method === method.httpMethod && route.path === method.resource.path)) {
          errors.push(
            `${method.httpMethod} ${method.resource.path} uses the authorizer but is not in its manifest (the function would ` +
              'deny it): add it with protect()',
          );
        }
      }
      for (const route of routes.filter((r) => r.method === 'ANY')) {
        const hasPreflight = api.methods.some((m) => m.httpMethod === 'OPTIONS' && m.resource.path === route.path);
        if (!hasPreflight) {
          Annotations.of(this).addWarningV2(
            'portcullis:any-without-preflight',
            `ANY ${route.path} is authorized and has no OPTIONS method, so CORS preflights for it hit the authorizer (401): add a CORS preflight`,
          );
        }
      }
    }
    errors.push(...this.authorizerFunction.validate(this.manifest));
    return errors;
  }
}
