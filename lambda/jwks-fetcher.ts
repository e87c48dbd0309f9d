/**
 * Fetches a JWKS document over HTTPS with hard limits: one overall timeout, a byte cap enforced while streaming
 * (and on Content-Length), no redirects, 200 only. Every failure is a {@link DependencyFaultError}: the issuer
 * being down must never look like a bad token.
 */
import { rootCertificates } from 'node:tls';
import { boundedHttpsRequest, type BoundedCall } from './bounded-https';
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
  const call: BoundedCall = {
    timeoutMs: options.timeoutMs,
    maxBytes: options.maxBytes,
    name: 'JWKS',
    fault,
    refuseStatus: (status) => (status === 200 ? undefined : `JWKS endpoint answered HTTP ${status}`),
  };
  return async (uri) => (await boundedHttpsRequest(uri, { method: 'GET', headers: { accept: 'application/json' }, ca }, undefined, call)).body;
}
