/**
 * The local issuer's dev clients and dev users, from the committed `dev-clients.json`. A client has an id, the
 * scopes it may request, the grants it may use and how it authenticates: confidential clients have a secret
 * (`client_secret_basic` / `client_secret_post`), public ones (`tokenEndpointAuthMethod: "none"`, e.g. a browser or
 * CLI app using code + PKCE) have none. Validated on load; a bad entry fails with its position.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isValidScope } from '../lambda/route-manifest';

export type DevGrantType = 'client_credentials' | 'authorization_code' | 'refresh_token';
export type AccessTokenFormat = 'jwt' | 'opaque';

export interface DevClient {
  readonly clientId: string;
  /** Absent for a public client (token endpoint auth method `none`). */
  readonly clientSecret?: string;
  readonly scopes: readonly string[];
  /** Default: `["client_credentials"]` for a confidential client, `["authorization_code", "refresh_token"]` for a public one. */
  readonly grantTypes?: readonly DevGrantType[];
  /** Exact redirect URIs for the authorization code grant (RFC 6749 section 3.1.2). */
  readonly redirectUris?: readonly string[];
  /** `opaque`: random access tokens the issuer introspects (RFC 7662) instead of JWTs. Default `jwt`. */
  readonly accessTokenFormat?: AccessTokenFormat;
}

/** A person the login page offers: the code flow's tokens name them in `sub`. */
export interface DevUser {
  readonly sub: string;
  readonly name: string;
  readonly email: string;
  /** The API scopes this user may grant a client (the token gets the requested ones the user and client both have). */
  readonly scopes: readonly string[];
}

export const DEV_CLIENTS_FILE = join(__dirname, 'dev-clients.json');

const CLIENT_ID = /^[A-Za-z0-9._~-]{1,128}$/;
const GRANT_TYPES: readonly DevGrantType[] = ['client_credentials', 'authorization_code', 'refresh_token'];

export function grantTypesOf(client: DevClient): readonly DevGrantType[] {
  return client.grantTypes ?? (client.clientSecret === undefined ? ['authorization_code', 'refresh_token'] : ['client_credentials']);
}

export function isPublicClient(client: DevClient): boolean {
  return client.clientSecret === undefined;
}

function scopeList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((scope) => typeof scope === 'string' && isValidScope(scope));
}

/** An absolute https URI, or http on a loopback host (RFC 8252 section 7.3), without a fragment. */
function validRedirectUri(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.hash !== '' || value.includes('#')) return false;
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}

