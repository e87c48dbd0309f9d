/**
 * The local issuer's dev clients, from the committed `dev-clients.json`: id, secret and the scopes each may request.
 * Validated on load; a bad entry fails with its position.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isValidScope } from '../lambda/route-manifest';

export interface DevClient {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly scopes: readonly string[];
}

export const DEV_CLIENTS_FILE = join(__dirname, 'dev-clients.json');

const CLIENT_ID = /^[A-Za-z0-9._~-]{1,128}$/;

export function parseDevClients(document: unknown, source = 'dev clients'): DevClient[] {
  const clients = (document as { clients?: unknown } | null)?.clients;
  if (!Array.isArray(clients) || clients.length === 0) throw new Error(`${source}: "clients" must be a non-empty array`);
  const seen = new Set<string>();
  return clients.map((entry: unknown, index) => {
    const where = `${source}: clients[${index}]`;
    const spec = (entry ?? {}) as Record<string, unknown>;
    if (typeof spec.clientId !== 'string' || !CLIENT_ID.test(spec.clientId)) {
      throw new Error(`${where}.clientId must be 1-128 characters of A-Z a-z 0-9 . _ ~ -`);
    }
    if (seen.has(spec.clientId)) throw new Error(`${where}: client ${spec.clientId} is listed twice`);
    seen.add(spec.clientId);
    if (typeof spec.clientSecret !== 'string' || spec.clientSecret.length < 8) {
      throw new Error(`${where}.clientSecret must be a string of at least 8 characters`);
    }
    if (!Array.isArray(spec.scopes) || spec.scopes.some((scope) => typeof scope !== 'string' || !isValidScope(scope))) {
      throw new Error(`${where}.scopes must be an array of OAuth scope tokens`);
    }
    return Object.freeze({
      clientId: spec.clientId,
      clientSecret: spec.clientSecret,
      scopes: Object.freeze([...new Set(spec.scopes as string[])]),
    });
  });
}

export function loadDevClients(file: string = DEV_CLIENTS_FILE): DevClient[] {
  return parseDevClients(JSON.parse(readFileSync(file, 'utf8')), file);
}
