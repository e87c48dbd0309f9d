/**
 * Helpers for the OAuth tests: a fetch for openid-client that trusts the local issuer's self-signed certificate
 * (through node:https, so the trust stays in this test), and the developer's side of the login page.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import type { LocalMode } from '../../local/mode';

type FetchOptions = { method: string; headers: Record<string, string>; body?: unknown; signal?: AbortSignal };

/** A Fetch API function over node:https that trusts `ca` and never follows redirects (as openid-client asks). */
export function httpsFetchTrusting(ca: string): (url: string, options: FetchOptions) => Promise<Response> {
  return (url, options) =>
    new Promise((resolve, reject) => {
      const req = request(url, { method: options.method, headers: options.headers, ca, signal: options.signal }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const headers = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            if (value === undefined) continue;
            for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
          }
          const status = res.statusCode ?? 500;
          const noBody = status === 204 || status === 304;
          resolve(new Response(noBody ? null : Buffer.concat(chunks), { status, headers }));
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      const body = options.body;
      if (body === undefined || body === null) req.end();
      else if (typeof body === 'string' || body instanceof Uint8Array) req.end(body);
      else if (body instanceof URLSearchParams) req.end(body.toString());
      else reject(new Error(`unsupported request body ${Object.prototype.toString.call(body)}`));
    });
}

export function issuerFetch(local: LocalMode) {
  return httpsFetchTrusting(readFileSync(local.paths.tlsCert, 'utf8'));
}

/** Opens the login page at `authorizationUrl`, picks `user` and answers; returns where the issuer redirects. */
export async function signIn(local: LocalMode, authorizationUrl: URL | string, user: string, decision: 'allow' | 'deny' = 'allow'): Promise<URL> {
  const fetchIssuer = issuerFetch(local);
  const page = await fetchIssuer(String(authorizationUrl), { method: 'GET', headers: {} });
  if (page.status !== 200) {
    const location = page.headers.get('location');
    if (location) return new URL(location);
    throw new Error(`login page: ${page.status} ${await page.text()}`);
  }
  const html = await page.text();
  const requestId = /name="request" value="([^"]+)"/.exec(html)?.[1];
  if (!requestId) throw new Error('login page without a request id');
  const answer = await fetchIssuer(`${local.issuerUrl}/authorize`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ request: requestId, user, decision }).toString(),
  });
  const location = answer.headers.get('location');
  if (answer.status !== 303 || !location) throw new Error(`consent: ${answer.status} ${await answer.text()}`);
  return new URL(location);
}

export function jwtClaims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}
