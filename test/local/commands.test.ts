/**
 * The commands as a user runs them (`npm start` = `tsx local/start.ts`, `npm run token` = `tsx cli/token.ts`),
 * spawned as real processes on free ports with a temporary `.local/` (PORTCULLIS_LOCAL_DIR).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startLocalMode } from '../../local/mode';
import { eventually } from '../support/eventually';
import { call, tempDataDir } from './local-helpers';

const ROOT = join(__dirname, '../..');
const TSX = join(ROOT, 'node_modules/.bin/tsx');
const READY = /^Gateway ready at http:\/\/127\.0\.0\.1:(\d+)$/m;

interface Spawned {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  readonly exited: Promise<number | null>;
}

const children: ChildProcess[] = [];
const blockers: Server[] = [];

// After all tests, not each: some run concurrently, and one test's end must not kill another's processes.
afterAll(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  for (const blocker of blockers.splice(0)) await new Promise((resolve) => blocker.close(resolve));
});

function run(script: string, args: string[], env: Record<string, string>, command: readonly string[] = [TSX, script]): Spawned {
  const child = spawn(command[0]!, [...command.slice(1), ...args], {
    cwd: ROOT,
    env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'WARN', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const spawned: Spawned = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
  };
  child.stdout!.on('data', (chunk: Buffer) => (spawned.stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (spawned.stderr += chunk.toString()));
  return spawned;
}

async function waitFor(spawned: Spawned, pattern: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const match = pattern.exec(spawned.stdout);
    if (match) return match;
    if (spawned.child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no ${pattern} in output:\n${spawned.stdout}\n${spawned.stderr}`);
}

async function occupiedPort(): Promise<number> {
  const blocker = createServer();
  blockers.push(blocker);
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  return (blocker.address() as AddressInfo).port;
}

const FREE = { PORT: '0', ISSUER_PORT: '0', DYNAMODB_PORT: '0' };

/** Every process below `root` (its children, theirs...), from `ps`. */
function descendantsOf(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const line of execFileSync('ps', ['-A', '-o', 'pid=,ppid='], { encoding: 'utf8' }).trim().split('\n')) {
    const [pid, ppid] = line.trim().split(/\s+/).map(Number);
    parentOf.set(pid!, ppid!);
  }
  const found: number[] = [];
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of parentOf) {
      if ((ppid === root || found.includes(ppid)) && !found.includes(pid)) {
        found.push(pid);
        grew = true;
      }
    }
  }
  return found;
}

const isRunning = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const refusesConnections = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });

