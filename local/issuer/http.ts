/**
 * HTTP plumbing of the local issuer's endpoints: JSON and HTML answers, OAuth error bodies (RFC 6749 section 5.2),
 * form bodies with a size cap, and client authentication (section 2.3.1: HTTP Basic or the form body; a public
 * client sends only its `client_id`).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyTooLargeError, readBody } from '../read-body';
import { isPublicClient, type DevClient } from '../dev-clients';

export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope';

/** Largest form body read. */
const MAX_FORM_BYTES = 8192;

export const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' } as const;

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json;charset=UTF-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    'content-type': 'text/html;charset=UTF-8',
    'content-length': Buffer.byteLength(html),
    // Inline styles only; no scripts, no framing (a consent page must not be clickjacked).
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    ...NO_STORE,
  });
  res.end(html);
}

export function oauthError(res: ServerResponse, code: OAuthErrorCode, description: string, basicChallenge = false): void {
  const status = code === 'invalid_client' ? 401 : 400;
  sendJson(res, status, { error: code, error_description: description }, {
    ...NO_STORE,
    ...(basicChallenge ? { 'www-authenticate': 'Basic realm="portcullis-local-issuer", charset="UTF-8"' } : {}),
  });
}

/** Compares secrets in constant time whatever their lengths. */
export function secretsEqual(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** SHA-256 of a token: the stores keep only this, never the token itself. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}

/** A `application/x-www-form-urlencoded` body, or an error description (RFC 6749 section 3.2: no repeated parameters). */
export async function readForm(req: IncomingMessage): Promise<{ ok: true; form: URLSearchParams } | { ok: false; description: string }> {
  const body = await readBody(req, MAX_FORM_BYTES).catch((error: unknown) => {
    if (error instanceof BodyTooLargeError) return undefined;
    throw error;
  });
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') return { ok: false, description: 'The body must be application/x-www-form-urlencoded' };
  if (body === undefined) return { ok: false, description: 'The request body is too large' };
  const form = new URLSearchParams(body.toString('utf8'));
  const repeated = [...new Set(form.keys())].find((name) => form.getAll(name).length > 1);
  if (repeated !== undefined) return { ok: false, description: `Parameter ${repeated} is repeated` };
  return { ok: true, form };
}

/** `application/x-www-form-urlencoded` decoding of one Basic credential part (RFC 6749 section 2.3.1). */
function formDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

export type ClientAuthentication =
  | { readonly ok: true; readonly client: DevClient; readonly viaBasic: boolean }
  | { readonly ok: false; readonly code: OAuthErrorCode; readonly description: string; readonly viaBasic: boolean };

/**
 * Authenticates the calling client. Confidential clients prove their secret (Basic or body, one method only); a
 * public client names itself with `client_id` in the body and sends no secret.
 */
export function authenticateClient(req: IncomingMessage, form: URLSearchParams, clients: readonly DevClient[]): ClientAuthentication {
  const authorization = req.headers.authorization;
  const inBody = form.has('client_id') || form.has('client_secret');
  let clientId: string | undefined;
  let clientSecret: string | undefined;
  let viaBasic = false;
  if (authorization !== undefined) {
    viaBasic = true;
    const match = /^Basic +([A-Za-z0-9+/]+=*)$/i.exec(authorization.trim());
    if (!match) return { ok: false, code: 'invalid_client', description: 'Client authentication must use HTTP Basic', viaBasic };
    if (inBody) return { ok: false, code: 'invalid_request', description: 'Use one client authentication method, not Basic and the body', viaBasic };
    const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    clientId = colon > 0 ? formDecode(decoded.slice(0, colon)) : undefined;
    clientSecret = colon > 0 ? formDecode(decoded.slice(colon + 1)) : undefined;
    if (!clientId || clientSecret === undefined) return { ok: false, code: 'invalid_client', description: 'Malformed Basic client credentials', viaBasic };
  } else {
    clientId = form.get('client_id') ?? undefined;
    clientSecret = form.get('client_secret') ?? undefined;
    if (!clientId) return { ok: false, code: 'invalid_client', description: 'Client authentication is required', viaBasic };
  }
  const client = clients.find((candidate) => candidate.clientId === clientId);
  if (client !== undefined && isPublicClient(client)) {
    // A public client has no secret to send (RFC 6749 section 2.1); Basic or a secret means a confused caller.
    if (viaBasic || clientSecret !== undefined) return { ok: false, code: 'invalid_client', description: 'Client authentication failed', viaBasic };
    return { ok: true, client, viaBasic };
  }
  if (clientSecret === undefined) return { ok: false, code: 'invalid_client', description: 'Client authentication is required', viaBasic };
  // Same answer (and the same work) for an unknown client and a wrong secret.
  const secretOk = secretsEqual(clientSecret, client?.clientSecret ?? '\u0000no-such-client');
  if (!client || !secretOk) return { ok: false, code: 'invalid_client', description: 'Client authentication failed', viaBasic };
  return { ok: true, client, viaBasic };
}

/** Escapes text for HTML element content and double-quoted attributes. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

