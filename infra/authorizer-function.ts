/**
 * The authorizer function: its least-privilege role, its log group, the function itself, and its code (the handler
 * bundle plus the configuration file, staged once every route is known). Built in the composing construct's scope, so
 * logical ids stay those of the single construct this was split from.
 */
import { Duration, Stack, type CfnResource } from 'aws-cdk-lib/core';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { KEY_TABLE_SCHEMA } from '../lambda/key-table-schema';
import type { RouteManifest } from '../lambda/route-manifest';
import type { FunctionSettings } from './authorizer-settings';
import { DeferredAssetCode, locateHandler, writeFunctionCode } from './function-code';
import {
  buildConfigFile,
  deployValuesBound,
  LAMBDA_ENV_LIMIT_BYTES,
  resolvedEnvironmentBytes,
  TABLE_NAME_MAX_LENGTH,
  type FunctionConfigFile,
} from './function-config';
import type { JwtIssuer } from './jwt-issuer';

/** API Gateway documents usage key values as at most 128 characters. */
const USAGE_KEY_MAX_LENGTH = 128;

export interface AuthorizerFunctionProps {
  readonly settings: FunctionSettings;
  /** Literal settings (see AuthorizerSettings.environment). */
  readonly environment: Readonly<Record<string, string>>;
  readonly serviceName: string;
  readonly keyTable?: dynamodb.ITable;
  readonly defaultUsageKeyValue?: string;
}

export class AuthorizerFunction {
  public readonly function: lambda.Function;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;
  private readonly code = new DeferredAssetCode();
  private readonly envBounds = new Map<string, number>();
  private configFile?: FunctionConfigFile;
  private stagedManifest?: string;

  constructor(private readonly scope: Construct, props: AuthorizerFunctionProps) {
    const { settings } = props;
    this.role = new iam.Role(scope, 'ServiceRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Portcullis authorizer: reads the key table, records last use, writes its logs',
    });
    this.logGroup = new logs.LogGroup(scope, 'LogGroup', { retention: settings.logRetention });
    this.logGroup.grantWrite(this.role);
    if (props.keyTable !== undefined) grantKeyTableAccess(this.role, props.keyTable);

    const environment: Record<string, string> = { ...props.environment, POWERTOOLS_SERVICE_NAME: props.serviceName };
    if (props.keyTable !== undefined) {
      environment.KEY_TABLE_NAME = props.keyTable.tableName;
      this.envBounds.set('KEY_TABLE_NAME', TABLE_NAME_MAX_LENGTH);
    }
    if (props.defaultUsageKeyValue !== undefined) {
      environment.DEFAULT_USAGE_IDENTIFIER_KEY = props.defaultUsageKeyValue;
      this.envBounds.set('DEFAULT_USAGE_IDENTIFIER_KEY', USAGE_KEY_MAX_LENGTH);
    }

    this.function = new lambda.Function(scope, 'Function', {
      description: 'Portcullis API authorizer (JWT and API keys -> scoped IAM policy)',
      code: this.code,
      handler: 'index.handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: settings.architecture,
      memorySize: settings.memorySize,
      timeout: Duration.seconds(settings.timeoutSeconds),
      tracing: settings.tracing,
      reservedConcurrentExecutions: settings.reservedConcurrentExecutions,
      role: this.role,
      logGroup: this.logGroup,
      environment,
    });
  }

  /** The configuration file as staged, once staged. */
  public get stagedConfigFile(): FunctionConfigFile | undefined {
    return this.configFile;
  }

  /**
   * Writes the configuration file for these routes and issuers and stages the code asset. Runs once, before
   * synthesis, when every route is known.
   */
  public stage(manifest: RouteManifest, issuers: readonly JwtIssuer[]): void {
    if (this.code.isStaged) return;
    const file = buildConfigFile(manifest, issuers);
    this.configFile = file;
    this.stagedManifest = JSON.stringify(manifest);
    this.function.addEnvironment('CONFIG_FILE', file.name);
    if (file.deployValues.length > 0) {
      this.function.addEnvironment('CONFIG_VALUES', Stack.of(this.scope).toJsonString(file.deployValues));
      this.envBounds.set('CONFIG_VALUES', deployValuesBound(file.deployValueBounds));
    }
    const handler = locateHandler();
    const bundlingRequired = Stack.of(this.scope).bundlingRequired;
    this.code.stage(
      this.function,
      'Code',
      (dir) => writeFunctionCode(dir, handler, bundlingRequired, [file]),
      this.function.node.defaultChild as CfnResource,
    );
  }

  /** Synth-time checks: the staged file is current, and the environment fits Lambda's 4 KB once resolved. */
  public validate(manifest: RouteManifest): string[] {
    const errors: string[] = [];
    if (this.stagedManifest !== undefined && this.stagedManifest !== JSON.stringify(manifest)) {
      errors.push('routes were added after the function configuration was written (during synthesis): protect routes before synth');
    }
    const cfn = this.function.node.defaultChild as lambda.CfnFunction;
    // The L1 property, resolved: `{ variables }` (CloudFormation's `Variables` once rendered).
    const resolved = Stack.of(this.scope).resolve(cfn.environment) as { variables?: Record<string, unknown> } | undefined;
    const bytes = resolvedEnvironmentBytes(Stack.of(this.scope), resolved?.variables ?? {}, this.envBounds);
    if (bytes > LAMBDA_ENV_LIMIT_BYTES) {
      errors.push(
        `the function's environment takes up to ${bytes} bytes once resolved, over Lambda's limit of ${LAMBDA_ENV_LIMIT_BYTES}: ` +
          'fewer or shorter `environment` settings, or fewer issuers whose ids are only known at deploy time',
      );
    }
    return errors;
  }
}

function grantKeyTableAccess(role: iam.Role, table: dynamodb.ITable): void {
  const { partitionKey } = KEY_TABLE_SCHEMA;
  // Reads: API key records and JWT client bindings, by primary key only (no Query, Scan, batch or write).
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'ReadKeyRecordsAndClientBindings',
      actions: ['dynamodb:GetItem'],
      resources: [table.tableArn],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['key#*', 'client#*'] } },
    }),
  );
  // The one write: `SET lastUsedAt` on an existing API key record (the function's ConditionExpression).
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'RecordKeyLastUse',
      actions: ['dynamodb:UpdateItem'],
      resources: [table.tableArn],
      conditions: {
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['key#*'] },
        'ForAllValues:StringEquals': { 'dynamodb:Attributes': [partitionKey, 'lastUsedAt'] },
        StringEqualsIfExists: { 'dynamodb:ReturnValues': 'NONE' },
      },
    }),
  );
  table.encryptionKey?.grantDecrypt(role);
}
