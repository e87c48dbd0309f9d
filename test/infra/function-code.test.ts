/**
 * Where the construct finds the authorizer handler: the package's prebuilt bundle next to its compiled construct, else
 * this repository's source, else a clear error. The layout decides, never a flag.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { locateHandler, writeFunctionCode } from '../../infra/function-code';

describe('Function: locateHandler', () => {
  const root = mkdtempSync(join(tmpdir(), 'portcullis-layout-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const layout = (name: string, files: Record<string, string>) => {
    for (const [file, content] of Object.entries(files)) {
      mkdirSync(join(root, name, file, '..'), { recursive: true });
      writeFileSync(join(root, name, file), content);
    }
    mkdirSync(join(root, name, 'infra'), { recursive: true });
    return join(root, name, 'infra');
  };

  it('uses the prebuilt handler of an installed package (dist/handler next to dist/infra)', () => {
    const infraDir = layout('package', { 'handler/index.js': 'exports.handler = 1;' });
    expect(locateHandler(infraDir)).toEqual({ kind: 'prebuilt', dir: join(root, 'package', 'handler') });
  });

  it('builds from source in this repository (lambda/index.ts next to infra/)', () => {
    expect(locateHandler(resolve(__dirname, '../../infra'))).toEqual({ kind: 'source', entry: resolve(__dirname, '../../lambda/index.ts') });
  });

  it('fails naming the missing file when the package lost its prebuilt handler', () => {
    const infraDir = layout('broken', { 'infra/index.js': '' });
    expect(() => locateHandler(infraDir)).toThrow(/prebuilt authorizer handler is missing \(.*handler[/\\]index\.js\): reinstall/);
  });

  it('copies the prebuilt handler and its source map, and writes the configuration file beside it', () => {
    const source = join(root, 'prebuilt');
    mkdirSync(source);
    writeFileSync(join(source, 'index.js'), 'exports.handler = 2;');
    writeFileSync(join(source, 'index.js.map'), '{}');
    const out = mkdtempSync(join(root, 'out-'));
    writeFunctionCode(out, { kind: 'prebuilt', dir: source }, true, [{ name: 'portcullis-config.0123456789abcdef.json', content: '{}' }]);
    expect(readFileSync(join(out, 'index.js'), 'utf8')).toBe('exports.handler = 2;');
    expect(readFileSync(join(out, 'index.js.map'), 'utf8')).toBe('{}');
    expect(readFileSync(join(out, 'portcullis-config.0123456789abcdef.json'), 'utf8')).toBe('{}');
  });
});
