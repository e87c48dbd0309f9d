/**
 * A TCP proxy on loopback that injects faults at the socket: pass traffic, refuse it (the service is down), or
 * delay it (the service is slow). Real sockets, no mocks: the SDK and the JWKS fetcher see genuine failures.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export type ProxyMode =
  | { kind: 'pass' }
  | { kind: 'down' }
  | { kind: 'delay'; ms: number }
  /** Answers every HTTP request itself with this raw response (e.g. DynamoDB's throttling error). */
  | { kind: 'respond'; response: string };

export interface TcpFaultProxy {
  readonly port: number;
  setMode(mode: ProxyMode): void;
  /** Connections accepted so far. */
  readonly connections: number;
  stop(): Promise<void>;
}

export async function startTcpFaultProxy(targetPort: number): Promise<TcpFaultProxy> {
  let mode: ProxyMode = { kind: 'pass' };
  let connections = 0;
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  };
  const server: Server = createServer((client) => {
    connections++;
    track(client);
    if (mode.kind === 'down') {
      client.destroy();
      return;
    }
    if (mode.kind === 'respond') {
      const response = mode.response;
      // One canned answer per request head received (keep-alive clients send several on one socket).
      client.on('data', (chunk) => {
        if (chunk.includes('HTTP/1.1')) client.write(response);
      });
      client.on('error', () => client.destroy());
      return;
    }
    const delayMs = mode.kind === 'delay' ? mode.ms : 0;
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    track(upstream);
    const forward = (from: Socket, to: Socket) =>
      from.on('data', (chunk) => {
        if (delayMs > 0) setTimeout(() => to.writable && to.write(chunk), delayMs);
        else if (to.writable) to.write(chunk);
      });
    forward(client, upstream);
    forward(upstream, client);
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', closeBoth).on('close', closeBoth);
    upstream.on('error', closeBoth).on('close', closeBoth);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    setMode(next) {
      mode = next;
      // Existing keep-alive connections keep the mode they were opened in: cut them, so the new mode applies.
      for (const socket of sockets) socket.destroy();
    },
    get connections() {
      return connections;
    },
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
