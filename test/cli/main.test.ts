/**
 * The `keys` command line, in-process: arguments, exit codes, help, what is printed (and what never is), against a
 * deployed-stack target made of dynalite (the key table), and aws-sdk-client-mock for CloudFormation and API
 * Gateway.
 */
import {
  APIGatewayClient,
  CreateApiKeyCommand,
  CreateUsagePlanKeyCommand,
  FlushStageAuthorizersCacheCommand,
  UpdateApiKeyCommand,
} from '@aws-sdk/client-api-gateway';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runKeysCli } from '../../cli/keys/main';
import type { ClientFactories } from '../../cli/keys/target';
import { isWellFormedApiKey } from '../../lambda/api-key-format';
import { STACK_OUTPUTS } from '../../infra/stack-outputs';
import { startLocalDynamoDb, type LocalDynamoDb } from '../support/local-dynamodb';
import { dynamoClient, manualClock, newKeyTable, scanAll, type ManualClock } from './support';

const apiGateway = mockClient(APIGatewayClient);
const cloudFormation = mockClient(CloudFormationClient);
const credentials = { accessKeyId: 'x', secretAccessKey: 'y' };

let dynamo: LocalDynamoDb;
let tableName: string;
let clock: ManualClock;
let apiKeyCounter = 0;

const clients: ClientFactories = {
  dynamodb: () => dynamoClient(dynamo.endpoint),
  apiGateway: (config) => new APIGatewayClient({ ...config, region: 'eu-west-1', credentials }),
  cloudFormation: (config) => new CloudFormationClient({ ...config, region: 'eu-west-1', credentials }),
};

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function keys(...argv: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await runKeysCli(argv, {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    env: {},
    clients,
    nowSeconds: clock.nowSeconds,
    sleep: async () => {},
  });
  return { code, stdout, stderr };
}

