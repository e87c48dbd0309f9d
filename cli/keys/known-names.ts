/**
 * What a target accepts, where that is known: the scopes its routes require (a key granting another scope is a
 * typo, `items:reed`, that would never open a route) and the issuers its authorizer trusts (a binding of another
 * issuer, such as `https://x/` for `https://x`, can never match a token). The local mode knows both; a stack
 * knows them when it outputs them ({@link KNOWN_SCOPES_OUTPUT}, {@link KNOWN_ISSUERS_OUTPUT}); explicit targets
 * (`--table`) do not, and nothing is checked there.
 */
import type { RouteManifest } from '../../lambda/route-manifest';
import { InputError } from './errors';
import { STACK_OUTPUTS } from '../../infra/stack-outputs';

/** Optional stack output: JSON array of every scope the API's routes require. */
export const KNOWN_SCOPES_OUTPUT = STACK_OUTPUTS.routeScopes;
/** Optional stack output: JSON array of the issuers (`iss` values) the authorizer trusts. */
export const KNOWN_ISSUERS_OUTPUT = 'JwtIssuers';

export interface KnownNames {
  readonly scopes?: readonly string[];
  readonly issuers?: readonly string[];
  /** Where they come from, for messages: "the local mode's routes", "stack PortcullisSample". */
  readonly source: string;
}

/** Every scope some route of the manifest requires (all-of lists and anyOf alternatives). */
export function manifestScopes(manifest: RouteManifest): string[] {
  const scopes = new Set<string>();
  for (const route of manifest.routes) {
    for (const scope of route.scopes ?? []) scopes.add(scope);
    for (const set of route.anyOf ?? []) for (const scope of set) scopes.add(scope);
  }
  return [...scopes].sort();
}

/** A JSON array of strings from a stack output, or undefined when the output is absent or not one. */
export function stringListOutput(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) && parsed.every((entry) => typeof entry === 'string') ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Refuses scopes no route of the target requires, unless `allowUnknown` (`--allow-unknown-scopes`). */
export function checkScopesKnown(scopes: readonly string[], known: KnownNames, allowUnknown: boolean): void {
  if (known.scopes === undefined || allowUnknown) return;
  const unknown = scopes.filter((scope) => !known.scopes!.includes(scope));
  if (unknown.length === 0) return;
  throw new InputError(
    'unknown_scope',
    `--scopes: ${unknown.map((scope) => JSON.stringify(scope)).join(', ')} ${unknown.length === 1 ? 'is' : 'are'} required by no route of ${known.source} ` +
      `(known scopes: ${known.scopes.join(', ') || 'none'}); pass --allow-unknown-scopes to grant ${unknown.length === 1 ? 'it' : 'them'} anyway`,
  );
}

/** Refuses an issuer the target does not trust: a binding of it would never match a token. */
export function checkIssuerKnown(issuer: string, known: KnownNames): void {
  if (known.issuers === undefined || known.issuers.includes(issuer)) return;
  // The usual slip: the same URL with or without its trailing slash. Tokens' iss must match exactly.
  const near = known.issuers.find((candidate) => candidate.replace(/\/+$/, '') === issuer.replace(/\/+$/, ''));
  throw new InputError(
    'unknown_issuer',
    `--issuer: ${JSON.stringify(issuer)} is not an issuer of ${known.source}` +
      (near !== undefined ? `; did you mean ${JSON.stringify(near)}? (the issuer must be spelled exactly as the tokens' iss claim)` : '') +
      ` (issuers: ${known.issuers.join(', ') || 'none'})`,
  );
}
