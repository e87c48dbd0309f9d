/**
 * With the authorizer's introspection and certificate binding (lambda side): opaque tokens of the local issuer and
 * certificate-bound tokens over the mutual TLS listener, end to end through the local gateway.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateThumbprint } from '../../local/client-certificate';
import { mintAccessToken } from '../../local/access-token';
import { startLocalMode, type LocalMode } from '../../local/mode';
import { issueClientCertificate, loadOrCreateClientCa } from '../../local/mtls-ca';
import { loadSigningKey } from '../../local/state';
import { call, clientToken, tempDataDir } from './local-helpers';

let local: LocalMode;
let dataDir: string;

beforeAll(async () => {
  dataDir = tempDataDir();
  // The gateway's result cache is keyed by the Authorization header (as API Gateway's with that identity source): a
  // cached Allow would skip the certificate check. Off here, so each request reaches the authorizer.
  local = await startLocalMode({ ports: { gateway: 0, issuer: 0, dynamodb: 0 }, mtlsPort: 0, memory: true, dataDir, env: { AUTHORIZER_CACHE_TTL: '0' }, logLevel: 'SILENT' });
});

afterAll(async () => {
  await local?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

function mtlsGet(path: string, tls: { cert: string; key: string }, authorization: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${local.mtls!.url}${path}`, { ca: readFileSync(local.paths.tlsCert, 'utf8'), ...tls, headers: { authorization }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('Opaque tokens through the gateway', () => {
  it('are introspected: active -> allowed routes only; unknown or expired -> 401', async () => {
    const token = await clientToken(local, 'local-opaque', 'items:read');
    expect((await call(local, 'GET', '/items', `Bearer ${token}`)).status).toBe(200);
    expect((await call(local, 'POST', '/items', `Bearer ${token}`, { name: 'x' })).status).toBe(403);
    const whoami = await call(local, 'GET', '/whoami', `Bearer ${token}`);
    expect(whoami.json()).toMatchObject({ clientId: 'local-opaque' });
    expect((await call(local, 'GET', '/items', 'Bearer ptco_unknown')).status).toBe(401);
    const expired = local.oauthIssuer.issueOpaqueToken({ clientId: 'local-opaque', scopes: ['items:read'], ttlSeconds: -1 });
    expect((await call(local, 'GET', '/items', `Bearer ${expired}`)).status).toBe(401);
  });
});

describe('Certificate-bound tokens over mutual TLS', () => {
  it('are accepted with the right certificate and refused with another', async () => {
    const ca = await loadOrCreateClientCa(dataDir);
    const right = await issueClientCertificate(ca, 'right');
    const wrong = await issueClientCertificate(ca, 'wrong');
    const token = mintAccessToken(loadSigningKey(local.paths)!, {
      issuer: local.issuerUrl,
      audience: 'portcullis-sample-api',
      clientId: 'local-reader',
      scopes: ['items:read'],
      extraClaims: { cnf: { 'x5t#S256': certificateThumbprint(right.cert) } },
    });
    expect(await mtlsGet('/items', right, `Bearer ${token}`)).toBe(200);
    expect(await mtlsGet('/items', wrong, `Bearer ${token}`)).toBe(401);
    expect((await call(local, 'GET', '/items', `Bearer ${token}`)).status).toBe(401);
  });
});
