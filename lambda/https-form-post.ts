/**
 * POSTs a form over HTTPS with the same hard limits as the JWKS fetcher (jwks-fetcher.ts): one overall timeout, a
 * byte cap enforced on Content-Length and while streaming, no redirects, https only. Used for RFC 7662
 * introspection. Every transport failure is a {@link DependencyFaultError}: an endpoint being down must never look
 * like a bad token. The request body (it holds a token) and the headers (they hold a client secret) never appear in
 * an error.
 */
import { rootCertificates } from 'node:tls';
import { boundedHttpsRequest, type BoundedCall, type BoundedResponse } from './bounded-https';
import { DependencyFaultError } from './errors';

export interface FormPostOptions {
  readonly timeoutMs: number;
  readonly maxBytes: number;
  /** Extra PEM CA certificates trusted on top of Node's root store (a local issuer's). */
  readonly extraCa?: string;
}

export type FormPostResponse = BoundedResponse;

export type FormPoster = (uri: string, form: URLSearchParams, headers: Readonly<Record<string, string>>) => Promise<FormPostResponse>;

const fault = (message: string, cause?: unknown) =>
  new DependencyFaultError('introspection_unavailable', message, cause === undefined ? undefined : { cause });

export function createFormPoster(options: FormPostOptions): FormPoster {
  const ca = options.extraCa === undefined ? undefined : [...rootCertificates, options.extraCa];
  const call: BoundedCall = {
    timeoutMs: options.timeoutMs,
    maxBytes: options.maxBytes,
    name: 'Introspection',
    fault,
  };
  return async (uri, form, headers) => {
    if (!uri.startsWith('https://')) throw fault('Introspection endpoint is not https');
    const payload = Buffer.from(form.toString());
    const init = {
      method: 'POST',
      headers: {
        ...headers,
        accept: 'application/json',
        'content-type': 'application/x-www-form-urlencoded',
        'content-length': String(payload.length),
      },
      ca,
    };
    return boundedHttpsRequest(uri, init, payload, call);
  };
}
