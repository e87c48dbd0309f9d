/**
 * The local mode's mutual TLS listener (`MTLS_PORT=3443 npm start`): the same gateway over HTTPS with
 * client certificates required, standing in for an API Gateway custom domain with mutual TLS. The server presents
 * the local issuer's certificate (trust `.local/issuer/tls-cert.pem`); clients present a certificate from the local
 * client CA (`npm run client-cert`).
 */
import type { Server } from 'node:https';
import { integer, type Env } from '../lambda/env';
import { LOCAL_HOST } from './constants';
import type { LocalGateway } from './gateway-server';
import { closeServer, listen } from './listen';
import { loadOrCreateClientCa, mtlsPaths } from './mtls-ca';
import type { TlsMaterial } from './tls-certificate';

/** `MTLS_PORT` when set (0 = a free port), else undefined: the listener is off unless asked for. */
export function mtlsPortFromEnv(env: Env): number | undefined {
  if (env.MTLS_PORT === undefined || env.MTLS_PORT.trim() === '') return undefined;
  return integer(env, 'MTLS_PORT', { default: 0, min: 0, max: 65_535 });
}

export interface MtlsListener {
  readonly port: number;
  readonly url: string;
  /** The truststore: client certificates must chain to this CA. */
  readonly clientCaFile: string;
  stop(): Promise<void>;
}

export async function startMtlsListener(options: {
  readonly gateway: LocalGateway;
  readonly serverTls: TlsMaterial;
  readonly dataDir: string;
  readonly port: number;
}): Promise<MtlsListener> {
  const ca = await loadOrCreateClientCa(options.dataDir);
  const server = options.gateway.createServer({ key: options.serverTls.key, cert: options.serverTls.cert, clientCa: ca.cert }) as Server;
  const port = await listen(server, options.port, LOCAL_HOST, 'MTLS_PORT', 'local mutual TLS gateway');
  return {
    port,
    url: `https://${LOCAL_HOST}:${port}`,
    clientCaFile: mtlsPaths(options.dataDir).caCert,
    stop: () => closeServer(server),
  };
}