describe('npm start (local/start.ts)', () => {
  it('prints "Gateway ready at http://127.0.0.1:<port>" once it serves (a first start: it makes the issuer\'s certificate and key), and stops cleanly on SIGINT', async () => {
    const started = run('local/start.ts', ['--memory'], { ...FREE, PORTCULLIS_LOCAL_DIR: tempDataDir({ fresh: true }) });
    const [, port] = await waitFor(started, READY);
    const health = await fetch(`http://127.0.0.1:${port}/health`);
    expect(health.status).toBe(200);
    await waitFor(started, /GET \/health -> 200/);
    started.child.kill('SIGINT');
    expect(await started.exited).toBe(0);
    expect(started.stdout).toContain('Stopped');
    expect(started.stderr).not.toMatch(/\n\s+at /);
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
  });

  it('stops cleanly on SIGTERM', async () => {
    const started = run('local/start.ts', ['--memory'], { ...FREE, PORTCULLIS_LOCAL_DIR: tempDataDir() });
    await waitFor(started, READY);
    started.child.kill('SIGTERM');
    expect(await started.exited).toBe(0);
  });

  it.concurrent.each(['SIGTERM', 'SIGINT', 'SIGKILL'] as const)(
    'stops everything (gateway, issuer, store; tsx and node) when %s reaches npm\'s process alone',
    async (signal) => {
      // npm -> tsx -> node (the script execs tsx): npm relays SIGTERM and SIGINT to tsx, which relays them to node.
      // SIGKILL is relayed by no one: node notices that its launcher is gone (local/launcher-watch.ts).
      const npm = run('', ['--memory'], { ...FREE, PORTCULLIS_LOCAL_DIR: tempDataDir() }, ['npm', 'start', '--silent', '--']);
      const [, gatewayPort] = await waitFor(npm, READY);
      const storePort = /^Key store at http:\/\/127\.0\.0\.1:(\d+)/m.exec(npm.stdout)![1]!;
      const issuerPort = /^Issuer at https:\/\/127\.0\.0\.1:(\d+)/m.exec(npm.stdout)![1]!;
      const below = descendantsOf(npm.child.pid!);
      expect(below.length).toBeGreaterThanOrEqual(2); // at least tsx and the node process running start.ts

      npm.child.kill(signal);
      await eventually(async () => {
        for (const port of [gatewayPort, issuerPort, storePort]) expect(await refusesConnections(Number(port)), `port ${port}`).toBe(true);
        expect(below.filter(isRunning)).toEqual([]);
      }, { timeoutMs: 15_000, intervalMs: 100 });
    },
  );

  it('--help gives the gateway cache default the gateway uses (60 s, as the CDK construct)', async () => {
    const help = run('local/start.ts', ['--help'], {});
    expect(await help.exited).toBe(0);
    expect(help.stdout).toContain('AUTHORIZER_CACHE_TTL (60, 0 = off)');
    expect(help.stdout).toContain('PORT (3000), ISSUER_PORT (3001), DYNAMODB_PORT (8000)');
  });

  it.concurrent.each([
    ['PORT', 'local gateway'],
    ['ISSUER_PORT', 'local OAuth issuer'],
    ['DYNAMODB_PORT', 'local DynamoDB store'],
  ])('exits 1 with one line naming the port and %s when that port is in use, without a stack trace', async (variable) => {
    const port = await occupiedPort();
    const started = run('local/start.ts', ['--memory'], { ...FREE, [variable]: String(port), PORTCULLIS_LOCAL_DIR: tempDataDir() });
    expect(await started.exited).toBe(1);
    const lines = started.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`Port ${port}`);
    expect(lines[0]).toContain(`set ${variable} to another port`);
    expect(started.stdout).not.toContain('Gateway ready');
  });

  it('exits 1 with the variable name for a bad setting', async () => {
    const started = run('local/start.ts', ['--memory'], { ...FREE, AUTHORIZER_CACHE_TTL: 'soon', PORTCULLIS_LOCAL_DIR: tempDataDir() });
    expect(await started.exited).toBe(1);
    expect(started.stderr.trim()).toMatch(/AUTHORIZER_CACHE_TTL/);
    expect(started.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('npm run token (cli/token.ts)', () => {
  it('prints only a token on stdout, signed by the running issuer key and accepted by the gateway', async () => {
    const dataDir = tempDataDir();
    const local = await startLocalMode({ ports: { gateway: 0, issuer: 0, dynamodb: 0 }, memory: true, dataDir, env: {}, logLevel: 'SILENT' });
    try {
      const minted = run('cli/token.ts', ['--client-id', 'local-writer', '--scope', 'items:read items:write'], { PORTCULLIS_LOCAL_DIR: dataDir });
      expect(await minted.exited).toBe(0);
      expect(minted.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
      const token = minted.stdout.trim();
      const whoami = await call(local, 'GET', '/whoami', `Bearer ${token}`);
      expect(whoami.status).toBe(200);
      expect(whoami.json()).toMatchObject({ clientId: 'local-writer', scopes: 'items:read items:write', issuer: local.issuerUrl });
      expect((await call(local, 'POST', '/items', `Bearer ${token}`, { name: 'a' })).status).toBe(201);
    } finally {
      await local.stop();
    }
  });

  it('makes an expired token with --ttl=-300 and JSON claim values with --claim', async () => {
    const minted = run(
      'cli/token.ts',
      ['--ttl=-300', '--claim', 'nbf=1767225600', '--claim', 'team=blue', '--claim', 'roles=["a","b"]', '--sub', 'alice', '--aud', 'other-api', '--iss', 'https://issuer.example'],
      { PORTCULLIS_LOCAL_DIR: tempDataDir({ fresh: true }) },
    );
    expect(await minted.exited).toBe(0);
    const claims = JSON.parse(Buffer.from(minted.stdout.trim().split('.')[1]!, 'base64url').toString());
    expect(claims.exp - claims.iat).toBe(-300);
    expect(claims).toMatchObject({ nbf: 1767225600, team: 'blue', roles: ['a', 'b'], sub: 'alice', aud: 'other-api', iss: 'https://issuer.example' });
    // The issuer had never started: the key was created, and said so on stderr only.
    expect(minted.stderr).toContain('signing key');
  });

  it('exits 2 (bad input, as the keys CLI) with the usage on stderr and nothing on stdout for a bad option', async () => {
    const minted = run('cli/token.ts', ['--ttl', 'forever'], { PORTCULLIS_LOCAL_DIR: tempDataDir() });
    expect(await minted.exited).toBe(2);
    expect(minted.stdout).toBe('');
    expect(minted.stderr).toContain('--ttl must be a whole number');
  });

  it('refuses a client the issuer does not have with exit 2, and mints nothing (regression: --client-id nobody minted a token)', async () => {
    const minted = run('cli/token.ts', ['--client-id', 'nobody'], { PORTCULLIS_LOCAL_DIR: tempDataDir() });
    expect(await minted.exited).toBe(2);
    expect(minted.stdout).toBe('');
    expect(minted.stderr).toContain('--client-id: unknown client "nobody"; the dev clients are: local-admin, local-writer, local-reader');
  });

  it('reads --ttl -300 (a space, not =) as the negative lifetime', async () => {
    const minted = run('cli/token.ts', ['--ttl', '-300'], { PORTCULLIS_LOCAL_DIR: tempDataDir() });
    expect(await minted.exited).toBe(0);
    const claims = JSON.parse(Buffer.from(minted.stdout.trim().split('.')[1]!, 'base64url').toString());
    expect(claims.exp - claims.iat).toBe(-300);
  });
});
