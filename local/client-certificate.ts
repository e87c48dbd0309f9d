/**
 * A TLS client certificate as API Gateway describes it to a Lambda authorizer and a proxy backend behind a mutual
 * TLS custom domain: `requestContext.identity.clientCert` with `clientCertPem`, `subjectDN`, `issuerDN`,
 * `serialNumber` and `validity` (AWS: "Working with AWS Lambda proxy integrations for REST APIs", input format;
 * @types/aws-lambda `APIGatewayEventClientCertificate`). Also the RFC 8705 thumbprint a bound token carries.
 */
import { createHash, X509Certificate } from 'node:crypto';

export interface ApiGatewayClientCertificate {
  readonly clientCertPem: string;
  readonly subjectDN: string;
  readonly issuerDN: string;
  /** Colon-separated hex octets, e.g. `a1:b2:...`, as in the AWS example. */
  readonly serialNumber: string;
  /** OpenSSL's text form, e.g. `May 28 12:30:02 2019 GMT`, as in the AWS example. */
  readonly validity: { readonly notBefore: string; readonly notAfter: string };
}

/** `CN=client,O=Example` from Node's one-attribute-per-line form, most specific first (RFC 4514 order). */
function distinguishedName(lines: string): string {
  return lines
    .split('\n')
    .filter((line) => line !== '')
    .reverse()
    .join(',');
}

export function apiGatewayClientCertificate(certificate: X509Certificate): ApiGatewayClientCertificate {
  const hex = certificate.serialNumber.toLowerCase();
  const even = hex.length % 2 === 1 ? `0${hex}` : hex;
  return {
    clientCertPem: certificate.toString(),
    subjectDN: distinguishedName(certificate.subject),
    issuerDN: distinguishedName(certificate.issuer),
    serialNumber: even.match(/../g)!.join(':'),
    validity: { notBefore: certificate.validFrom, notAfter: certificate.validTo },
  };
}

/** RFC 8705 section 3.1: `x5t#S256` is the base64url SHA-256 of the certificate's DER encoding. */
export function certificateThumbprint(pem: string): string {
  return createHash('sha256').update(new X509Certificate(pem).raw).digest('base64url');
}
