/**
 * What the local mode keeps on disk, under `.local/` (git-ignored): the issuer's TLS certificate and signing key
 * (kept even with `--memory`, so tokens stay valid across restarts and `npm run token` can sign while `npm start`
 * runs), the address of the last issuer started, and the store's data.
 *
 *   .local/issuer/tls-key.pem, tls-cert.pem   self-signed certificate for 127.0.0.1 (trust it as a CA)
 *   .local/issuer/signing-key.pem, .json      the issuer's current token signing key (PKCS#8) and its kid/alg
 *   .local/issuer/issuer.json                 the issuer URL of the last `npm start`
 *   .local/dynamodb/                          the store's LevelDB files (not used with --memory)
 */
import { randomUUID, X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { generateSigningKey, signingKeyFromPem, type SigningAlgorithm, type SigningKey } from './jwt-signer';
import { createLocalhostCertificate, type TlsMaterial } from './tls-certificate';

/** `.local/` at the repository root, wherever the command is run from. `PORTCULLIS_LOCAL_DIR` moves it (tests). */
export function defaultDataDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const override = env.PORTCULLIS_LOCAL_DIR?.trim();
  return override ? resolve(override) : resolve(__dirname, '../.local');
}

export interface LocalPaths {
  readonly dataDir: string;
  readonly tlsKey: string;
  readonly tlsCert: string;
  readonly signingKey: string;
  readonly signingKeyMeta: string;
  readonly issuerInfo: string;
  readonly dynamoDbDir: string;
}

export function localPaths(dataDir: string): LocalPaths {
  const issuer = join(dataDir, 'issuer');
  return {
    dataDir,
    tlsKey: join(issuer, 'tls-key.pem'),
    tlsCert: join(issuer, 'tls-cert.pem'),
    signingKey: join(issuer, 'signing-key.pem'),
    signingKeyMeta: join(issuer, 'signing-key.json'),
    issuerInfo: join(issuer, 'issuer.json'),
    dynamoDbDir: join(dataDir, 'dynamodb'),
  };
}

/** Writes atomically (temp file + rename), private files with mode 0600. */
function writeFileAtomic(path: string, content: string, secret = false): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.${randomUUID()}.tmp`;
  writeFileSync(temp, content, { mode: secret ? 0o600 : 0o644 });
  if (secret) chmodSync(temp, 0o600);
  renameSync(temp, path);
}

function certificateUsable(pem: string, nowMs: number): boolean {
  try {
    const cert = new X509Certificate(pem);
    // Renew a day early so a long-running session does not cross the expiry.
    return Date.parse(cert.validTo) - nowMs > 86_400_000 && Date.parse(cert.validFrom) <= nowMs;
  } catch {
    return false;
  }
}

/** The issuer's TLS certificate, made on first start and kept (renewed when expired or unreadable). */
export async function loadOrCreateIssuerTls(paths: LocalPaths, nowMs = Date.now()): Promise<TlsMaterial> {
  if (existsSync(paths.tlsKey) && existsSync(paths.tlsCert)) {
    const tls = { key: readFileSync(paths.tlsKey, 'utf8'), cert: readFileSync(paths.tlsCert, 'utf8') };
    if (certificateUsable(tls.cert, nowMs)) return tls;
  }
  const tls = await createLocalhostCertificate();
  writeFileAtomic(paths.tlsKey, tls.key, true);
  writeFileAtomic(paths.tlsCert, tls.cert);
  return tls;
}

const SIGNING_ALGORITHM: SigningAlgorithm = 'RS256';

interface SigningKeyMeta {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
}

/** The issuer's current signing key, or undefined when the issuer has never made one. */
export function loadSigningKey(paths: LocalPaths): SigningKey | undefined {
  if (!existsSync(paths.signingKey) || !existsSync(paths.signingKeyMeta)) return undefined;
  const meta = JSON.parse(readFileSync(paths.signingKeyMeta, 'utf8')) as SigningKeyMeta;
  return signingKeyFromPem(readFileSync(paths.signingKey, 'utf8'), meta.alg, meta.kid);
}

/** The current signing key, made (and kept) on first use. */
export function loadOrCreateSigningKey(paths: LocalPaths): { key: SigningKey; created: boolean } {
  const existing = loadSigningKey(paths);
  if (existing) return { key: existing, created: false };
  const key = generateSigningKey(SIGNING_ALGORITHM, `local-${randomUUID().slice(0, 8)}`);
  const pem = key.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  writeFileAtomic(paths.signingKey, pem, true);
  writeFileAtomic(paths.signingKeyMeta, `${JSON.stringify({ kid: key.kid, alg: key.alg } satisfies SigningKeyMeta)}\n`);
  return { key, created: true };
}

export interface IssuerInfo {
  readonly issuer: string;
  readonly jwksUri: string;
  readonly tokenEndpoint: string;
}

export function writeIssuerInfo(paths: LocalPaths, info: IssuerInfo): void {
  writeFileAtomic(paths.issuerInfo, `${JSON.stringify(info, null, 2)}\n`);
}

export function readIssuerInfo(paths: LocalPaths): IssuerInfo | undefined {
  try {
    return JSON.parse(readFileSync(paths.issuerInfo, 'utf8')) as IssuerInfo;
  } catch {
    return undefined;
  }
}
