/**
 * Shared pieces of the issuer tests: the authorizer handler built from settings as the stack writes them (issuers in
 * JWT_ISSUERS, the test servers' CA in JWKS_EXTRA_CA_FILE), a silent decision log that keeps reason codes, provider
 * fixtures filled in and signed, and the status API Gateway would answer per route.
 */
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../lambda/config';
import { createAuthorizerHandler, type AuthorizerHandler, type HandlerOverrides } from '../../lambda/create-handler';
import { DecisionLog } from '../../lambda/decision-log';
import type { RouteManifest } from '../../lambda/route-manifest';
import { signJwt, type SigningKey } from '../../local/jwt-signer';
import { gatewayStatus, requestEvent } from '../support/authorizer-harness';

/** Routes named the ways providers name scopes and roles (colon scopes, Entra's dotted names, a role). */
export const ORDERS_MANIFEST: RouteManifest = {
  routes: [
    { method: 'GET', path: '/health', scopes: [] },
    { method: 'GET', path: '/orders', anyOf: [['orders:read'], ['Orders.Read']] },
    { method: 'POST', path: '/orders', anyOf: [['orders:write'], ['Orders.Write']] },
    { method: 'DELETE', path: '/orders/{id}', anyOf: [['orders-admin'], ['Orders.Admin']] },
    { method: 'GET', path: '/reports', anyOf: [['reports:read'], ['Reports.Read']] },
  ],
};
export const ROUTES = ORDERS_MANIFEST.routes.map((route) => `${route.method} ${route.path}`);

export interface TestAuthorizer extends AuthorizerHandler {
  readonly reasons: string[];
  /** Every log line the handler wrote, to prove what it never logs. */
  readonly lines: string[];
}

export class TempFiles {
  private readonly dir = mkdtempSync(join(tmpdir(), 'portcullis-oauth-'));
  private count = 0;

  write(content: string): string {
    const file = join(this.dir, `file-${++this.count}`);
    writeFileSync(file, content);
    return file;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function buildAuthorizer(options: {
  issuers: unknown[];
  caFile: string;
  manifest?: RouteManifest;
  env?: Record<string, string>;
  overrides?: HandlerOverrides;
}): TestAuthorizer {
  const config = loadConfig({
    ROUTE_MANIFEST: JSON.stringify(options.manifest ?? ORDERS_MANIFEST),
    JWT_ISSUERS: JSON.stringify(options.issuers),
    JWKS_EXTRA_CA_FILE: options.caFile,
    ...options.env,
  });
  const reasons: string[] = [];
  const lines: string[] = [];
  const log = new DecisionLog({
    serviceName: 'portcullis-test',
    level: 'DEBUG',
    write: (line) => {
      lines.push(line);
      const entry = JSON.parse(line) as Record<string, unknown>;
      if (entry.message === 'authorizer decision') reasons.push(String(entry.reason));
    },
  });
  return { ...createAuthorizerHandler(config, { log, ...options.overrides }), reasons, lines };
}

export function eventFor(route: string, authorization: string | undefined, clientCertPem?: string): APIGatewayRequestAuthorizerEvent {
  const [method, resource] = route.split(' ') as [string, string];
  const event = requestEvent({ method, resource, authorization });
  if (clientCertPem === undefined) return event;
  // The shape API Gateway sends with a mutual-TLS custom domain (AWS docs: "Configuring mutual TLS ... REST API").
  return {
    ...event,
    requestContext: {
      ...event.requestContext,
      identity: {
        ...event.requestContext.identity,
        clientCert: {
          clientCertPem,
          subjectDN: 'CN=orders-client',
          issuerDN: 'CN=Portcullis test CA',
          serialNumber: '01',
          validity: { notBefore: 'May 28 12:30:02 2019 GMT', notAfter: 'Aug  5 09:36:04 2021 GMT' },
        },
      },
    },
  } as APIGatewayRequestAuthorizerEvent;
}

/** The routes of {@link ORDERS_MANIFEST} the gateway lets this credential through (status 200). */
export async function allowedRoutes(authorizer: AuthorizerHandler, authorization: string): Promise<string[]> {
  const allowed: string[] = [];
  for (const route of ROUTES) if ((await gatewayStatus(authorizer, eventFor(route, authorization))) === 200) allowed.push(route);
  return allowed;
}

export interface ProviderFixture {
  readonly name: string;
  readonly provider: string;
  readonly issuer: string;
  readonly jwksPath: string;
  readonly issuerEntry: Record<string, unknown>;
  readonly header: Record<string, unknown>;
  readonly claims: Record<string, unknown>;
  readonly principal: string;
  readonly clientId: string;
  readonly allowedRoutes: string[];
}

const FIXTURES = join(__dirname, '../fixtures/providers');

export function providerFixtureNames(): string[] {
  return readdirSync(FIXTURES)
    .filter((file) => file.endsWith('.json'))
    .map((file) => file.slice(0, -'.json'.length))
    .sort();
}

/** A fixture with `{origin}`, `{issuer}`, `{kid}`, `{iat}` and `{exp}` filled in. */
export function loadProviderFixture(name: string, values: { origin: string; kid: string; nowSeconds: number }): ProviderFixture {
  const raw = JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as Record<string, unknown>;
  const issuer = String(raw.issuer).replace('{origin}', values.origin);
  const fill = (value: unknown): unknown => {
    if (value === '{iat}') return values.nowSeconds - 10;
    if (value === '{exp}') return values.nowSeconds + 3600;
    if (typeof value === 'string') return value.replace('{origin}', values.origin).replace('{issuer}', issuer).replace('{kid}', values.kid);
    if (Array.isArray(value)) return value.map(fill);
    if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v)]));
    return value;
  };
  return { ...(fill(raw) as ProviderFixture), name, issuer };
}

export function signFixture(fixture: ProviderFixture, key: SigningKey, claims: Record<string, unknown> = {}): string {
  // The fixture's header replaces the signer's default typ: Okta and Cognito send none.
  const header = { typ: undefined, ...fixture.header };
  return signJwt(key, { ...fixture.claims, ...claims }, header);
}
