/**
 * The `portcullis` bin as a consumer runs it from the installed package (node_modules/.bin/portcullis, compiled JS, no
 * tsx): every subcommand's help names the installed command, `manifest from-openapi` converts a spec, and `local`
 * asks for its optional peers (dynalite, selfsigned) when they are missing and serves once they are linked. Registered
 * by consumer-app.test.ts, which packs and installs the package once for both.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

export interface InstalledApp {
  /** This repository (its node_modules has the optional peers). */
  readonly root: string;
  /** The temporary app the tarball is installed in, without dynalite or selfsigned. */
  readonly app: string;
}

const READY = /^Gateway ready at (http:\/\/127\.0\.0\.1:\d+)$/m;
const PEERS = ['dynalite', 'selfsigned'];

function portcullis(app: string, args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(join(app, 'node_modules/.bin/portcullis'), args, {
    cwd: app,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}

async function until<T>(what: string, check: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function installedBinTests(installed: () => InstalledApp): void {
  it.each([
    ['attach', 'stdout'],
    ['detach', 'stdout'],
    ['manifest', 'stdout'],
    ['issuers', 'stderr'],
    ['local', 'stdout'],
  ] as const)('`portcullis %s --help` exits 0 and names the installed command', (command, stream) => {
    const help = portcullis(installed().app, [command, '--help']);
    expect(help.code).toBe(0);
    expect(help[stream]).toMatch(/^Usage:/);
    expect(help[stream]).toMatch(new RegExp(`^(Usage:)?\\s+portcullis ${command} `, 'm'));
    expect(help[stream]).not.toMatch(/npm (run|start)/);
  });

  it('lists every subcommand in `portcullis --help`', () => {
    const help = portcullis(installed().app, ['--help']);
    expect(help.code).toBe(0);
    for (const command of ['keys', 'attach', 'detach', 'manifest', 'issuers', 'local']) {
      expect(help.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    }
  });

  it('`portcullis manifest from-openapi` converts an OpenAPI file: scopes to routes, public operations left out', () => {
    const { app } = installed();
    const spec = join(app, 'api.yaml');
    writeFileSync(
      spec,
      [
        'openapi: 3.0.3',
        'info: { title: shop, version: "1" }',
        'components:',
        '  securitySchemes:',
        '    oauth: { type: oauth2, flows: { clientCredentials: { tokenUrl: "https://idp.example.com/token", scopes: { "orders:read": r, "orders:write": w } } } }',
        'paths:',
        '  /orders/{id}:',
        '    get: { security: [{ oauth: ["orders:read"] }], responses: { "200": { description: ok } } }',
        '    put: { security: [{ oauth: ["orders:write"] }], x-portcullis-metered: true, responses: { "200": { description: ok } } }',
        '  /health:',
        '    get: { responses: { "200": { description: ok } } }',
        '',
      ].join('\n'),
    );
    const converted = portcullis(app, ['manifest', 'from-openapi', spec]);
    expect(converted.code).toBe(0);
    expect(JSON.parse(converted.stdout)).toEqual({
      routes: [
        { method: 'GET', path: '/orders/{id}', scopes: ['orders:read'] },
        { method: 'PUT', path: '/orders/{id}', scopes: ['orders:write'], metered: true },
      ],
      publicRoutes: [{ method: 'GET', path: '/health', reason: 'no security' }],
    });
    expect(converted.stderr).toContain('GET /health');
  });

  it('`portcullis local` without dynalite and selfsigned installed exits 2 saying exactly what to install', () => {
    const { app } = installed();
    for (const peer of PEERS) expect(existsSync(join(app, 'node_modules', peer))).toBe(false);
    const local = portcullis(app, ['local', '--memory'], { PORT: '0', ISSUER_PORT: '0', DYNAMODB_PORT: '0' });
    expect(local.code).toBe(2);
    expect(local.stderr).toContain('npm install --save-dev dynalite@4.0.0 selfsigned@5.5.0');
    expect(local.stdout).toBe('');
    expect(existsSync(join(app, '.local'))).toBe(false);
  });

  it('declares dynalite and selfsigned as optional peers, at the versions the local-mode test links', () => {
    const { root, app } = installed();
    const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, unknown>>;
    const shipped = readJson(join(app, 'node_modules/portcullis-authorizer/package.json'));
    const linked = Object.fromEntries(PEERS.map((peer) => [peer, readJson(join(root, 'node_modules', peer, 'package.json')).version]));
    expect(linked).toEqual({ dynalite: '4.0.0', selfsigned: '5.5.0' });
    for (const peer of PEERS) {
      expect(shipped.peerDependencies![peer]).toBe(linked[peer]);
      expect(shipped.peerDependenciesMeta![peer]).toEqual({ optional: true });
    }
  });

  it('`portcullis local --memory` serves the sample API from the installed package once the peers are installed, data in ./.local', async () => {
    const { root, app } = installed();
    for (const peer of PEERS) symlinkSync(join(root, 'node_modules', peer), join(app, 'node_modules', peer), 'dir');
    const child = spawn(join(app, 'node_modules/.bin/portcullis'), ['local', '--memory'], {
      cwd: app,
      env: { ...process.env, PORT: '0', ISSUER_PORT: '0', DYNAMODB_PORT: '0', POWERTOOLS_LOG_LEVEL: 'WARN', PORTCULLIS_LOCAL_DIR: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const gateway = await until(`"Gateway ready" (output: ${stdout} ${stderr})`, () => {
        if (child.exitCode !== null) throw new Error(`portcullis local exited ${child.exitCode}:\n${stdout}\n${stderr}`);
        return READY.exec(stdout)?.[1];
      });
      // The sample API: its public health route, and a protected route that refuses an anonymous caller.
      expect((await fetch(`${gateway}/health`)).status).toBe(200);
      expect((await fetch(`${gateway}/items`)).status).toBe(401);
      expect(existsSync(join(app, '.local/issuer/tls-cert.pem'))).toBe(true);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      await until('the process to be gone', () => (processGone(child.pid!) ? true : undefined));
      expect(stdout).toContain('Stopped');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      for (const peer of PEERS) rmSync(join(app, 'node_modules', peer), { force: true });
      rmSync(join(app, '.local'), { recursive: true, force: true });
    }
  }, 60_000);
}
