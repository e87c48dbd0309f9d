/**
 * The configuration file a deployment ships next to the handler (CONFIG_FILE): read once at cold start, checked
 * against its hashed name, its deploy-time references filled from CONFIG_VALUES, and refused when it disagrees with
 * the environment.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lambda/config';

const dir = mkdtempSync(join(tmpdir(), 'portcullis-config-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes a file named as a deployment names it (the SHA-256 prefix computed here, independently). */
function shipped(document: unknown): string {
  const content = `${JSON.stringify(document)}\n`;
  const name = `portcullis-config.${createHash('sha256').update(content).digest('hex').slice(0, 16)}.json`;
  writeFileSync(join(dir, name), content);
  return name;
}

const ROUTES = { routes: [{ method: 'GET', path: '/items', scopes: ['items:read'] }] };
const COGNITO = [{ cognitoUserPoolId: { $deployValue: 0 }, clientIds: [{ $deployValue: 1 }] }];

describe('Function: loadConfig with CONFIG_FILE', () => {
  it('reads routes and issuers from the file, deploy-time values from CONFIG_VALUES', () => {
    const config = loadConfig(
      { CONFIG_FILE: shipped({ ROUTE_MANIFEST: ROUTES, JWT_ISSUERS: COGNITO }), CONFIG_VALUES: '["eu-west-1_Abc","client-1"]' },
      { configDir: dir },
    );
    expect(config.manifest.find('GET', '/items')?.requirement).toEqual([['items:read']]);
    expect(config.issuers[0]).toMatchObject({ userPoolId: 'eu-west-1_Abc', clientIds: ['client-1'] });
  });

  it('refuses a file whose content does not match its hashed name (a damaged file)', () => {
    const name = shipped({ ROUTE_MANIFEST: ROUTES, JWT_ISSUERS: [{ issuer: 'https://a.example/', audience: null }] });
    writeFileSync(join(dir, name), JSON.stringify({ ROUTE_MANIFEST: { routes: [] } }));
    expect(() => loadConfig({ CONFIG_FILE: name }, { configDir: dir })).toThrow(/^CONFIG_FILE: .*does not match the SHA-256/);
  });

  it.each([
    ['a missing file', { CONFIG_FILE: 'portcullis-config.missing.json' }, /^CONFIG_FILE: cannot read /],
    ['a setting given twice', { CONFIG_FILE: shipped({ ROUTE_MANIFEST: ROUTES }), ROUTE_MANIFEST: '{"routes":[]}', KEY_TABLE_NAME: 't' }, /^ROUTE_MANIFEST: is set both/],
    ['a setting the file may not hold', { CONFIG_FILE: shipped({ ROUTE_MANIFEST: ROUTES, KEY_TABLE_NAME: 't' }) }, /^CONFIG_FILE: KEY_TABLE_NAME cannot be set in the file/],
    ['a reference CONFIG_VALUES lacks', { CONFIG_FILE: shipped({ ROUTE_MANIFEST: ROUTES, JWT_ISSUERS: COGNITO }), CONFIG_VALUES: '["eu-west-1_Abc"]' }, /^JWT_ISSUERS: refers to deploy value 1/],
    ['CONFIG_VALUES that is not an array of strings', { CONFIG_FILE: shipped({ ROUTE_MANIFEST: ROUTES, JWT_ISSUERS: COGNITO }), CONFIG_VALUES: '[1]' }, /^CONFIG_VALUES: /],
  ])('fails the cold start on %s, naming the setting', (_name, env, message) => {
    expect(() => loadConfig(env, { configDir: dir })).toThrow(message);
  });
});
