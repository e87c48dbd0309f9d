/**
 * The local mode's client certificate authority for the mutual TLS listener: made on first use and kept in
 * `.local/mtls/` (the truststore, as a mutual TLS custom domain has one in S3), and the client certificates it
 * signs for `npm run client-cert`.
 */
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { generate } from 'selfsigned';
import type { TlsMaterial } from './tls-certificate';

export interface MtlsPaths {
  readonly caKey: string;
  readonly caCert: string;
}

export function mtlsPaths(dataDir: string): MtlsPaths {
  const dir = join(dataDir, 'mtls');
  return { caKey: join(dir, 'ca-key.pem'), caCert: join(dir, 'ca-cert.pem') };
}

function writeAtomic(path: string, content: string, secret: boolean): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.${randomUUID()}.tmp`;
  writeFileSync(temp, content, { mode: secret ? 0o600 : 0o644 });
  if (secret) chmodSync(temp, 0o600);
  renameSync(temp, path);
}

/** The client CA (a truststore of one), made and kept on first use. */
export async function loadOrCreateClientCa(dataDir: string): Promise<TlsMaterial> {
  const paths = mtlsPaths(dataDir);
  if (existsSync(paths.caKey) && existsSync(paths.caCert)) {
    return { key: readFileSync(paths.caKey, 'utf8'), cert: readFileSync(paths.caCert, 'utf8') };
  }
  const now = Date.now();
  const ca = await generate([{ name: 'commonName', value: 'Portcullis local client CA' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now - 60_000),
    notAfterDate: new Date(now + 825 * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  writeAtomic(paths.caKey, ca.private, true);
  writeAtomic(paths.caCert, ca.cert, false);
  return { key: ca.private, cert: ca.cert };
}

/** A client certificate (key and PEM) signed by the local client CA, for TLS client authentication. */
export async function issueClientCertificate(ca: TlsMaterial, commonName: string, days = 365): Promise<TlsMaterial> {
  const now = Date.now();
  const result = await generate([{ name: 'commonName', value: commonName }, { name: 'organizationName', value: 'Portcullis local' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now - 60_000),
    notAfterDate: new Date(now + days * 86_400_000),
    ca: { key: ca.key, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', clientAuth: true },
    ],
  });
  return { key: result.private, cert: result.cert };
}
