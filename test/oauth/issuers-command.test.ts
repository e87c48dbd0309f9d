/**
 * `npm run issuers -- add <issuer URL>`: resolves the issuer's key set from its metadata on a real local HTTPS server
 * (Okta-shaped: keys at /v1/keys, not the default path) and writes an entry the authorizer loads without any
 * discovery call. Metadata naming another issuer writes nothing.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/issuers';
import { parseIssuers } from '../../lambda/config';
import { generateSigningKey, signJwt } from '../../local/jwt-signer';
import { gatewayStatus } from '../support/authorizer-harness';
import { startProviderServer, type ProviderServer } from '../support/provider-server';
import { buildAuthorizer, eventFor, TempFiles } from './support';

const key = generateSigningKey('RS256', 'okta-kid');
const files = new TempFiles();
let server: ProviderServer;
let caFile: string;

function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  return main(argv, { stdout: (t) => out.push(t), stderr: (t) => err.push(t) }).then((code) => ({ code, stdout: out.join(''), stderr: err.join('') }));
}

beforeAll(async () => {
  server = await startProviderServer();
  caFile = files.write(server.ca);
  const issuer = `${server.origin}/oauth2/default`;
  server.route('/oauth2/default/.well-known/openid-configuration', {
    json: { issuer, jwks_uri: `${issuer}/v1/keys`, introspection_endpoint: `${issuer}/v1/introspect`, response_types_supported: ['code'] },
  });
  server.route('/oauth2/default/v1/keys', { json: { keys: [key.publicJwk] } });
  server.route('/oauth2/liar/.well-known/openid-configuration', { json: { issuer: `${server.origin}/oauth2/default`, jwks_uri: `${issuer}/v1/keys` } });
  server.route('/.well-known/oauth-authorization-server/as', { json: { issuer: `${server.origin}/as`, jwks_uri: `${server.origin}/as/keys` } });
});
afterAll(async () => {
  await server.stop();
  files.remove();
});

describe('portcullis issuers add', () => {
  it('writes the resolved issuer, and the authorizer then verifies its tokens without a discovery call', async () => {
    const file = files.write('[]');
    const issuer = `${server.origin}/oauth2/default`;
    const result = await run(['add', `${issuer}/`, '--audience', 'api://default', '--provider', 'okta', '--file', file, '--ca-file', caFile]);
    expect(result.code).toBe(0);
    const written = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>[];
    expect(written).toEqual([{ issuer, audience: ['api://default'], jwksUri: `${issuer}/v1/keys`, provider: 'okta' }]);
    expect(result.stderr).toContain('introspection');

    const metadataRequests = server.requestsTo('/oauth2/default/.well-known/openid-configuration');
    const authorizer = buildAuthorizer({ issuers: written, caFile });
    const now = Math.floor(Date.now() / 1000);
    const token = signJwt(key, { iss: issuer, aud: 'api://default', sub: 'alice', cid: 'web', scp: ['orders:read'], iat: now, exp: now + 300 }, { typ: undefined });
    expect(await gatewayStatus(authorizer, eventFor('GET /orders', `Bearer ${token}`))).toBe(200);
    expect(server.requestsTo('/oauth2/default/.well-known/openid-configuration')).toBe(metadataRequests);
  });

  it('falls back to RFC 8414 metadata and updates an existing entry instead of adding a second one', async () => {
    const file = files.write('[]');
    expect((await run(['add', `${server.origin}/as`, '--any-audience', '--file', file, '--ca-file', caFile])).code).toBe(0);
    const again = await run(['add', `${server.origin}/as`, '--audience', 'x', '--file', file, '--ca-file', caFile]);
    expect(again.stderr).toContain('updated');
    const written = parseIssuers(JSON.parse(readFileSync(file, 'utf8')));
    expect(written.map((entry) => [entry.issuer, entry.jwksUri])).toEqual([[`${server.origin}/as`, `${server.origin}/as/keys`]]);
  });

  it('writes nothing when the metadata names another issuer', async () => {
    const file = join(files.write(''), '..', 'never-written.json');
    const result = await run(['add', `${server.origin}/oauth2/liar`, '--any-audience', '--metadata', 'openid-configuration', '--file', file, '--ca-file', caFile]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('not the configured');
    expect(existsSync(file)).toBe(false);
  });

  it('refuses an http issuer and a missing audience with usage help', async () => {
    expect((await run(['add', 'http://idp.example.com', '--any-audience'])).stderr).toContain('must use https');
    expect((await run(['add', 'https://idp.example.com'])).stderr).toContain('give --audience');
  });

  it('runs as `npm run issuers`', () => {
    const file = files.write('[{"issuer":"https://idp.example.com","audience":null}]');
    const output = execFileSync('npx', ['tsx', 'cli/issuers.ts', 'list', '--file', file], { cwd: join(__dirname, '../..'), encoding: 'utf8' });
    expect(output).toBe('{"issuer":"https://idp.example.com","audience":null}\n');
    writeFileSync(file, '[]');
  });
});
