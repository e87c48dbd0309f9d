/**
 * `npm run client-cert -- [--out client] [--cn NAME] [--days 365]`: writes a TLS client certificate signed by the
 * local client CA (`.local/mtls/`), for the local mode's mutual TLS listener (`MTLS_PORT=3443 npm start`):
 * `<out>.pem` and `<out>-key.pem` (mode 0600). Prints the two paths and the certificate's RFC 8705 thumbprint;
 * `npm run token -- --cert <out>.pem` mints a token bound to it.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { certificateThumbprint } from '../local/client-certificate';
import { issueClientCertificate, loadOrCreateClientCa, mtlsPaths } from '../local/mtls-ca';
import { defaultDataDir } from '../local/state';

const USAGE = `Usage: npm run client-cert -- [--out client] [--cn NAME] [--days 365]

Writes <out>.pem and <out>-key.pem: a client certificate from the local client CA, for MTLS_PORT=3443 npm start.`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { out: { type: 'string', default: 'client' }, cn: { type: 'string', default: 'portcullis-local-client' }, days: { type: 'string', default: '365' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (!/^\d{1,4}$/.test(values.days) || Number(values.days) < 1) throw new Error(`--days must be a whole number of days from 1 to 9999, got ${JSON.stringify(values.days)}`);
  const dataDir = defaultDataDir();
  const ca = await loadOrCreateClientCa(dataDir);
  const issued = await issueClientCertificate(ca, values.cn, Number(values.days));
  const certFile = resolve(`${values.out}.pem`);
  const keyFile = resolve(`${values.out}-key.pem`);
  writeFileSync(certFile, issued.cert);
  writeFileSync(keyFile, issued.key, { mode: 0o600 });
  chmodSync(keyFile, 0o600);
  process.stdout.write(
    [
      `certificate ${certFile}`,
      `key         ${keyFile}`,
      `x5t#S256    ${certificateThumbprint(issued.cert)}`,
      `client CA   ${mtlsPaths(dataDir).caCert}`,
      '',
    ].join('\n'),
  );
}

main().catch((error: Error) => {
  process.stderr.write(`${error.message}\n\n${USAGE}\n`);
  process.exitCode = 1;
});
