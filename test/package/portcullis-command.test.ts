/**
 * The `portcullis` dispatcher: subcommands by name, the key CLI's output and exit codes unchanged but for its help
 * naming the installed command.
 */
import { describe, expect, it } from 'vitest';
import { main as keys } from '../../cli/keys';
import { main, SUBCOMMANDS } from '../../cli/portcullis';

async function run(command: typeof main, argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await command(argv, { stdout: (text) => void (stdout += text), stderr: (text) => void (stderr += text) });
  return { code, stdout, stderr };
}

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
    expect(Object.keys(SUBCOMMANDS)).toContain('keys');
    const help = await run(main, ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: portcullis <command> \[options\]\n\nCommands:\n {2}keys {2}manage API keys/);
    const unknown = await run(main, ['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^error: unknown command "frobnicate"/);
    expect((await run(main, [])).code).toBe(2);
  });
});
