/**
 * POSTs a form over HTTPS with the same hard limits as the JWKS fetcher (jwks-fetcher.ts): one overall timeout, a
 * byte cap enforced on Content-Length and while streaming, no redirects, https only. Used for RFC 7662
 * introspection. Every transport failure is a {@link DependencyFaultError}: an endpoint being down must never look
 * like a bad token. The request body (it holds a token) and the headers (they hold a client secret) never appear in
 * an error.
 */
import { request } from 'node:https';
import { rootCertificates } from 'node:tls';
import { DependencyFaultError } from './errors';

export interface FormPostOptions {
  readonly timeoutMs: number;
  readonly maxBytes: number;
  /** Extra PEM CA certificates trusted on top of Node's root store (a local issuer's). */
  readonly extraCa?: string;
}

export interface FormPostResponse {
  readonly status: number;
  readonly body: Buffer;
}

export type FormPoster = (uri: string, form: URLSearchParams, headers: Readonly<Record<string, string>>) => Promise<FormPostResponse>;

const fault = (message: string, cause?: unknown) =>
  new DependencyFaultError('introspection_unavailable', message, cause === undefined ? undefined : { cause });

export function createFormPoster(options: FormPostOptions): FormPoster {
  const ca = options.extraCa === undefined ? undefined : [...rootCertificates, options.extraCa];
  return (uri, form, headers) =>
    new Promise<FormPostResponse>((resolve, reject) => {
      if (!uri.startsWith('https://')) {
        reject(fault('Introspection endpoint is not https'));
        return;
      }
      const payload = Buffer.from(form.toString());
      let settled = false;
      const finish = (error: Error | undefined, response?: FormPostResponse) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error) {
          req.destroy();
          reject(error);
        } else resolve(response!);
      };
      const req = request(
        uri,
        {
          method: 'POST',
          headers: {
            ...headers,
            accept: 'application/json',
            'content-type': 'application/x-www-form-urlencoded',
            'content-length': String(payload.length),
          },
          ca,
        },
        (res) => {
          const status = res.statusCode ?? 0;
          const declared = Number(res.headers['content-length']);
          if (Number.isFinite(declared) && declared > options.maxBytes) {
            finish(fault(`Introspection response declares ${declared} bytes, over the ${options.maxBytes} byte cap`));
            return;
          }
          const chunks: Buffer[] = [];
          let received = 0;
          res.on('data', (chunk: Buffer) => {
            received += chunk.length;
            if (received > options.maxBytes) {
              finish(fault(`Introspection response exceeds the ${options.maxBytes} byte cap`));
              return;
            }
            chunks.push(chunk);
          });
          res.on('end', () => finish(undefined, { status, body: Buffer.concat(chunks) }));
          res.on('error', (error) => finish(fault('Introspection response failed', error)));
        },
      );
      const timer = setTimeout(() => finish(fault(`Introspection timed out after ${options.timeoutMs} ms`)), options.timeoutMs);
      req.on('error', (error) => finish(fault(`Introspection request failed: ${error.name}`, error)));
      req.end(payload);
    });
}