function occurrences(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

beforeAll(async () => {
  dynamo = await startLocalDynamoDb();
});

afterAll(async () => {
  apiGateway.restore();
  cloudFormation.restore();
  await dynamo.stop();
});

beforeEach(async () => {
  tableName = await newKeyTable(dynamo);
  clock = manualClock();
  apiGateway.reset();
  cloudFormation.reset();
  cloudFormation.on(DescribeStacksCommand).resolves({
    Stacks: [
      {
        StackName: 'PortcullisSample',
        StackStatus: 'UPDATE_COMPLETE',
        CreationTime: new Date(),
        Outputs: [
          { OutputKey: STACK_OUTPUTS.keyTableName, OutputValue: tableName },
          { OutputKey: STACK_OUTPUTS.keyPrefix, OutputValue: 'ptc_live_' },
          { OutputKey: STACK_OUTPUTS.usagePlanIds, OutputValue: JSON.stringify({ free: 'planfree1', pro: 'planpro01' }) },
          { OutputKey: STACK_OUTPUTS.restApiId, OutputValue: 'restapi01' },
          { OutputKey: STACK_OUTPUTS.stageName, OutputValue: 'prod' },
        ],
      },
    ],
  });
  apiGateway.on(CreateApiKeyCommand).callsFake(async () => ({ id: `apikey${String(++apiKeyCounter).padStart(3, '0')}` }));
  apiGateway.on(CreateUsagePlanKeyCommand).resolves({});
  apiGateway.on(UpdateApiKeyCommand).resolves({});
  apiGateway.on(FlushStageAuthorizersCacheCommand).resolves({});
});

describe('help', () => {
  it.each(['create', 'list', 'show', 'rotate', 'revoke', 'clients bind'])('"%s --help" prints its usage and exits 0 without touching AWS', async (command) => {
    const run = await keys(...command.split(' '), '--help');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Usage: npm run keys -- ${command}`);
    expect(run.stdout).toContain('--local');
    expect(cloudFormation.calls()).toHaveLength(0);
  });

  it('"--help" lists every command; no command at all prints it and exits 2', async () => {
    const help = await keys('--help');
    expect(help.code).toBe(0);
    for (const command of ['create', 'list', 'show', 'rotate', 'revoke', 'clients bind']) expect(help.stdout).toContain(`  ${command}`);
    expect((await keys()).code).toBe(2);
  });
});

describe('bad input: exit code 2, a message naming the problem, nothing written, AWS untouched', () => {
  it.each([
    [['frobnicate'], /unknown command: frobnicate/],
    [['create', '--owner', 'acme', '--scopes', 'items:read', '--colour', 'red'], /unknown option --colour/],
    [['create', '--scopes', 'items:read'], /--owner is required/],
    [['create', '--owner', 'acme', '--scopes', 'items:read', '--plan', 'gold'], /unknown plan "gold"; plans are: free, pro/],
    [['create', '--owner', 'acme', '--scopes', 'items:read,items:réad'], /--scopes: "items:réad" is not a valid scope/],
    [['create', '--owner', 'acme\u0007', '--scopes', 'items:read'], /--owner contains control characters/],
    [['create', '--owner', 'acme', '--scopes', 'items:read', '--expires-in', '30 days'], /--expires-in: "30 days" is not a duration/],
    [['create', '--owner', 'acme', '--scopes', 'items:read', '--expires-in', '0s'], /--expires-in: 0s is out of range/],
    [['create', '--owner'], /--owner needs a value/],
    [['rotate', 'key_AAAAAAAAAAAAAAAA', '--grace', '1w'], /--grace: "1w" is not a duration/],
    [['rotate'], /KEY_ID is required/],
    [['show', 'key_AAAAAAAAAAAAAAAA', 'extra'], /unexpected argument "extra"/],
    [['list', '--status', 'sleeping'], /unknown status "sleeping"/],
    [['clients', 'unbind'], /unknown command: clients unbind/],
    [['clients', 'bind', '--issuer', 'http://idp.example.com', '--client-id', 'c', '--plan', 'pro'], /--issuer must be an https URL/],
    [['revoke', 'key_AAAAAAAAAAAAAAAA', '--key-cache-ttl', '10s'], /--key-cache-ttl only applies with --wait/],
  ])('%j', async (argv, message) => {
    const run = await keys(...argv);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
    expect(cloudFormation.calls()).toHaveLength(0);
    expect(apiGateway.calls()).toHaveLength(0);
    expect(await scanAll(dynamo.client, tableName)).toHaveLength(0);
  });

  it('an unknown or malformed key id is exit code 2 (a malformed one is refused before any AWS call)', async () => {
    for (const command of ['show', 'rotate', 'revoke']) {
      expect(await keys(command, 'ptc_live_notanid')).toMatchObject({ code: 2, stderr: expect.stringContaining('is not a key id') });
    }
    expect(cloudFormation.calls()).toHaveLength(0);
    for (const command of ['show', 'rotate', 'revoke']) {
      const unknown = await keys(command, 'key_AAAAAAAAAAAAAAAA');
      expect(unknown).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown key id key_AAAAAAAAAAAAAAAA') });
      const malformed = await keys(command, 'ptc_live_notanid');
      expect(malformed).toMatchObject({ code: 2, stderr: expect.stringContaining('is not a key id') });
    }
    expect(apiGateway.calls()).toHaveLength(0);
  });
});

describe('create', () => {
  it('--json prints one JSON object with key and keyId, the secret once, and nothing else', async () => {
    const run = await keys('create', '--owner', 'acme', '--scopes', 'items:read,items:write', '--plan', 'pro', '--name', 'ci', '--expires-in', '30d', '--json');

    expect(run).toMatchObject({ code: 0, stderr: '' });
    const created = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(created).toMatchObject({
      keyId: expect.stringMatching(/^key_[0-9A-Za-z]{16}$/),
      key: expect.any(String),
      owner: 'acme',
      name: 'ci',
      scopes: ['items:read', 'items:write'],
      plan: 'pro',
      status: 'active',
      createdAt: '2026-01-01T00:00:00Z',
      expiresAt: '2026-01-31T00:00:00Z',
      usageKeyId: 'apikey' + String(apiKeyCounter).padStart(3, '0'),
    });
    expect(isWellFormedApiKey(created.key as string, 'ptc_live_')).toBe(true);
    expect(occurrences(run.stdout, created.key as string)).toBe(1);
    expect(apiGateway.commandCalls(CreateUsagePlanKeyCommand)[0]!.args[0].input).toMatchObject({ usagePlanId: 'planpro01' });
  });

  it('for people, shows the secret once and says it will not be shown again', async () => {
    const run = await keys('create', '--owner', 'acme', '--scopes', 'items:read');
    expect(run.code).toBe(0);
    const secret = /ptc_live_[0-9A-Za-z]{38}/.exec(run.stdout)![0];
    expect(occurrences(run.stdout, secret)).toBe(1);
    expect(run.stdout).toMatch(/only time this secret is shown/);
  });

  it('an API Gateway failure is exit code 1 with the operation and the error named', async () => {
    apiGateway.on(CreateApiKeyCommand).rejects(Object.assign(new Error('User is not authorized to perform apigateway:POST'), { name: 'AccessDeniedException' }));
    const run = await keys('create', '--owner', 'acme', '--scopes', 'items:read');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: API Gateway CreateApiKey failed: AccessDeniedException: User is not authorized/);
    expect(run.stdout).toBe('');
    expect(await scanAll(dynamo.client, tableName)).toHaveLength(0);
  });

  it('a stack that does not exist is a missing target: exit code 2', async () => {
    cloudFormation.on(DescribeStacksCommand).rejects(Object.assign(new Error('Stack with id Nope does not exist'), { name: 'ValidationError' }));
    const run = await keys('create', '--owner', 'acme', '--scopes', 'items:read', '--stack', 'Nope');
    expect(run).toMatchObject({ code: 2, stderr: expect.stringContaining('stack Nope not found') });
  });
});

describe('list and show', () => {
  it('never print a secret; list aligns its columns for people and pages for scripts', async () => {
    const a = JSON.parse((await keys('create', '--owner', 'acme', '--scopes', 'items:read', '--name', 'first key', '--json')).stdout);
    clock.advance(60);
    const b = JSON.parse((await keys('create', '--owner', 'globex-corporation', '--scopes', 'items:read,items:write', '--plan', 'pro', '--json')).stdout);

    const table = await keys('list');
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^KEY ID\s+OWNER\s+NAME\s+PLAN\s+STATUS\s+SCOPES\s+CREATED\s+EXPIRES\s+LAST USED$/);
    for (const column of ['OWNER', 'PLAN', 'STATUS', 'LAST USED']) {
      const at = lines[0]!.indexOf(column);
      expect(lines[1]![at - 1]).toBe(' ');
      expect(lines[2]![at - 1]).toBe(' ');
      expect(lines[1]![at]).not.toBe(' ');
    }
    expect(lines[1]).toContain(a.keyId);
    expect(lines[2]).toContain(b.keyId);
    expect(lines[3]).toBe('2 keys');

    const listed = await keys('list', '--json');
    expect(JSON.parse(listed.stdout).keys.map((k: { keyId: string }) => k.keyId)).toEqual([a.keyId, b.keyId]);
    const filtered = await keys('list', '--owner', 'globex-corporation', '--plan', 'pro', '--json');
    expect(JSON.parse(filtered.stdout).keys.map((k: { keyId: string }) => k.keyId)).toEqual([b.keyId]);

    const shown = await keys('show', a.keyId);
    expect(shown.stdout).toMatch(/Last used\s+never/);
    const shownJson = JSON.parse((await keys('show', a.keyId, '--json')).stdout);
    expect(shownJson).toMatchObject({ keyId: a.keyId, lastUsedAt: null, secrets: [{ current: true, state: 'active' }] });

    for (const output of [table.stdout, listed.stdout, filtered.stdout, shown.stdout, JSON.stringify(shownJson)]) {
      expect(output).not.toContain(a.key);
      expect(output).not.toContain(b.key);
      expect(output).not.toContain('ptc_live_');
    }
  });

  it('an empty table lists as such, exit code 0', async () => {
    expect(await keys('list')).toMatchObject({ code: 0, stdout: 'No keys found.\n' });
    expect(JSON.parse((await keys('list', '--json')).stdout)).toEqual({ keys: [], incomplete: [] });
  });
});

describe('rotate and revoke', () => {
  it('rotate --json prints the new secret and until when the old one works', async () => {
    const created = JSON.parse((await keys('create', '--owner', 'acme', '--scopes', 'items:read', '--json')).stdout);
    const run = await keys('rotate', created.keyId, '--grace', '15m', '--json');
    expect(run.code).toBe(0);
    const rotated = JSON.parse(run.stdout);
    expect(rotated).toMatchObject({ keyId: created.keyId, previousValidUntil: '2026-01-01T00:15:00Z' });
    expect(rotated.key).not.toBe(created.key);
    expect(occurrences(run.stdout, rotated.key)).toBe(1);
  });

  it('revoke says what it did; revoking again is a no-op that says so, exit code 0', async () => {
    const created = JSON.parse((await keys('create', '--owner', 'acme', '--scopes', 'items:read', '--json')).stdout);
    const first = await keys('revoke', created.keyId);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toMatch(/Revoked key key_\w+ \(1 secret\)/);
    expect(first.stdout).toMatch(/authorizer cache was flushed/);
    const before = await scanAll(dynamo.client, tableName);

    const second = await keys('revoke', created.keyId, '--json');
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ keyId: created.keyId, status: 'revoked', alreadyRevoked: true, revokedSecrets: 0 });
    expect(await scanAll(dynamo.client, tableName)).toEqual(before);
    expect((await keys('revoke', created.keyId)).stdout).toMatch(/already revoked .*nothing changed/);
  });

  it('revoke --wait waits out the key cache and flushes the stage cache a second time', async () => {
    const created = JSON.parse((await keys('create', '--owner', 'acme', '--scopes', 'items:read', '--json')).stdout);
    const slept: number[] = [];
    let stdout = '';
    const code = await runKeysCli(['revoke', created.keyId, '--wait', '--key-cache-ttl', '5s', '--table', tableName, '--rest-api-id', 'restapi01', '--stage', 'prod'], {
      stdout: (text) => {
        stdout += text;
      },
      stderr: () => {},
      env: {},
      clients,
      nowSeconds: clock.nowSeconds,
      sleep: async (ms) => {
        slept.push(ms);
      },
    });
    expect(code).toBe(0);
    // 1 s for the second read of the (eventually consistent) index, then the key cache TTL.
    expect(slept).toEqual([1000, 5000]);
    expect(apiGateway.commandCalls(FlushStageAuthorizersCacheCommand)).toHaveLength(2);
    expect(stdout).toMatch(/refused everywhere now/);
  });

  it('revoke warns on stderr, but succeeds, when the stage cache cannot be flushed', async () => {
    const created = JSON.parse((await keys('create', '--owner', 'acme', '--scopes', 'items:read', '--json')).stdout);
    const run = await keys('revoke', created.keyId, '--table', tableName, '--usage-plan-id', 'free=planfree1');
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/warning: authorizer cache not flushed: .*--rest-api-id/);
    expect(apiGateway.commandCalls(FlushStageAuthorizersCacheCommand)).toHaveLength(0);
  });
});

describe('clients bind', () => {
  it('binds, then reports an identical bind as unchanged', async () => {
    const args = ['clients', 'bind', '--issuer', 'https://login.example.com/', '--client-id', 'svc-1', '--plan', 'pro'];
    const first = await keys(...args);
    expect(first).toMatchObject({ code: 0, stdout: expect.stringContaining('Bound client svc-1 of https://login.example.com/ to plan pro') });
    const second = await keys(...args, '--json');
    expect(JSON.parse(second.stdout)).toMatchObject({ clientId: 'svc-1', plan: 'pro', outcome: 'unchanged' });
    expect(apiGateway.commandCalls(CreateApiKeyCommand)).toHaveLength(1);
  });
});

describe('rotate and the authorizer cache', () => {
  it('--grace 0s flushes the stage at the commit and again after the key cache, and says the old secret is refused now', async () => {
    const created = JSON.parse((await keys('create', '--owner', 'acme', '--scopes', 'items:read', '--json')).stdout);
    apiGateway.resetHistory();
    const run = await keys('rotate', created.keyId, '--grace', '0s', '--key-cache-ttl', '5s', '--json');
    expect(run.code).toBe(0);
    expect(apiGateway.commandCalls(FlushStageAuthorizersCacheCommand)).toHaveLength(2);
    expect(run.stderr).toContain('Waiting 5s for the grace and the authorizer\'s key cache to run out');
    expect(run.stderr).toContain('the previous secret is refused everywhere now');
    expect(occurrences(run.stdout, '"key"')).toBe(1);
  });

  it('a grace without --wait flushes once and states the bound; --key-cache-ttl without --wait is refused', async () => {
    const created = JSON.parse((await keys('create', '--owner', 'acme', '--scopes', 'items:read', '--json')).stdout);
    apiGateway.resetHistory();
    const run = await keys('rotate', created.keyId, '--grace', '15m');
    expect(run.code).toBe(0);
    expect(apiGateway.commandCalls(FlushStageAuthorizersCacheCommand)).toHaveLength(1);
    expect(run.stderr).toContain("The stage's authorizer cache was flushed");
    const refused = await keys('rotate', created.keyId, '--grace', '15m', '--key-cache-ttl', '5s');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--key-cache-ttl only applies with --wait');
  });
});
