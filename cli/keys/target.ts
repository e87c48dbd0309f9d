/**
 * Where the keys live: a deployed stack (its CloudFormation outputs name the table, usage plans and stage; flags
 * override them or replace the lookup) or the local mode's store (`--local`).
 */
import { APIGatewayClient, type APIGatewayClientConfig } from '@aws-sdk/client-api-gateway';
import { CloudFormationClient, DescribeStacksCommand, type CloudFormationClientConfig } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { KEY_PREFIX_PATTERN } from '../../lambda/api-key-format';
import { SAMPLE_KEY_PREFIX, SAMPLE_ROUTE_MANIFEST } from '../../infra/sample-api';
import { DEFAULT_STACK_NAME, STACK_OUTPUTS } from '../../infra/stack-outputs';
import { isTierName, TIER_NAMES, type TierName } from '../../infra/usage-tiers';
import { LOCAL_USAGE_KEY_TABLE, LocalUsageKeyRegistry } from '../../local/usage-key-registry';
import {
  LOCAL_KEY_PREFIX,
  LOCAL_KEY_TABLE_NAME,
  LocalTargetError,
  localDynamoDbClientConfig,
  localGatewayUrl,
  localIssuerUrl,
} from '../local-target';
import { DEFAULT_TIMEOUT_SECONDS, requestHandlerOptions, withDeadline } from './deadline';
import { InputError, describeAwsFailure, sdkErrorName } from './errors';
import { KNOWN_ISSUERS_OUTPUT, KNOWN_SCOPES_OUTPUT, manifestScopes, stringListOutput, type KnownNames } from './known-names';
import { ApiGatewayUsageKeys, LocalUsageKeys, type UsageKeyProvider } from './usage-keys';
import { validatePlan } from './validation';

export interface TargetFlags {
  readonly local?: boolean;
  readonly stack?: string;
  readonly region?: string;
  readonly profile?: string;
  readonly table?: string;
  /** `ID` (for the command's --plan) or `tier=ID`, repeatable. */
  readonly usagePlanIds?: readonly string[];
  readonly restApiId?: string;
  readonly stage?: string;
  readonly keyPrefix?: string;
  /** The deadline of each call, retries included. @default DEFAULT_TIMEOUT_SECONDS */
  readonly timeoutSeconds?: number;
}

/** How clients are made: the SDK by default; tests pass their own (e.g. pointed at dynalite). */
export interface ClientFactories {
  dynamodb(config: DynamoDBClientConfig): DynamoDBClient;
  apiGateway(config: APIGatewayClientConfig): APIGatewayClient;
  cloudFormation(config: CloudFormationClientConfig): CloudFormationClient;
}

export const SDK_CLIENTS: ClientFactories = {
  dynamodb: (config) => new DynamoDBClient(config),
  apiGateway: (config) => new APIGatewayClient(config),
  cloudFormation: (config) => new CloudFormationClient(config),
};

export interface Target {
  readonly kind: 'aws' | 'local';
  /** For messages: "stack PortcullisSample (table ...)" or "the local store at http://127.0.0.1:8000". */
  readonly description: string;
  readonly tableName: string;
  readonly keyPrefix: string;
  readonly dynamodb: DynamoDBClient;
  readonly usageKeys: UsageKeyProvider;
  /** See KeyManagerOptions.revokeRecheckMs: DynamoDB's index is eventually consistent, the local one is not. */
  readonly revokeRecheckMs: number;
  readonly where: string;
  /** The scopes and issuers the target accepts, where known (known-names.ts). */
  readonly known: KnownNames;
  close(): void;
}

export interface ResolveOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly clients?: ClientFactories;
  /** The plan the command works with: a bare `--usage-plan-id ID` is that plan's usage plan. */
  readonly plan?: TierName;
}

const AWS_ONLY_FLAGS: ReadonlyArray<[keyof TargetFlags, string]> = [
  ['stack', '--stack'],
  ['region', '--region'],
  ['profile', '--profile'],
  ['table', '--table'],
  ['usagePlanIds', '--usage-plan-id'],
  ['restApiId', '--rest-api-id'],
  ['stage', '--stage'],
  ['keyPrefix', '--key-prefix'],
];