function parseClient(entry: unknown, where: string): DevClient {
  const spec = (entry ?? {}) as Record<string, unknown>;
  if (typeof spec.clientId !== 'string' || !CLIENT_ID.test(spec.clientId)) {
    throw new Error(`${where}.clientId must be 1-128 characters of A-Z a-z 0-9 . _ ~ -`);
  }
  const isPublic = spec.tokenEndpointAuthMethod === 'none';
  if (spec.tokenEndpointAuthMethod !== undefined && !isPublic) {
    throw new Error(`${where}.tokenEndpointAuthMethod must be "none" (a public client) or absent (a client secret)`);
  }
  if (isPublic && spec.clientSecret !== undefined) throw new Error(`${where}: a public client (tokenEndpointAuthMethod "none") has no clientSecret`);
  if (!isPublic && (typeof spec.clientSecret !== 'string' || spec.clientSecret.length < 8)) {
    throw new Error(`${where}.clientSecret must be a string of at least 8 characters`);
  }
  if (!scopeList(spec.scopes)) throw new Error(`${where}.scopes must be an array of OAuth scope tokens`);
  const client: { -readonly [K in keyof DevClient]: DevClient[K] } = {
    clientId: spec.clientId,
    scopes: Object.freeze([...new Set(spec.scopes)]),
  };
  if (!isPublic) client.clientSecret = spec.clientSecret as string;
  if (spec.grantTypes !== undefined) {
    const grants = spec.grantTypes;
    if (!Array.isArray(grants) || grants.some((grant) => !GRANT_TYPES.includes(grant as DevGrantType))) {
      throw new Error(`${where}.grantTypes must be an array of ${GRANT_TYPES.join(', ')}`);
    }
    if (isPublic && grants.includes('client_credentials')) throw new Error(`${where}: a public client cannot use client_credentials`);
    client.grantTypes = Object.freeze([...new Set(grants as DevGrantType[])]);
  }
  if (spec.redirectUris !== undefined) {
    if (!Array.isArray(spec.redirectUris) || !spec.redirectUris.every(validRedirectUri)) {
      throw new Error(`${where}.redirectUris must be absolute https URIs (or http on 127.0.0.1/localhost) without a fragment`);
    }
    client.redirectUris = Object.freeze([...(spec.redirectUris as string[])]);
  }
  if (grantTypesOf(client).includes('authorization_code') && (client.redirectUris ?? []).length === 0) {
    throw new Error(`${where}: a client using authorization_code needs redirectUris`);
  }
  if (spec.accessTokenFormat !== undefined) {
    if (spec.accessTokenFormat !== 'jwt' && spec.accessTokenFormat !== 'opaque') throw new Error(`${where}.accessTokenFormat must be "jwt" or "opaque"`);
    client.accessTokenFormat = spec.accessTokenFormat;
  }
  return Object.freeze(client);
}

export function parseDevClients(document: unknown, source = 'dev clients'): DevClient[] {
  const clients = (document as { clients?: unknown } | null)?.clients;
  if (!Array.isArray(clients) || clients.length === 0) throw new Error(`${source}: "clients" must be a non-empty array`);
  const seen = new Set<string>();
  return clients.map((entry: unknown, index) => {
    const where = `${source}: clients[${index}]`;
    const client = parseClient(entry, where);
    if (seen.has(client.clientId)) throw new Error(`${where}: client ${client.clientId} is listed twice`);
    seen.add(client.clientId);
    return client;
  });
}

const USER_SUB = /^[A-Za-z0-9._~@|:-]{1,128}$/;

export function parseDevUsers(document: unknown, source = 'dev users'): DevUser[] {
  const users = (document as { users?: unknown } | null)?.users;
  if (users === undefined) return [];
  if (!Array.isArray(users)) throw new Error(`${source}: "users" must be an array`);
  const seen = new Set<string>();
  return users.map((entry: unknown, index) => {
    const where = `${source}: users[${index}]`;
    const spec = (entry ?? {}) as Record<string, unknown>;
    if (typeof spec.sub !== 'string' || !USER_SUB.test(spec.sub)) throw new Error(`${where}.sub must be 1-128 characters of A-Z a-z 0-9 . _ ~ @ | : -`);
    if (seen.has(spec.sub)) throw new Error(`${where}: user ${spec.sub} is listed twice`);
    seen.add(spec.sub);
    if (typeof spec.name !== 'string' || spec.name.length === 0 || spec.name.length > 128) throw new Error(`${where}.name must be a string of 1-128 characters`);
    if (typeof spec.email !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(spec.email)) throw new Error(`${where}.email must be an email address`);
    if (!scopeList(spec.scopes)) throw new Error(`${where}.scopes must be an array of OAuth scope tokens`);
    return Object.freeze({ sub: spec.sub, name: spec.name, email: spec.email, scopes: Object.freeze([...new Set(spec.scopes)]) });
  });
}

export function loadDevClients(file: string = DEV_CLIENTS_FILE): DevClient[] {
  return parseDevClients(JSON.parse(readFileSync(file, 'utf8')), file);
}

export function loadDevUsers(file: string = DEV_CLIENTS_FILE): DevUser[] {
  return parseDevUsers(JSON.parse(readFileSync(file, 'utf8')), file);
}
