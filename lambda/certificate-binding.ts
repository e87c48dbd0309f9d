/**
 * Certificate-bound access tokens (RFC 8705 section 3): a token whose `cnf["x5t#S256"]` names a client certificate is
 * accepted only on a request made with that certificate. With a mutual-TLS custom domain, API Gateway hands the
 * verified client certificate to the authorizer as `requestContext.identity.clientCert` (`clientCertPem`,
 * `subjectDN`, `issuerDN`, `serialNumber`, `validity`; AWS docs, "Configuring mutual TLS authentication for a REST
 * API"). The thumbprint is the base64url SHA-256 of the certificate's DER (RFC 8705 3.1). Checked on every request,
 * after any cache: a remembered token is still bound to its certificate.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { CredentialRejectedError } from './errors';

/** The part of a REQUEST authorizer event that carries the mutual-TLS client certificate. */
export interface ClientCertificateContext {
  readonly identity?: { readonly clientCert?: { readonly clientCertPem?: unknown } | null } | null;
}

/** Thumbprints of recently seen certificates: a client sends the same one on every request. */
const MAX_REMEMBERED_CERTIFICATES = 256;
const thumbprints = new Map<string, string>();

/** base64url(SHA-256(DER)) of a PEM certificate; throws on anything that is not one certificate. */
export function certificateThumbprint(pem: string): string {
  let thumbprint = thumbprints.get(pem);
  if (thumbprint === undefined) {
    thumbprint = createHash('sha256').update(new X509Certificate(pem).raw).digest('base64url');
    if (thumbprints.size >= MAX_REMEMBERED_CERTIFICATES) thumbprints.clear();
    thumbprints.set(pem, thumbprint);
  }
  return thumbprint;
}

const reject = (message: string): never => {
  throw new CredentialRejectedError('certificate_mismatch', message);
};

/** Refuses the request unless it was made with the certificate whose thumbprint the token is bound to. */
export function assertCertificateBinding(boundThumbprint: string, requestContext: ClientCertificateContext | null | undefined): void {
  const pem = requestContext?.identity?.clientCert?.clientCertPem;
  if (typeof pem !== 'string' || pem === '') return reject('Token is bound to a client certificate and the request has none');
  let presented: string;
  try {
    presented = certificateThumbprint(pem);
  } catch {
    return reject('Client certificate does not parse');
  }
  if (presented !== boundThumbprint) reject('Token is bound to another client certificate');
}
