/**
 * The `portcullis` dispatcher: subcommands by name, each command's output and exit codes unchanged but for its help
 * naming the installed command (`portcullis attach`) where the repository's npm scripts name themselves
 * (`npm run attach --`). The installed bin itself is tested in consumer-app.test.ts (installed-bin.ts).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main as attach } from '../../cli/attach';
import { main as issuers } from '../../cli/issuers';
import { main as keys } from '../../cli/keys';
import { LOCAL_MODE_PEERS, missingLocalModePeers } from '../../cli/local-command';
import { main as manifest } from '../../cli/manifest';
import { main, SUBCOMMANDS } from '../../cli/portcullis';

type Main = (argv: string[], io: { stdout: (text: string) => void; stderr: (text: string) => void }) => Promise<number>;

async function run(command: Main, argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await command(argv, { stdout: (text) => void (stdout += text), stderr: (text) => void (stderr += text) });
  return { code, stdout, stderr };
}

const ROOT = join(__dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'portcullis-command-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the portcullis command', () => {
  it('runs the key CLI as `portcullis keys`, its help naming the installed command', async () => {
    const viaBin = await run(main, ['keys', '--help']);
    const viaRepo = await run(keys, ['--help']);
    expect(viaBin.code).toBe(0);
    expect(viaBin.stdout).toMatch(/^Usage: portcullis keys <command> \[options\]/);
    expect(viaRepo.stdout).toMatch(/^Usage: npm run keys -- <command> \[options\]/);
    expect(viaBin.stdout).toBe(viaRepo.stdout.split('npm run keys --').join('portcullis keys'));
  });

  it('keeps the key CLI exit codes: a usage error is 2 either way', async () => {
    const viaBin = await run(main, ['keys', 'nope']);
    const viaRepo = await run(keys, ['nope']);
    expect(viaBin).toEqual(viaRepo);
    expect(viaBin.code).toBe(2);
  });

  it('lists its subcommands, and refuses an unknown one with exit code 2', async () => {
    expect(Object.keys(SUBCOMMANDS)).toEqual(['keys', 'attach', 'detach', 'manifest', 'issuers', 'local']);
    const help = await run(main, ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: portcullis <command> \[options\]\n\nCommands:\n {2}keys +manage API keys/);
    for (const name of Object.keys(SUBCOMMANDS)) expect(help.stdout).toMatch(new RegExp(`^ {2}${name} {2,}\\S`, 'm'));
    const unknown = await run(main, ['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^error: unknown command "frobnicate"/);
    expect((await run(main, [])).code).toBe(2);
  });

  it('`portcullis attach` and `portcullis detach`: the same help as `npm run attach --`, naming the installed commands', async () => {
    const viaRepo = await run(attach, ['--help']);
    expect(viaRepo.stdout).toMatch(/^Usage: npm run attach -- \[plan\|apply\|check\] --manifest FILE/);
    expect(viaRepo.stdout).toContain('\n       npm run attach -- detach [--dry-run]');
    const installed = viaRepo.stdout.split('npm run attach -- detach').join('portcullis detach').split('npm run attach --').join('portcullis attach');
    for (const command of ['attach', 'detach']) {
      const viaBin = await run(main, [command, '--help']);
      expect(viaBin).toEqual({ code: 0, stdout: installed, stderr: '' });
    }
  });

  it('`portcullis attach` keeps its exit codes: 2 for an unknown command or a missing --manifest', async () => {
    for (const argv of [['frobnicate'], ['plan', '--rest-api-id', 'a', '--authorizer-id', 'b', '--stage', 'c']]) {
      const viaBin = await run(main, ['attach', ...argv]);
      const viaRepo = await run(attach, argv);
      expect(viaBin.code).toBe(2);
      expect(viaRepo.code).toBe(2);
    }
    expect((await run(main, ['attach', 'plan'])).stderr).toContain('plan needs --manifest FILE');
  });

  it('`portcullis manifest`: the same help, conversion and exit codes as `npm run manifest --`', async () => {
    const viaRepo = await run(manifest, ['--help']);
    expect(viaRepo.stdout).toMatch(/^Usage: npm run manifest -- from-openapi FILE/);
    const installed = viaRepo.stdout.split('npm run manifest --').join('portcullis manifest');
    expect(await run(main, ['manifest', '--help'])).toEqual({ code: 0, stdout: installed, stderr: '' });

    const spec = join(work, 'api.json');
    writeFileSync(
      spec,
      JSON.stringify({
        swagger: '2.0',
        info: { title: 't', version: '1' },
        securityDefinitions: { oauth: { type: 'oauth2', flow: 'application', tokenUrl: 'https://idp.example.com/token', scopes: { 'pets:read': 'r' } } },
        paths: { '/pets': { get: { security: [{ oauth: ['pets:read'] }], responses: { 200: { description: 'ok' } } } } },
      }),
    );
    const converted = await run(main, ['manifest', 'from-openapi', spec]);
    expect(converted.code).toBe(0);
    expect(JSON.parse(converted.stdout)).toEqual({ routes: [{ method: 'GET', path: '/pets', scopes: ['pets:read'] }], publicRoutes: [] });
    expect(converted).toEqual(await run(manifest, ['from-openapi', spec]));
    const missing = join(work, 'missing.yaml');
    expect((await run(main, ['manifest', 'from-openapi', missing])).code).toBe((await run(manifest, ['from-openapi', missing])).code);
    expect((await run(main, ['manifest', 'frobnicate'])).code).toBe(2);
  });

  it('`portcullis issuers`: the same help (on stderr) and exit codes as `npm run issuers --`', async () => {
    const viaRepo = await run(issuers, ['--help']);
    expect(viaRepo.stderr).toMatch(/^Usage:\n {2}npm run issuers -- add <issuer URL>/);
    const installed = viaRepo.stderr.split('npm run issuers --').join('portcullis issuers');
    expect(await run(main, ['issuers', '--help'])).toEqual({ code: 0, stdout: '', stderr: installed });
    expect((await run(main, ['issuers'])).code).toBe(1);
    expect((await run(issuers, [])).code).toBe(1);
  });

  it('`portcullis local --help` names the installed command; a bad argument exits 1 as `npm start` does', async () => {
    const help = await run(main, ['local', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: portcullis local \[--memory\] \[--manifest FILE \[--issuers FILE\] \[--backend URL\]\]\n/);
    expect(help.stdout).not.toMatch(/npm (start|run)/);
    const bad = await run(main, ['local', '--issuers', 'x.json']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^--issuers and --backend go with --manifest/);
    expect(bad.stderr).toContain('Usage: portcullis local');
  });
});

describe('the local mode optional peers', () => {
  it('are the versions package.json declares as optional peers and develops with', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, Record<string, unknown>>;
    for (const [name, version] of Object.entries(LOCAL_MODE_PEERS)) {
      expect(pkg.peerDependencies![name]).toBe(version);
      expect(pkg.devDependencies![name]).toBe(version);
      expect(pkg.peerDependenciesMeta![name]).toEqual({ optional: true });
    }
  });

  it('are found in this repository, and a package that does not resolve is reported missing', () => {
    expect(missingLocalModePeers()).toEqual([]);
    const onlySelfsigned = (name: string) => {
      if (name !== 'selfsigned') throw Object.assign(new Error(`Cannot find module '${name}'`), { code: 'MODULE_NOT_FOUND' });
      return `/app/node_modules/${name}/index.js`;
    };
    expect(missingLocalModePeers(onlySelfsigned)).toEqual(['dynalite']);
  });
});
