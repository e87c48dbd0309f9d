/**
 * One HTTPS request with the hard limits every outbound call of the authorizer keeps (the JWKS fetch, RFC 7662
 * introspection): one overall timeout, a byte cap enforced on Content-Length and while streaming, no redirects.
 * Every failure is the caller's fault error (a DependencyFaultError: an endpoint being down must never look like a
 * bad token); messages name the call, never its body or headers (they may hold a token or a client secret).
 */
import { request, type RequestOptions } from 'node:https';

export interface BoundedResponse {
  readonly status: number;
  readonly body: Buffer;
}

export interface BoundedCall {
  readonly timeoutMs: number;
  readonly maxBytes: number;
  /** Names the call in error texts: `JWKS`, `Introspection`. */
  readonly name: string;
  readonly fault: (message: string, cause?: unknown) => Error;
  /** A status that ends the call before its body is read, with this message. */
  readonly refuseStatus?: (status: number) => string | undefined;
}

export function boundedHttpsRequest(uri: string, init: RequestOptions, payload: Buffer | undefined, call: BoundedCall): Promise<BoundedResponse> {
  const { name, fault, maxBytes } = call;
  return new Promise<BoundedResponse>((resolve, reject) => {
    let settled = false;
    const finish = (error: Error | undefined, response?: BoundedResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) {
        req.destroy();
        reject(error);
      } else resolve(response!);
    };
    const req = request(uri, init, (res) => {
      const status = res.statusCode ?? 0;
      const refused = call.refuseStatus?.(status);
      if (refused !== undefined) {
        res.resume();
        finish(fault(refused));
        return;
      }
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxBytes) {
        finish(fault(`${name} response declares ${declared} bytes, over the ${maxBytes} byte cap`));
        return;
      }
      const chunks: Buffer[] = [];
      let received = 0;
      res.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > maxBytes) {
          finish(fault(`${name} response exceeds the ${maxBytes} byte cap`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => finish(undefined, { status, body: Buffer.concat(chunks) }));
      res.on('error', (error) => finish(fault(`${name} response failed`, error)));
    });
    const timer = setTimeout(() => finish(fault(`${name} request timed out after ${call.timeoutMs} ms`)), call.timeoutMs);
    req.on('error', (error) => finish(fault(`${name} request failed: ${error.name}`, error)));
    req.end(payload);
  });
}
