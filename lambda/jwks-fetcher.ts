/**
 * Fetches a JWKS document over HTTPS with hard limits: one overall timeout, a byte cap enforced while streaming
 * (and on Content-Length), no redirects, 200 only. Every failure is a {@link DependencyFaultError}: the issuer
 * being down must never look like a bad token.
 */
import { request } from 'node:https';
import { rootCertificates } from 'node:tls';
import { DependencyFaultError } from './errors';

export interface JwksFetchOptions {
  readonly timeoutMs: number;
  readonly maxBytes: number;
  /** Extra PEM CA certificates trusted on top of Node's root store (the local issuer's). */
  readonly extraCa?: string;
}

export type JwksDocumentFetcher = (uri: string) => Promise<Buffer>;

const fault = (message: string, cause?: unknown) =>
  new DependencyFaultError('jwks_unavailable', message, cause === undefined ? undefined : { cause });

export function createJwksFetcher(options: JwksFetchOptions): JwksDocumentFetcher {
  const ca = options.extraCa === undefined ? undefined : [...rootCertificates, options.extraCa];
  return (uri) =>
    new Promise<Buffer>((resolve, reject) => {
      let settled = false;
      const finish = (error: Error | undefined, body?: Buffer) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error) {
          req.destroy();
          reject(error);
        } else resolve(body!);
      };
      const req = request(uri, { method: 'GET', headers: { accept: 'application/json' }, ca }, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          finish(fault(`JWKS endpoint answered HTTP ${res.statusCode}`));
          return;
        }
        const declared = Number(res.headers['content-length']);
        if (Number.isFinite(declared) && declared > options.maxBytes) {
          finish(fault(`JWKS response declares ${declared} bytes, over the ${options.maxBytes} byte cap`));
          return;
        }
        const chunks: Buffer[] = [];
        let received = 0;
        res.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > options.maxBytes) {
            finish(fault(`JWKS response exceeds the ${options.maxBytes} byte cap`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => finish(undefined, Buffer.concat(chunks)));
        res.on('error', (error) => finish(fault('JWKS response failed', error)));
      });
      const timer = setTimeout(() => finish(fault(`JWKS fetch timed out after ${options.timeoutMs} ms`)), options.timeoutMs);
      req.on('error', (error) => finish(fault(`JWKS fetch failed: ${error.name}`, error)));
      req.end();
    });
}
