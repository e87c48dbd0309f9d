/**
 * A self-signed TLS certificate for 127.0.0.1 and localhost: the local issuer serves its JWKS over https (the
 * authorizer refuses http JWKS URIs, as aws-jwt-verify does), and clients trust this certificate as their CA.
 */
import { generate } from 'selfsigned';

export interface TlsMaterial {
  readonly key: string;
  readonly cert: string;
}

export async function createLocalhostCertificate(days = 825): Promise<TlsMaterial> {
  const now = new Date();
  const result = await generate([{ name: 'commonName', value: 'Portcullis local issuer' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now.getTime() - 60_000),
    notAfterDate: new Date(now.getTime() + days * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }] },
    ],
  });
  return { key: result.private, cert: result.cert };
}
