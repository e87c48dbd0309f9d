/**
 * Bad input gets its real reason and exit code 2, and nothing is written (regressions: `--grace -1h` and `--name`
 * without a value said "takes no value"; `--scopes items:reed` and `--issuer https://x/` with a trailing slash were
 * accepted). The local target (dynalite as its store) and a stack target (CloudFormation mocked: it has no local
 * stand-in) whose outputs list the API's scopes and issuers.
 */
import { APIGatewayClient, CreateApiKeyCommand, CreateUsagePlanKeyCommand } from '@aws-sdk/client-api-gateway';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KNOWN_ISSUERS_OUTPUT, KNOWN_SCOPES_OUTPUT } from '../../cli/keys/known-names';
import { runKeysCli } from '../../cli/keys/main';
import type { ClientFactories } from '../../cli/keys/target';
import { LOCAL_KEY_TABLE_NAME } from '../../cli/local-target';
import { STACK_OUTPUTS } from '../../infra/stack-outputs';
import { startLocalDynamoDb, type LocalDynamoDb } from '../support/local-dynamodb';
import { dynamoClient, newKeyTable, scanAll, untilActive } from './support';

const apiGateway = mockClient(APIGatewayClient);
const cloudFormation = mockClient(CloudFormationClient);
const credentials = { accessKeyId: 'x', secretAccessKey: 'y' };

let dynamo: LocalDynamoDb;
let stackTable: string;

const clients: ClientFactories = {
  dynamodb: () => dynamoClient(dynamo.endpoint),
  apiGateway: (config) => new APIGatewayClient({ ...config, region: 'eu-west-1', credentials }),
  cloudFormation: (config) => new CloudFormationClient({ ...config, region: 'eu-west-1', credentials }),
};

async function keys(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runKeysCli(argv, {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    env: { DYNAMODB_PORT: String(dynamo.port) },
    clients,
  });
  return { code, stdout, stderr };
}

beforeAll(async () => {
  dynamo = await startLocalDynamoDb(LOCAL_KEY_TABLE_NAME);
  await untilActive(dynamo.client, LOCAL_KEY_TABLE_NAME);
});

afterAll(async () => {
  apiGateway.restore();
  cloudFormation.restore();
  await dynamo.stop();
});

beforeEach(async () => {
  stackTable = await newKeyTable(dynamo);
  apiGateway.reset();
  cloudFormation.reset();
  apiGateway.on(CreateApiKeyCommand).resolves({ id: 'apikey001' });
  apiGateway.on(CreateUsagePlanKeyCommand).resolves({});
  cloudFormation.on(DescribeStacksCommand).resolves({
    Stacks: [
      {
        StackName: 'Known',
        StackStatus: 'UPDATE_COMPLETE',
        CreationTime: new Date(),
        Outputs: [
          { OutputKey: STACK_OUTPUTS.keyTableName, OutputValue: stackTable },
          { OutputKey: STACK_OUTPUTS.usagePlanIds, OutputValue: JSON.stringify({ free: 'planfree1', pro: 'planpro01' }) },
          { OutputKey: KNOWN_SCOPES_OUTPUT, OutputValue: JSON.stringify(['orders:read', 'orders:write']) },
          { OutputKey: KNOWN_ISSUERS_OUTPUT, OutputValue: JSON.stringify(['https://login.example.com/']) },
        ],
      },
    ],
  });
});

describe('flag values', () => {
  it.each([
    [['rotate', 'key_0123456789abcdef', '--grace', '-1h', '--local'], /--grace: "-1h" is negative, so it is not a duration/],
    [['create', '--owner', 'acme', '--scopes', 'items:read', '--expires-in', '-30d', '--local'], /--expires-in: "-30d" is negative/],
    [['create', '--owner', 'acme', '--scopes', 'items:read', '--local', '--name'], /create: option --name needs a value/],
    [['create', '--owner', 'acme', '--name', '--scopes', 'items:read', '--local'], /create: option --name needs a value/],
    [['list', '--json=yes', '--local'], /list: option --json takes no value/],
  ])('%j: the real reason, exit 2', async (argv, message) => {
    const run = await keys(...argv);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    if (!message.source.includes('takes no value')) expect(run.stderr).not.toContain('takes no value');
  });

  it('a value that starts with a dash is still the value of its flag (--name=-x and --name -x alike)', async () => {
    const run = await keys('create', '--owner', 'acme', '--scopes', 'items:read', '--name', '-ci-', '--local', '--json');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ name: '-ci-' });
  });
});

describe('scopes no route requires', () => {
  it('are refused in the local mode with exit 2, naming the typo and the known scopes; nothing is written', async () => {
    const before = await scanAll(dynamo.client, LOCAL_KEY_TABLE_NAME);
    const run = await keys('create', '--owner', 'acme', '--scopes', 'items:read,items:reed', '--local');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('"items:reed" is required by no route of the local mode');
    expect(run.stderr).toContain('items:admin, items:read, items:write');
    expect(run.stdout).toBe('');
    expect(await scanAll(dynamo.client, LOCAL_KEY_TABLE_NAME)).toEqual(before);
  });

  it('are granted with --allow-unknown-scopes', async () => {
    const run = await keys('create', '--owner', 'acme', '--scopes', 'items:reed', '--allow-unknown-scopes', '--local', '--json');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ scopes: ['items:reed'] });
  });

  it("are refused on a stack whose outputs list its routes' scopes, before anything is written", async () => {
    const run = await keys('create', '--owner', 'acme', '--scopes', 'items:read', '--stack', 'Known');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('"items:read" is required by no route of stack Known (known scopes: orders:read, orders:write)');
    expect(apiGateway.commandCalls(CreateApiKeyCommand)).toHaveLength(0);
    expect(await scanAll(dynamo.client, stackTable)).toEqual([]);
    expect((await keys('create', '--owner', 'acme', '--scopes', 'orders:read', '--stack', 'Known')).code).toBe(0);
  });
});

describe('issuers the target does not trust', () => {
  it('are refused in the local mode, with the exact spelling when only the trailing slash differs', async () => {
    const run = await keys('clients', 'bind', '--issuer', 'https://127.0.0.1:3001/', '--client-id', 'local-writer', '--plan', 'free', '--local');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('did you mean "https://127.0.0.1:3001"?');
    const right = await keys('clients', 'bind', '--issuer', 'https://127.0.0.1:3001', '--client-id', 'local-writer', '--plan', 'free', '--local');
    expect(right.code).toBe(0);
  });

  it("are refused on a stack whose outputs list its issuers", async () => {
    const run = await keys('clients', 'bind', '--issuer', 'https://login.example.com', '--client-id', 'svc', '--plan', 'pro', '--stack', 'Known');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('did you mean "https://login.example.com/"?');
    expect(apiGateway.commandCalls(CreateApiKeyCommand)).toHaveLength(0);
  });
});
