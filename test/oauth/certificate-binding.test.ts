/**
 * Certificate-bound access tokens (RFC 8705) through the handler: a token carrying `cnf["x5t#S256"]` passes only on a
 * request whose mutual-TLS client certificate (as API Gateway hands it over in `requestContext.identity.clientCert`)
 * has that thumbprint; an issuer can require bound tokens. The expected thumbprints are computed here from the PEM
 * text itself (base64 body -> DER -> SHA-256), not with the code under test.
 */
import { createHash, randomBytes } from 'node:crypto';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKey, signJwt } from '../../local/jwt-signer';
import { gatewayStatus } from '../support/authorizer-harness';
import { startIntrospectionServer, type IntrospectionServer } from '../support/introspection-server';
import { startProviderServer, type ProviderServer } from '../support/provider-server';
import { buildAuthorizer, eventFor, TempFiles } from './support';

const key = generateSigningKey('ES256', 'mtls-kid');
const files = new TempFiles();
let server: ProviderServer;
let caFile: string;
let clientCert: string;
let otherCert: string;

/** RFC 8705 3.1: base64url(SHA-256(DER)), DER read straight from the PEM's base64 body. */
function thumbprintOf(pem: string): string {
  const body = pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  return createHash('sha256').update(Buffer.from(body, 'base64')).digest('base64url');
}

async function clientCertificate(commonName: string): Promise<string> {
  const result = await generate([{ name: 'commonName', value: commonName }], { keyType: 'ec', curve: 'P-256', algorithm: 'sha256' });
  return result.cert;
}

beforeAll(async () => {
  server = await startProviderServer();
  server.route('/jwks.json', { json: { keys: [key.publicJwk] } });
  caFile = files.write(server.ca);
  clientCert = await clientCertificate('orders-client');
  otherCert = await clientCertificate('someone-else');
});
afterAll(async () => {
  await server.stop();
  files.remove();
});

const nowSeconds = () => Math.floor(Date.now() / 1000);
const token = (claims: Record<string, unknown> = {}) =>
  signJwt(key, { iss: 'https://idp.example.com', aud: 'orders-api', sub: 'svc', client_id: 'svc', scope: 'orders:read', exp: nowSeconds() + 300, ...claims });
const bound = (pem: string) => ({ cnf: { 'x5t#S256': thumbprintOf(pem) } });

function authorizer(requireBoundToken = false) {
  return buildAuthorizer({
    issuers: [{ issuer: 'https://idp.example.com', audience: 'orders-api', jwksUri: `${server.origin}/jwks.json`, requireBoundToken }],
    caFile,
  });
}

describe('Certificate-bound tokens', () => {
  it('a bound token with the right certificate is allowed', async () => {
    expect(await gatewayStatus(authorizer(), eventFor('GET /orders', `Bearer ${token(bound(clientCert))}`, clientCert))).toBe(200);
  });

  it('a bound token with another certificate is a 401, also once the token is cached', async () => {
    const auth = authorizer();
    const jwt = token(bound(clientCert));
    expect(await gatewayStatus(auth, eventFor('GET /orders', `Bearer ${jwt}`, otherCert))).toBe(401);
    expect(await gatewayStatus(auth, eventFor('GET /orders', `Bearer ${jwt}`, clientCert))).toBe(200);
    // Now remembered as verified: the certificate is still checked on every request.
    expect(await gatewayStatus(auth, eventFor('GET /orders', `Bearer ${jwt}`, otherCert))).toBe(401);
    expect(auth.reasons).toEqual(['certificate_mismatch', 'authorized', 'certificate_mismatch']);
  });

  it('a bound token without a client certificate is a 401', async () => {
    const auth = authorizer();
    expect(await gatewayStatus(auth, eventFor('GET /orders', `Bearer ${token(bound(clientCert))}`))).toBe(401);
    expect(auth.reasons).toEqual(['certificate_mismatch']);
  });

  it('an unbound token is a 401 on an issuer that requires bound tokens, and fine on one that does not', async () => {
    const strict = authorizer(true);
    expect(await gatewayStatus(strict, eventFor('GET /orders', `Bearer ${token()}`, clientCert))).toBe(401);
    expect(strict.reasons).toEqual(['token_not_bound']);
    expect(await gatewayStatus(strict, eventFor('GET /orders', `Bearer ${token(bound(clientCert))}`, clientCert))).toBe(200);
    expect(await gatewayStatus(authorizer(), eventFor('GET /orders', `Bearer ${token()}`, clientCert))).toBe(200);
  });

  it('a confirmation it cannot check (a DPoP key thumbprint) is a 401, not ignored', async () => {
    const jwt = token({ cnf: { jkt: '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I' } });
    expect(await gatewayStatus(authorizer(), eventFor('GET /orders', `Bearer ${jwt}`, clientCert))).toBe(401);
  });
});

describe('Certificate-bound opaque tokens', () => {
  let endpoint: IntrospectionServer;
  beforeAll(async () => {
    endpoint = await startIntrospectionServer({ id: 'orders-api', secret: 's3cret' });
  });
  afterAll(() => endpoint.stop());

  it('checks the cnf of an introspection answer against the request certificate (RFC 8705 3.2)', async () => {
    const opaque = randomBytes(20).toString('base64url');
    endpoint.tokens.set(opaque, { active: true, scope: 'orders:read', client_id: 'svc', aud: 'orders-api', exp: nowSeconds() + 300, ...bound(clientCert) });
    const auth = buildAuthorizer({
      issuers: [
        {
          issuer: 'https://idp.example.com',
          audience: 'orders-api',
          introspection: { endpoint: endpoint.endpoint, clientId: 'orders-api', clientSecretArn: 'orders-api-introspection' },
        },
      ],
      caFile: files.write(endpoint.ca),
      overrides: { issuerFeatures: { readSecret: async () => 's3cret' } },
    });
    expect(await gatewayStatus(auth, eventFor('GET /orders', `Bearer ${opaque}`, clientCert))).toBe(200);
    expect(await gatewayStatus(auth, eventFor('GET /orders', `Bearer ${opaque}`, otherCert))).toBe(401);
    expect(await gatewayStatus(auth, eventFor('GET /orders', `Bearer ${opaque}`))).toBe(401);
  });
});