export async function resolveTarget(flags: TargetFlags, options: ResolveOptions): Promise<Target> {
  const clients = options.clients ?? SDK_CLIENTS;
  if (flags.local) {
    const conflicting = AWS_ONLY_FLAGS.filter(([name]) => flags[name] !== undefined).map(([, flag]) => flag);
    if (conflicting.length > 0) {
      throw new InputError('usage', `--local cannot be combined with ${conflicting.join(', ')}`);
    }
    return localTarget(options.env, clients, timeoutMs(flags));
  }
  return awsTarget(flags, options, clients);
}

function timeoutMs(flags: TargetFlags): number {
  return (flags.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000;
}

function localTarget(env: ResolveOptions['env'], clients: ClientFactories, deadlineMs: number): Target {
  let config: ReturnType<typeof localDynamoDbClientConfig>;
  let gatewayUrl: string;
  let issuerUrl: string;
  try {
    config = localDynamoDbClientConfig(env);
    gatewayUrl = localGatewayUrl(env);
    issuerUrl = localIssuerUrl(env);
  } catch (error) {
    if (error instanceof LocalTargetError) throw new InputError('missing_target', error.message);
    throw error;
  }
  const where = `the local store at ${config.endpoint} (is "npm start" running?)`;
  const dynamodb = withDeadline(
    clients.dynamodb({ ...config, maxAttempts: 1, requestHandler: requestHandlerOptions(deadlineMs) }),
    deadlineMs,
    'local store',
  );
  return {
    kind: 'local',
    description: `the local store at ${config.endpoint}`,
    tableName: LOCAL_KEY_TABLE_NAME,
    keyPrefix: LOCAL_KEY_PREFIX,
    dynamodb,
    usageKeys: new LocalUsageKeys(new LocalUsageKeyRegistry(dynamodb, LOCAL_USAGE_KEY_TABLE), {
      dynamodb,
      tableName: LOCAL_USAGE_KEY_TABLE,
      where,
      gatewayUrl,
    }),
    revokeRecheckMs: 0,
    where,
    // The local mode serves the sample API's routes and trusts its own issuer only (local/mode.ts).
    known: { scopes: manifestScopes(SAMPLE_ROUTE_MANIFEST), issuers: [issuerUrl], source: 'the local mode' },
    close: () => dynamodb.destroy(),
  };
}

/** The named stack's outputs, or an InputError when the stack does not exist. */
export async function readStackOutputs(client: CloudFormationClient, stackName: string): Promise<Record<string, string>> {
  let stacks;
  try {
    ({ Stacks: stacks } = await client.send(new DescribeStacksCommand({ StackName: stackName })));
  } catch (error) {
    if (sdkErrorName(error) === 'ValidationError' && /does not exist/i.test((error as Error).message)) {
      throw new InputError(
        'missing_target',
        `stack ${stackName} not found: deploy it, name another with --stack, give --table (and --usage-plan-id), or use --local`,
      );
    }
    throw describeAwsFailure(`CloudFormation DescribeStacks (${stackName})`, error);
  }
  const outputs: Record<string, string> = {};
  for (const output of stacks?.[0]?.Outputs ?? []) {
    if (output.OutputKey !== undefined && output.OutputValue !== undefined) outputs[output.OutputKey] = output.OutputValue;
  }
  return outputs;
}

/** `{"free":"abc123","pro":"def456"}` from the stack, checked. */
export function parseUsagePlanIdsOutput(stackName: string, value: string): Partial<Record<TierName, string>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InputError('missing_target', `stack ${stackName}: output ${STACK_OUTPUTS.usagePlanIds} is not JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InputError('missing_target', `stack ${stackName}: output ${STACK_OUTPUTS.usagePlanIds} is not a JSON object of plan -> usage plan id`);
  }
  const ids: Partial<Record<TierName, string>> = {};
  for (const [tier, id] of Object.entries(parsed)) {
    if (isTierName(tier) && typeof id === 'string' && id !== '') ids[tier] = id;
  }
  return ids;
}

/** `--usage-plan-id` values: `tier=ID` pairs, or one bare `ID` for the command's plan. */
export function parseUsagePlanIdFlags(values: readonly string[], plan: TierName | undefined): Partial<Record<TierName, string>> {
  const ids: Partial<Record<TierName, string>> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    const tier = eq === -1 ? plan : validatePlan(value.slice(0, eq), '--usage-plan-id');
    const id = eq === -1 ? value : value.slice(eq + 1);
    if (!/^[A-Za-z0-9]{1,64}$/.test(id)) {
      throw new InputError('usage', `--usage-plan-id: ${JSON.stringify(id)} is not a usage plan id`);
    }
    if (tier === undefined) {
      throw new InputError('usage', `--usage-plan-id ${value}: say which plan it is for, as <plan>=<id> (plans: ${TIER_NAMES.join(', ')})`);
    }
    ids[tier] = id;
  }
  return ids;
}

async function awsTarget(flags: TargetFlags, options: ResolveOptions, clients: ClientFactories): Promise<Target> {
  const deadlineMs = timeoutMs(flags);
  const base = { region: flags.region, profile: flags.profile, requestHandler: requestHandlerOptions(deadlineMs) };
  const explicitOnly = flags.table !== undefined && flags.stack === undefined;
  const stackName = flags.stack ?? DEFAULT_STACK_NAME;
  let outputs: Record<string, string> = {};
  if (!explicitOnly) {
    const cloudFormation = withDeadline(clients.cloudFormation(base), deadlineMs, 'CloudFormation');
    try {
      outputs = await readStackOutputs(cloudFormation, stackName);
    } finally {
      cloudFormation.destroy();
    }
  }
  const source = explicitOnly ? 'flags' : `stack ${stackName}`;
  const tableName = flags.table ?? outputs[STACK_OUTPUTS.keyTableName];
  if (tableName === undefined) {
    throw new InputError('missing_target', `${source} names no key table (output ${STACK_OUTPUTS.keyTableName}): pass --table`);
  }
  const keyPrefix = flags.keyPrefix ?? outputs[STACK_OUTPUTS.keyPrefix] ?? SAMPLE_KEY_PREFIX;
  if (!KEY_PREFIX_PATTERN.test(keyPrefix)) {
    throw new InputError('missing_target', `key prefix ${JSON.stringify(keyPrefix)} is not "<product>_<environment>_" (e.g. ptc_live_)`);
  }
  const planOutput = outputs[STACK_OUTPUTS.usagePlanIds];
  const usagePlanIds = {
    ...(planOutput === undefined ? {} : parseUsagePlanIdsOutput(stackName, planOutput)),
    ...parseUsagePlanIdFlags(flags.usagePlanIds ?? [], options.plan),
  };
  const restApiId = flags.restApiId ?? outputs[STACK_OUTPUTS.restApiId];
  const stageName = flags.stage ?? outputs[STACK_OUTPUTS.stageName];

  const dynamodb = withDeadline(clients.dynamodb({ ...base, maxAttempts: 3 }), deadlineMs, 'DynamoDB');
  // The API Gateway control plane throttles hard (a few requests a second): give it room to retry.
  const apiGateway = withDeadline(clients.apiGateway({ ...base, maxAttempts: 5 }), deadlineMs, 'API Gateway');
  const region = flags.region ?? options.env.AWS_REGION ?? options.env.AWS_DEFAULT_REGION;
  return {
    kind: 'aws',
    description: `${explicitOnly ? '' : `stack ${stackName}, `}table ${tableName}${region ? ` in ${region}` : ''}`,
    tableName,
    keyPrefix,
    dynamodb,
    usageKeys: new ApiGatewayUsageKeys({
      client: apiGateway,
      usagePlanIds,
      restApiId,
      stageName,
      missingPlanHint: explicitOnly
        ? 'pass --usage-plan-id <plan>=<id>'
        : `stack ${stackName} has none (output ${STACK_OUTPUTS.usagePlanIds}); pass --usage-plan-id <plan>=<id>`,
    }),
    revokeRecheckMs: 1000,
    known: {
      scopes: stringListOutput(outputs[KNOWN_SCOPES_OUTPUT]),
      issuers: stringListOutput(outputs[KNOWN_ISSUERS_OUTPUT]),
      source: `stack ${stackName}`,
    },
    where: region === undefined ? 'AWS' : `AWS ${region}`,
    close: () => {
      dynamodb.destroy();
      apiGateway.destroy();
    },
  };
}
