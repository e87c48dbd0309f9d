/**
 * A real HTTPS JWKS endpoint for tests, with a self-signed certificate, whose answers can be switched to the faults
 * an issuer shows in practice (down, slow, HTML, empty key set, oversized body) and which counts its requests.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createLocalhostCertificate } from '../../local/tls-certificate';
import type { SigningKey } from '../../local/jwt-signer';

export type JwksBehaviour =
  | { kind: 'keys' }
  | { kind: 'status'; status: number }
  | { kind: 'html' }
  | { kind: 'empty' }
  | { kind: 'oversized'; bytes: number }
  | { kind: 'slow'; ms: number }
  | { kind: 'hang' };

export interface JwksServer {
  readonly issuer: string;
  readonly jwksUri: string;
  /** PEM of the self-signed certificate, to trust as CA. */
  readonly ca: string;
  keys: SigningKey[];
  behaviour: JwksBehaviour;
  readonly requests: number;
  stop(): Promise<void>;
}

let certificate: Promise<{ key: string; cert: string }> | undefined;

export async function startJwksServer(keys: SigningKey[]): Promise<JwksServer> {
  certificate ??= createLocalhostCertificate(1);
  const tls = await certificate;
  let requests = 0;
  const state = { keys, behaviour: { kind: 'keys' } as JwksBehaviour };
  const server: Server = createServer(tls, (req, res) => {
    requests++;
    const b = state.behaviour;
    const sendKeys = () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: state.keys.map((key) => key.publicJwk) }));
    };
    switch (b.kind) {
      case 'keys':
        return sendKeys();
      case 'status':
        res.writeHead(b.status, { 'content-type': 'text/plain' });
        return res.end('error');
      case 'html':
        res.writeHead(200, { 'content-type': 'text/html' });
        return res.end('<html><body>Service Unavailable</body></html>');
      case 'empty':
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end('{"keys":[]}');
      case 'oversized':
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(`{"keys":[],"pad":"${'x'.repeat(b.bytes)}"}`);
      case 'slow':
        setTimeout(sendKeys, b.ms);
        return;
      case 'hang':
        return; // never answers
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const issuer = `https://127.0.0.1:${port}`;
  return {
    issuer,
    jwksUri: `${issuer}/.well-known/jwks.json`,
    ca: tls.cert,
    get keys() {
      return state.keys;
    },
    set keys(next) {
      state.keys = next;
    },
    get behaviour() {
      return state.behaviour;
    },
    set behaviour(next) {
      state.behaviour = next;
    },
    get requests() {
      return requests;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
