/**
 * `npm run token -- --profile <provider>`: tokens in each provider's documented access-token layout (header and
 * claims), signed by the local issuer's key. The signature is checked with jose against the issuer's public JWK.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compactVerify, decodeProtectedHeader, importJWK } from 'jose';
import { loadOrCreateSigningKey, localPaths } from '../../local/state';
import { mintLocalToken, parseTokenArgs, TokenUsageError } from '../../local/token';
import { mintExtendedToken, splitExtendedTokenArgs } from '../../local/token-profiles';
import { loadDevClients } from '../../local/dev-clients';
import { tempDataDir } from './local-helpers';
import { jwtClaims } from './oauth-helpers';

const ROOT = resolve(__dirname, '../..');
const dataDir = tempDataDir();
const paths = localPaths(dataDir);
const env = { ISSUER_PORT: '3999' };

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function mint(args: string[]): string {
  const { rest, options } = splitExtendedTokenArgs(args);
  const request = parseTokenArgs(rest, loadDevClients());
  return mintExtendedToken(request, options, paths, (plain) => mintLocalToken(plain, paths, env)).token;
}

async function verified(token: string): Promise<void> {
  const key = await importJWK(loadOrCreateSigningKey(paths).key.publicJwk, 'RS256');
  await compactVerify(token, key);
}

describe('Token profiles', () => {
  it('okta: header kid/alg only; ver, cid, uid, scp as an array', async () => {
    const token = mint(['--profile', 'okta', '--client-id', 'local-writer', '--sub', 'alice', '--aud', 'api://default']);
    await verified(token);
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'RS256', kid: expect.any(String) });
    expect(jwtClaims(token)).toMatchObject({ ver: 1, iss: 'https://dev-123456.okta.com/oauth2/default', aud: 'api://default', cid: 'local-writer', uid: expect.stringMatching(/^00u/), sub: 'alice', scp: ['items:read', 'items:write'], jti: expect.stringMatching(/^AT\./) });
  });

  it('entra-v1: typ/x5t/kid header, sts.windows.net issuer, appid, scp as a string for a user', async () => {
    const token = mint(['--profile', 'entra-v1', '--client-id', 'local-reader', '--sub', 'alice']);
    await verified(token);
    const header = decodeProtectedHeader(token);
    expect(header).toMatchObject({ typ: 'JWT', alg: 'RS256' });
    expect(header.x5t).toBe(header.kid);
    const claims = jwtClaims(token);
    expect(claims).toMatchObject({ ver: '1.0', appid: 'local-reader', appidacr: '1', scp: 'items:read', sub: 'alice', upn: 'alice@example.test' });
    expect(claims.iss).toBe(`https://sts.windows.net/${claims.tid}/`);
    expect(claims).not.toHaveProperty('azp');
  });

  it('entra-v2: login.microsoftonline.com/<tid>/v2.0 issuer, azp, and roles (not scp) in an app-only token', async () => {
    const token = mint(['--profile', 'entra-v2', '--client-id', 'local-admin', '--scope', 'items:read items:admin']);
    await verified(token);
    const claims = jwtClaims(token);
    expect(claims).toMatchObject({ ver: '2.0', azp: 'local-admin', azpacr: '1', roles: ['items:read', 'items:admin'], sub: 'local-admin', oid: 'local-admin' });
    expect(claims.iss).toBe(`https://login.microsoftonline.com/${claims.tid}/v2.0`);
    expect(claims).not.toHaveProperty('scp');
  });

  it('auth0: client-credentials shape with gty, sub <client>@clients, scope and RBAC permissions', async () => {
    const token = mint(['--profile', 'auth0', '--client-id', 'local-writer']);
    await verified(token);
    expect(decodeProtectedHeader(token)).toMatchObject({ typ: 'JWT' });
    expect(jwtClaims(token)).toMatchObject({ iss: 'https://portcullis-dev.us.auth0.com/', sub: 'local-writer@clients', azp: 'local-writer', gty: 'client-credentials', scope: 'items:read items:write', permissions: ['items:read', 'items:write'] });
  });

  it('keycloak: typ Bearer, azp, realm_access.roles and resource_access.<client>.roles', async () => {
    const token = mint(['--profile', 'keycloak', '--client-id', 'local-reader', '--sub', 'alice', '--roles', 'items:read', '--iss', 'https://kc.test/realms/r']);
    await verified(token);
    expect(jwtClaims(token)).toMatchObject({
      iss: 'https://kc.test/realms/r',
      typ: 'Bearer',
      azp: 'local-reader',
      sub: 'alice',
      preferred_username: 'alice',
      realm_access: { roles: ['items:read'] },
      resource_access: { 'portcullis-sample-api': { roles: ['items:read'] } },
    });
  });

  it('cognito: header kid/alg only, token_use access, client_id, version 2, cognito:groups, no aud', async () => {
    const token = mint(['--profile', 'cognito', '--client-id', 'local-reader', '--sub', 'alice', '--roles', 'readers']);
    await verified(token);
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'RS256', kid: expect.any(String) });
    const claims = jwtClaims(token);
    expect(claims).toMatchObject({ token_use: 'access', client_id: 'local-reader', version: 2, 'cognito:groups': ['readers'], username: 'alice', scope: 'items:read' });
    expect(claims.iss).toMatch(/^https:\/\/cognito-idp\.us-east-1\.amazonaws\.com\/us-east-1_[A-Za-z0-9]+$/);
    expect(claims).not.toHaveProperty('aud');
  });

  it('--claim still overrides, and an unknown profile is a usage error', () => {
    expect(jwtClaims(mint(['--profile', 'okta', '--claim', 'ver=2'])).ver).toBe(2);
    expect(() => mint(['--profile', 'ping'])).toThrow(TokenUsageError);
    expect(() => mint(['--cert'])).toThrow(TokenUsageError);
  });

  it('works through npm run token (stdout is the token alone)', () => {
    const stdout = execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'cli/token.ts'), '--profile', 'entra-v2', '--sub', 'bob'], {
      cwd: ROOT,
      env: { ...process.env, PORTCULLIS_LOCAL_DIR: dataDir },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    expect(jwtClaims(stdout.trim())).toMatchObject({ ver: '2.0', sub: 'bob' });
  });
});
