/**
 * Finding the target: a stack's CloudFormation outputs (DescribeStacks through aws-sdk-client-mock), explicit
 * flags, or the local store.
 */
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { parseUsagePlanIdFlags, resolveTarget, type ClientFactories, type Target } from '../../cli/keys/target';
import { LOCAL_KEY_TABLE_NAME, localDynamoDbEndpoint } from '../../cli/local-target';
import { DEFAULT_STACK_NAME, STACK_OUTPUTS } from '../../infra/stack-outputs';

const cloudFormation = mockClient(CloudFormationClient);
const credentials = { accessKeyId: 'x', secretAccessKey: 'y' };
const made: Array<{ kind: string; config: unknown }> = [];
const clients: ClientFactories = {
  dynamodb: (config) => {
    made.push({ kind: 'dynamodb', config });
    return new DynamoDBClient({ ...config, region: 'eu-west-1', credentials });
  },
  apiGateway: (config) => new APIGatewayClient({ ...config, region: 'eu-west-1', credentials }),
  cloudFormation: (config) => new CloudFormationClient({ ...config, region: 'eu-west-1', credentials }),
};

function stackWith(outputs: Record<string, string>) {
  cloudFormation.on(DescribeStacksCommand).resolves({
    Stacks: [
      {
        StackName: DEFAULT_STACK_NAME,
        StackStatus: 'CREATE_COMPLETE',
        CreationTime: new Date(),
        Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
      },
    ],
  });
}

const FULL_OUTPUTS = {
  [STACK_OUTPUTS.keyTableName]: 'PortcullisSample-Keys-ABC',
  [STACK_OUTPUTS.keyPrefix]: 'acme_live_',
  [STACK_OUTPUTS.usagePlanIds]: JSON.stringify({ free: 'planfree1', pro: 'planpro01' }),
  [STACK_OUTPUTS.restApiId]: 'restapi01',
  [STACK_OUTPUTS.stageName]: 'prod',
};

const opened: Target[] = [];
async function resolve(...args: Parameters<typeof resolveTarget>): Promise<Target> {
  const target = await resolveTarget(...args);
  opened.push(target);
  return target;
}

beforeEach(() => {
  cloudFormation.reset();
  made.length = 0;
  for (const target of opened.splice(0)) target.close();
});

afterAll(() => {
  cloudFormation.restore();
});

