/**
 * The user's backend behind the local gateway, reached the way an API Gateway HTTP proxy integration
 * (`HTTP_PROXY`) reaches it: the same method, path, query string, headers and body, hop-by-hop headers dropped
 * (RFC 9110 §7.6.1), `X-Forwarded-For`/`-Proto` added, the backend's status, headers and body passed back as they are.
 *
 * The authorizer context reaches the backend through an explicit header mapping, the one a user configures on the
 * integration (`integration.request.header.X-Portcullis-Principal = context.principalId`, ...; see
 * docs/existing-api.md). Client-sent `X-Portcullis-*` headers are removed first, so a caller cannot forge them.
 *
 * Without a backend, {@link createEchoBackend} answers every route with the request and the context it received, as
 * the sample's `/whoami` does.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { ProxyHandler } from './sample-backend';

/** Request header -> authorizer context key: the mapping the integration applies (`context.<key>`). */
export const CONTEXT_HEADER_MAPPING: Readonly<Record<string, string>> = Object.freeze({
  'X-Portcullis-Principal': 'principalId',
  'X-Portcullis-Auth-Method': 'authMethod',
  'X-Portcullis-Scopes': 'scopes',
  'X-Portcullis-Scopes-Truncated': 'scopesTruncated',
  'X-Portcullis-Key-Id': 'keyId',
  'X-Portcullis-Owner': 'owner',
  'X-Portcullis-Plan': 'plan',
  'X-Portcullis-Issuer': 'issuer',
  'X-Portcullis-Subject': 'sub',
  'X-Portcullis-Client-Id': 'clientId',
});

const CONTEXT_HEADER_PREFIX = 'x-portcullis-';

/** Hop-by-hop headers (RFC 9110 §7.6.1) and those the proxy sets itself. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
]);

/** API Gateway's integration timeout (29 s by default). */
export const INTEGRATION_TIMEOUT_MS = 29_000;

/** The headers the mapping sets for this event's authorizer context (none on public routes). */
export function contextHeaders(event: APIGatewayProxyEvent): Record<string, string> {
  const context = (event.requestContext.authorizer ?? undefined) as Record<string, unknown> | undefined;
  const headers: Record<string, string> = {};
  if (context === undefined) return headers;
  for (const [header, key] of Object.entries(CONTEXT_HEADER_MAPPING)) {
    const value = context[key];
    if (value !== undefined && value !== null && value !== '') headers[header] = String(value);
  }
  return headers;
}

/** The request's headers without hop-by-hop ones, those named in `Connection`, and client-sent X-Portcullis-*. */
function forwardedHeaders(event: APIGatewayProxyEvent): Record<string, string[]> {
  const multi = event.multiValueHeaders ?? {};
  const listed = new Set<string>();
  for (const [name, values] of Object.entries(multi)) {
    if (name.toLowerCase() !== 'connection') continue;
    for (const value of values ?? []) for (const token of value.split(',')) listed.add(token.trim().toLowerCase());
  }
  const out: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(multi)) {
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || listed.has(lower) || lower.startsWith(CONTEXT_HEADER_PREFIX)) continue;
    out[name] = [...(values ?? [])];
  }
  return out;
}

function queryString(event: APIGatewayProxyEvent): string {
  const multi = event.multiValueQueryStringParameters;
  if (!multi) return '';
  const parts: string[] = [];
  for (const [name, values] of Object.entries(multi)) {
    for (const value of values ?? []) parts.push(`${encodeURIComponent(name)}=${encodeURIComponent(value)}`);
  }
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}

function responseHeaders(headers: IncomingHttpHeaders): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    out[name] = Array.isArray(value) ? value : [value];
  }
  return out;
}

export class BackendUrlError extends Error {
  constructor(value: string) {
    super(`--backend must be an http(s) URL such as http://127.0.0.1:8080, got ${JSON.stringify(value)}`);
    this.name = 'BackendUrlError';
  }
}

export function parseBackendUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new BackendUrlError(value);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search !== '' || url.hash !== '' || url.username !== '') {
    throw new BackendUrlError(value);
  }
  return url;
}

/** A ProxyHandler that forwards to `backend` like an HTTP proxy integration. */
export function createHttpProxyBackend(backend: URL, options: { timeoutMs?: number } = {}): ProxyHandler {
  const basePath = backend.pathname.replace(/\/$/, '');
  const send = backend.protocol === 'https:' ? httpsRequest : httpRequest;
  return (event) =>
    new Promise<APIGatewayProxyResult>((resolve, reject) => {
      const headers: Record<string, string | string[]> = forwardedHeaders(event);
      const sourceIp = (event.requestContext.identity as { sourceIp?: string } | undefined)?.sourceIp;
      headers['X-Forwarded-For'] = sourceIp ?? '127.0.0.1';
      headers['X-Forwarded-Proto'] = 'http';
      Object.assign(headers, contextHeaders(event));
      const body = event.body === null ? undefined : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
      if (body !== undefined) headers['Content-Length'] = String(body.length);
      const req = send(
        {
          protocol: backend.protocol,
          hostname: backend.hostname,
          port: backend.port,
          method: event.httpMethod,
          path: `${basePath}${event.path}${queryString(event)}`,
          headers,
          timeout: options.timeoutMs ?? INTEGRATION_TIMEOUT_MS,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () =>
            resolve({
              statusCode: res.statusCode ?? 502,
              headers: {},
              multiValueHeaders: responseHeaders(res.headers),
              body: Buffer.concat(chunks).toString('base64'),
              isBase64Encoded: true,
            }),
          );
        },
      );
      req.on('timeout', () => req.destroy(new Error(`the backend did not answer within ${options.timeoutMs ?? INTEGRATION_TIMEOUT_MS} ms`)));
      req.on('error', reject);
      req.end(body);
    });
}

/** Answers every route with what it received: the request, the authorizer context and the mapped headers. */
export function createEchoBackend(): ProxyHandler {
  return async (event) => {
    const forwarded = forwardedHeaders(event);
    return {
      statusCode: 200,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        method: event.httpMethod,
        path: event.path,
        resource: event.resource,
        pathParameters: event.pathParameters ?? {},
        query: event.multiValueQueryStringParameters ?? {},
        headers: Object.fromEntries(Object.entries(forwarded).map(([name, values]) => [name.toLowerCase(), values.join(', ')])),
        body: event.body,
        authorizer: event.requestContext.authorizer ?? null,
        contextHeaders: contextHeaders(event),
      }),
    };
  };
}
