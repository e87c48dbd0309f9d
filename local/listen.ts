/**
 * Starts a server on a loopback port and turns the usual failures into errors a person can act on: a port in use
 * names the port and the variable that moves it.
 */
import type { Server } from 'node:net';
import type { AddressInfo } from 'node:net';

export class PortInUseError extends Error {
  constructor(
    public readonly port: number,
    public readonly variable: string,
    what: string,
    options?: { cause?: unknown },
  ) {
    super(`Port ${port} (${what}) is already in use: stop what uses it or set ${variable} to another port, e.g. ${variable}=${port + 100} npm start`, options);
    this.name = 'PortInUseError';
  }
}

export class PortNotPermittedError extends Error {
  constructor(
    public readonly port: number,
    public readonly variable: string,
    what: string,
    options?: { cause?: unknown },
  ) {
    super(`Port ${port} (${what}) may not be opened by this user: set ${variable} to a port above 1023`, options);
    this.name = 'PortNotPermittedError';
  }
}

/** Listens on host:port (0 = a free port) and resolves with the actual port. */
export function listen(server: Server, port: number, host: string, variable: string, what: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (error.code === 'EADDRINUSE') reject(new PortInUseError(port, variable, what, { cause: error }));
      else if (error.code === 'EACCES') reject(new PortNotPermittedError(port, variable, what, { cause: error }));
      else reject(error);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/** Closes a server, dropping idle and active keep-alive connections so it does not wait for clients. */
export function closeServer(server: Server & { closeAllConnections?: () => void }): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
    server.closeAllConnections?.();
  });
}