describe('Function: resolveTarget', () => {
  it("reads the table, key prefix, usage plans and stage from the default stack's outputs", async () => {
    stackWith(FULL_OUTPUTS);
    const target = await resolve({}, { env: {}, clients });
    expect(cloudFormation.commandCalls(DescribeStacksCommand)[0]!.args[0].input).toEqual({ StackName: DEFAULT_STACK_NAME });
    expect(target).toMatchObject({ kind: 'aws', tableName: 'PortcullisSample-Keys-ABC', keyPrefix: 'acme_live_' });
    expect(() => target.usageKeys.assertPlanAvailable('pro')).not.toThrow();
  });

  it('lets flags override the outputs of a named stack', async () => {
    stackWith(FULL_OUTPUTS);
    const target = await resolve({ stack: 'Other', table: 'mine', keyPrefix: 'ptc_test_' }, { env: {}, clients });
    expect(cloudFormation.commandCalls(DescribeStacksCommand)[0]!.args[0].input).toEqual({ StackName: 'Other' });
    expect(target).toMatchObject({ tableName: 'mine', keyPrefix: 'ptc_test_' });
  });

  it('does not call CloudFormation when --table is given without --stack', async () => {
    const target = await resolve({ table: 'keys', usagePlanIds: ['pro=planpro01'] }, { env: {}, clients });
    expect(cloudFormation.calls()).toHaveLength(0);
    expect(target).toMatchObject({ tableName: 'keys', keyPrefix: 'ptc_live_' });
    expect(() => target.usageKeys.assertPlanAvailable('pro')).not.toThrow();
    expect(() => target.usageKeys.assertPlanAvailable('free')).toThrow(/no usage plan id for plan free.*--usage-plan-id/);
  });

  it('reports a stack that does not exist as a missing target (exit code 2)', async () => {
    const error = Object.assign(new Error('Stack with id PortcullisSample does not exist'), { name: 'ValidationError' });
    cloudFormation.on(DescribeStacksCommand).rejects(error);
    await expect(resolve({}, { env: {}, clients })).rejects.toMatchObject({
      code: 'missing_target',
      exitCode: 2,
      message: expect.stringMatching(/stack PortcullisSample not found.*--local/),
    });
  });

  it('reports other CloudFormation failures as AWS errors (exit code 1)', async () => {
    cloudFormation.on(DescribeStacksCommand).rejects(Object.assign(new Error('User is not authorized'), { name: 'AccessDenied' }));
    await expect(resolve({}, { env: {}, clients })).rejects.toMatchObject({ exitCode: 1, message: expect.stringContaining('AccessDenied') });
  });

  it('asks for --table when the stack has no key table output', async () => {
    stackWith({ [STACK_OUTPUTS.restApiId]: 'restapi01' });
    await expect(resolve({}, { env: {}, clients })).rejects.toMatchObject({ code: 'missing_target', message: expect.stringContaining('--table') });
  });

  it('refuses a stack whose UsagePlanIds output is not JSON', async () => {
    stackWith({ ...FULL_OUTPUTS, [STACK_OUTPUTS.usagePlanIds]: 'planfree1' });
    await expect(resolve({}, { env: {}, clients })).rejects.toMatchObject({ code: 'missing_target', message: expect.stringContaining('UsagePlanIds') });
  });

  it('targets the local store on loopback at DYNAMODB_PORT with the local table and prefix', async () => {
    const target = await resolve({ local: true }, { env: { DYNAMODB_PORT: '8123' }, clients });
    expect(target).toMatchObject({ kind: 'local', tableName: LOCAL_KEY_TABLE_NAME, keyPrefix: 'ptc_local_' });
    expect(made[0]!.config).toMatchObject({ endpoint: 'http://127.0.0.1:8123' });
    expect(cloudFormation.calls()).toHaveLength(0);
  });

  it('refuses --local combined with AWS target flags', async () => {
    await expect(resolve({ local: true, stack: 'X', region: 'eu-west-1' }, { env: {}, clients })).rejects.toMatchObject({
      exitCode: 2,
      message: '--local cannot be combined with --stack, --region',
    });
  });

  it('refuses a DYNAMODB_PORT that is not a port, naming the variable', async () => {
    await expect(resolve({ local: true }, { env: { DYNAMODB_PORT: 'http://evil' }, clients })).rejects.toMatchObject({
      code: 'missing_target',
      message: expect.stringContaining('DYNAMODB_PORT'),
    });
  });
});

describe('Function: localDynamoDbEndpoint', () => {
  it('defaults to port 8000 on 127.0.0.1', () => {
    expect(localDynamoDbEndpoint({})).toBe('http://127.0.0.1:8000');
    expect(localDynamoDbEndpoint({ DYNAMODB_PORT: ' 9000 ' })).toBe('http://127.0.0.1:9000');
  });
});

describe('Function: parseUsagePlanIdFlags', () => {
  it('reads plan=id pairs, and a bare id as the plan of the command', () => {
    expect(parseUsagePlanIdFlags(['free=abc123', 'pro=def456'], undefined)).toEqual({ free: 'abc123', pro: 'def456' });
    expect(parseUsagePlanIdFlags(['abc123'], 'pro')).toEqual({ pro: 'abc123' });
  });

  it('refuses a bare id when the command names no plan, an unknown plan, and a malformed id', () => {
    expect(() => parseUsagePlanIdFlags(['abc123'], undefined)).toThrow(/<plan>=<id>/);
    expect(() => parseUsagePlanIdFlags(['gold=abc123'], undefined)).toThrow(/unknown plan "gold"/);
    expect(() => parseUsagePlanIdFlags(['pro=a b'], undefined)).toThrow(/not a usage plan id/);
  });
});
