/**
 * A real HTTPS server standing in for an identity provider in tests: it serves JSON documents at the paths a
 * provider uses (metadata, key sets at non-default paths), answers 404 elsewhere, and counts requests per path.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalhostCertificate } from '../../local/tls-certificate';

export interface ServedResponse {
  readonly status?: number;
  readonly json?: unknown;
  /** Answer after this many milliseconds. */
  readonly delayMs?: number;
  /** Never answer. */
  readonly hang?: boolean;
}

export type RouteHandler = (request: IncomingMessage, body: string) => ServedResponse;

export interface ProviderServer {
  /** `https://127.0.0.1:<port>` */
  readonly origin: string;
  /** PEM of the self-signed certificate, to trust as CA. */
  readonly ca: string;
  /** Serves `response` (or the handler's answer) at `path` for every method. */
  route(path: string, response: ServedResponse | RouteHandler): void;
  requestsTo(path: string): number;
  stop(): Promise<void>;
}

let certificate: Promise<{ key: string; cert: string }> | undefined;

export async function startProviderServer(): Promise<ProviderServer> {
  certificate ??= createLocalhostCertificate(1);
  const tls = await certificate;
  const routes = new Map<string, ServedResponse | RouteHandler>();
  const counts = new Map<string, number>();
  const server: Server = createServer(tls, (req, res) => {
    const path = new URL(req.url ?? '/', 'https://localhost').pathname;
    counts.set(path, (counts.get(path) ?? 0) + 1);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const route = routes.get(path);
      const answer: ServedResponse = route === undefined ? { status: 404, json: { error: 'not_found' } } : typeof route === 'function' ? route(req, Buffer.concat(chunks).toString()) : route;
      if (answer.hang) return;
      const send = () => {
        res.writeHead(answer.status ?? 200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer.json ?? {}));
      };
      if (answer.delayMs !== undefined) setTimeout(send, answer.delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    ca: tls.cert,
    route: (path, response) => routes.set(path, response),
    requestsTo: (path) => counts.get(path) ?? 0,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
