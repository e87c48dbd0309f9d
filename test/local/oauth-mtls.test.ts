/**
 * The local mode's mutual TLS listener, end to end with real client certificates over HTTPS: the gateway hands
 * the authorizer `requestContext.identity.clientCert` as API Gateway does behind a mutual TLS custom domain, and
 * `npm run token -- --cert` binds a token to the certificate (RFC 8705). The oracle for the certificate fields and
 * the thumbprint is the openssl command line.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalMode, type LocalMode } from '../../local/mode';
import type { AuthorizerFunction } from '../../local/gateway-server';
import { issueClientCertificate, loadOrCreateClientCa } from '../../local/mtls-ca';
import { createLocalhostCertificate } from '../../local/tls-certificate';
import { tempDataDir } from './local-helpers';
import { jwtClaims } from './oauth-helpers';

const ROOT = resolve(__dirname, '../..');
let local: LocalMode;
let dataDir: string;
let work: string;
let events: Parameters<AuthorizerFunction>[0][] = [];

beforeAll(async () => {
  dataDir = tempDataDir();
  work = mkdtempSync(join(tmpdir(), 'portcullis-mtls-'));
  local = await startLocalMode({
    ports: { gateway: 0, issuer: 0, dynamodb: 0 },
    mtlsPort: 0,
    memory: true,
    dataDir,
    env: {},
    logLevel: 'SILENT',
    wrapAuthorizer: (authorizer) => (event, context) => {
      events.push(event);
      return authorizer(event, context);
    },
  });
});

afterAll(async () => {
  await local?.stop();
  rmSync(work, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
});

function mtlsGet(path: string, tls: { cert?: string; key?: string }, authorization?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolvePromise, reject) => {
    const req = request(
      `${local.mtls!.url}${path}`,
      { ca: readFileSync(local.paths.tlsCert, 'utf8'), ...tls, headers: authorization ? { authorization } : {}, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function openssl(args: string[], input?: string | Buffer): Buffer {
  return execFileSync('openssl', args, { input, stdio: ['pipe', 'pipe', 'pipe'] });
}

function tokenCli(args: string[]): string {
  return execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'cli/token.ts'), ...args], {
    cwd: ROOT,
    env: { ...process.env, PORTCULLIS_LOCAL_DIR: dataDir, ISSUER_PORT: String(local.ports.issuer) },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

describe('Mutual TLS listener', () => {
  it('passes the client certificate to the authorizer as API Gateway does, and a token bound to it reaches the API', async () => {
    const issued = await issueClientCertificate(await loadOrCreateClientCa(dataDir), 'mtls-test-client');
    const certFile = join(work, 'client.pem');
    writeFileSync(certFile, issued.cert);
    const token = tokenCli(['--client-id', 'local-reader', '--cert', certFile]);
    const der = openssl(['x509', '-outform', 'DER'], issued.cert);
    expect((jwtClaims(token).cnf as Record<string, string>)['x5t#S256']).toBe(createHash('sha256').update(der).digest('base64url'));

    events = [];
    const response = await mtlsGet('/items', { cert: issued.cert, key: issued.key }, `Bearer ${token}`);
    expect(response.status).toBe(200);
    const clientCert = (events[0]!.requestContext as unknown as { identity: { clientCert: Record<string, unknown> } }).identity.clientCert;
    const text = (flag: string) => openssl(['x509', '-noout', flag, '-nameopt', 'RFC2253'], issued.cert).toString().trim();
    expect(clientCert).toEqual({
      clientCertPem: expect.any(String),
      subjectDN: text('-subject').replace(/^subject=/, ''),
      issuerDN: text('-issuer').replace(/^issuer=/, ''),
      serialNumber: text('-serial').replace(/^serial=/, '').toLowerCase().match(/../g)!.join(':'),
      validity: { notBefore: text('-startdate').replace(/^notBefore=/, ''), notAfter: text('-enddate').replace(/^notAfter=/, '') },
    });
    expect(openssl(['x509', '-outform', 'DER'], clientCert.clientCertPem as string).equals(der)).toBe(true);
  });

  it('refuses the handshake without a client certificate or with one the local CA did not sign', async () => {
    await expect(mtlsGet('/health', {})).rejects.toThrow();
    const stranger = await createLocalhostCertificate(1);
    await expect(mtlsGet('/health', { cert: stranger.cert, key: stranger.key })).rejects.toThrow();
  });

  it('leaves clientCert out of events on the plain listener', async () => {
    events = [];
    const token = tokenCli(['--client-id', 'local-reader']);
    const response = await fetch(`${local.gatewayUrl}/items`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    expect((events[0]!.requestContext as unknown as { identity: Record<string, unknown> }).identity).not.toHaveProperty('clientCert');
  });
});
