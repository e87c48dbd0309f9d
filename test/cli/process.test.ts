/**
 * Black-box: the real `keys` process (tsx cli/keys.ts, as `npm run keys` runs it) against dynalite on loopback
 * through `--local`. Exit codes, stdout/stderr and the secret shown exactly once.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_KEY_TABLE_NAME } from '../../cli/local-target';
import { startLocalDynamoDb, type LocalDynamoDb } from '../support/local-dynamodb';
import { untilActive, scanAll } from './support';

const ROOT = join(__dirname, '../..');
const TSX = join(ROOT, 'node_modules/tsx/dist/cli.mjs');

let dynamo: LocalDynamoDb;

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function keys(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const childEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, DYNAMODB_PORT: String(dynamo.port), ...env };
  return new Promise((resolve) => {
    execFile(process.execPath, [TSX, 'cli/keys.ts', ...args], { cwd: ROOT, env: childEnv, timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  dynamo = await startLocalDynamoDb(LOCAL_KEY_TABLE_NAME);
  await untilActive(dynamo.client, LOCAL_KEY_TABLE_NAME);
});

afterAll(async () => {
  await dynamo.stop();
});

describe('the keys process', () => {
  it('create --json prints one JSON object, the secret exactly once, exit 0; list, show and revoke never print it', async () => {
    const created = await keys(['create', '--local', '--owner', 'acme', '--scopes', 'items:read', '--json']);
    expect(created.code).toBe(0);
    const body = JSON.parse(created.stdout) as { key: string; keyId: string };
    expect(Object.keys(body)).toEqual(expect.arrayContaining(['key', 'keyId', 'owner', 'scopes', 'plan', 'status', 'createdAt']));
    expect(body.key).toMatch(/^ptc_local_[0-9A-Za-z]{38}$/);
    expect(created.stdout.split(body.key)).toHaveLength(2);
    expect(created.stderr).not.toContain(body.key);

    const [list, show] = await Promise.all([keys(['list', '--local']), keys(['show', body.keyId, '--local'])]);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(body.keyId);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/Status\s+active/);

    const revoke = await keys(['revoke', body.keyId, '--local']);
    const again = await keys(['revoke', body.keyId, '--local']);
    expect(revoke).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Revoked key/) });
    expect(again).toMatchObject({ code: 0, stdout: expect.stringContaining('already revoked') });
    for (const run of [list, show, revoke, again]) expect(run.stdout + run.stderr).not.toContain(body.key);
  });

  it('bad input exits 2 with one clear line on stderr and writes nothing', async () => {
    const before = await scanAll(dynamo.client, LOCAL_KEY_TABLE_NAME);
    const runs = await Promise.all([
      keys(['create', '--local', '--owner', 'acme', '--scopes', 'items:read', '--plan', 'gold']),
      keys(['create', '--local', '--owner', 'acme', '--scopes', 'items:read', '--bogus']),
      keys(['rotate', 'key_AAAAAAAAAAAAAAAA', '--local', '--grace', 'soon']),
      keys(['show', 'key_AAAAAAAAAAAAAAAA', '--local']),
    ]);
    expect(runs.map((run) => run.code)).toEqual([2, 2, 2, 2]);
    expect(runs.map((run) => run.stderr.trim())).toEqual([
      'error: --plan: unknown plan "gold"; plans are: free, pro',
      'error: create: unknown option --bogus; see "create --help"',
      'error: --grace: "soon" is not a duration: write a whole number and a unit, e.g. 90s, 15m, 1h, 30d',
      `error: unknown key id key_AAAAAAAAAAAAAAAA (no such key in table ${LOCAL_KEY_TABLE_NAME})`,
    ]);
    expect(runs.map((run) => run.stdout)).toEqual(['', '', '', '']);
    expect(await scanAll(dynamo.client, LOCAL_KEY_TABLE_NAME)).toEqual(before);
  });

  it('exits 1 with a clear message when the local store is not running', async () => {
    const run = await keys(['list', '--local'], { DYNAMODB_PORT: '9' });
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toMatch(/^error: DynamoDB Scan on portcullis-keys failed: cannot reach the local store at http:\/\/127\.0\.0\.1:9 \(is "npm start" running\?\)/);
  });

  it('the portcullis-keys bin shim runs the same CLI', async () => {
    const run = await new Promise<Run>((resolve) => {
      execFile(join(ROOT, 'cli/bin/portcullis-keys.cjs'), ['create', '--local', '--owner', 'acme', '--scopes', 'items:read', '--plan', 'gold'], { env: { PATH: process.env.PATH } }, (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr }),
      );
    });
    expect(run).toMatchObject({ code: 2, stderr: 'error: --plan: unknown plan "gold"; plans are: free, pro\n' });
  });

  it('--help exits 0', async () => {
    const run = await keys(['rotate', '--help']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toContain('Usage: npm run keys -- rotate KEY_ID [--grace 1h] [--wait] [--key-cache-ttl 30s] [--json]');
  });
});
