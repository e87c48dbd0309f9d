/**
 * Regression: the key CLI hung forever on an endpoint that accepts connections and never answers (the SDK's
 * requestTimeout only warns without throwOnRequestTimeout). Every call now has a deadline (--timeout); when it
 * passes the command exits 1 naming the endpoint. Real TCP servers that accept and stay silent, no mocks.
 */
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { execFile } from 'node:child_process';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKeysCli } from '../../cli/keys/main';
import type { ClientFactories } from '../../cli/keys/target';

const ROOT = join(__dirname, '../..');
const TSX = join(ROOT, 'node_modules/tsx/dist/cli.mjs');
const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

let silent: Server;
let port: number;
const sockets = new Set<Socket>();

beforeAll(async () => {
  // Accepts every connection, reads everything, answers nothing.
  silent = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.resume();
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  port = (silent.address() as AddressInfo).port;
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => silent.close(resolve));
});

/** SDK clients whose every endpoint is the silent server. */
function silentClients(): ClientFactories {
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    dynamodb: (config) => new DynamoDBClient({ ...config, endpoint, credentials: CREDENTIALS }),
    apiGateway: (config) => new APIGatewayClient({ ...config, endpoint, credentials: CREDENTIALS }),
    cloudFormation: (config) => new CloudFormationClient({ ...config, endpoint, credentials: CREDENTIALS }),
  };
}

async function run(argv: string[], io: { env?: Record<string, string>; clients?: ClientFactories } = {}) {
  let stdout = '';
  let stderr = '';
  const started = performance.now();
  const code = await runKeysCli(argv, {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    env: io.env ?? {},
    clients: io.clients,
  });
  return { code, stdout, stderr, seconds: (performance.now() - started) / 1000 };
}

describe('A call that gets no answer', () => {
  it('ends the command with exit 1 at the deadline, naming the local store it waited for', async () => {
    const result = await run(['list', '--local', '--timeout', '1s'], { env: { DYNAMODB_PORT: String(port) } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`no answer from http://127.0.0.1:${port} within 1 s`);
    expect(result.stdout).toBe('');
    expect(result.seconds).toBeLessThan(4);
  });

  it('ends a write command (create, with its retries) at the deadline on an AWS target, naming the endpoint', async () => {
    const result = await run(
      ['create', '--owner', 'acme', '--scopes', 'items:read', '--table', 'keys', '--usage-plan-id', 'free=abc123', '--region', 'eu-west-1', '--timeout', '1s'],
      { clients: silentClients() },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`DynamoDB .* failed: no answer from http://127\\.0\\.0\\.1:${port} within 1 s`));
    expect(result.stdout).toBe('');
    expect(result.seconds).toBeLessThan(4);
  });

  it('ends the stack lookup at the deadline, naming the CloudFormation endpoint', async () => {
    const result = await run(['list', '--stack', 'Silent', '--region', 'eu-west-1', '--timeout', '1s'], { clients: silentClients() });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`CloudFormation DescribeStacks (Silent) failed: no answer from http://127.0.0.1:${port} within 1 s`);
    expect(result.seconds).toBeLessThan(4);
  });

  it('ends the real process too (npm run keys), with exit 1', async () => {
    const started = performance.now();
    const { code, stderr } = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [TSX, 'cli/keys.ts', 'show', 'key_0123456789abcdef', '--local', '--timeout', '1s'],
        { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, DYNAMODB_PORT: String(port) }, timeout: 20_000 },
        (error, _stdout, err) => resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stderr: err }),
      );
    });
    expect(code).toBe(1);
    expect(stderr).toContain(`no answer from http://127.0.0.1:${port} within 1 s`);
    expect((performance.now() - started) / 1000).toBeLessThan(10);
  });

  it('refuses a timeout that is not a duration, before any call', async () => {
    const result = await run(['list', '--local', '--timeout', '0s'], { env: { DYNAMODB_PORT: String(port) } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--timeout: 0s is out of range');
  });
});
