/**
 * Checks of user input, done before anything is written. Each failure is an {@link InputError} naming the flag,
 * the value and what is accepted. The limits are those of the shared record schema (lambda/key-table-schema.ts), so a
 * record the CLI writes is always one the authorizer can read.
 */
import { isWellFormedKeyId } from '../../lambda/api-key-format';
import { MAX_IDENTIFIER_LENGTH } from '../../lambda/key-table-schema';
import { isValidScope } from '../../lambda/route-manifest';
import { isTierName, TIER_NAMES, type TierName } from '../../infra/usage-tiers';
import { InputError, type InputErrorCode } from './errors';

const PRINTABLE = /^[\x20-\x7E\u00A0-\uFFFF]+$/u;
const CONTROL = /[\u0000-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069]/u;

function text(flag: string, code: InputErrorCode, value: string): string {
  const trimmed = value.trim();
  if (trimmed === '') throw new InputError(code, `${flag} must not be empty`);
  if (trimmed.length > MAX_IDENTIFIER_LENGTH) {
    throw new InputError(code, `${flag} is too long: ${trimmed.length} characters, at most ${MAX_IDENTIFIER_LENGTH}`);
  }
  if (!PRINTABLE.test(trimmed) || CONTROL.test(trimmed)) {
    throw new InputError(code, `${flag} contains control characters`);
  }
  return trimmed;
}

export function validateOwner(owner: string): string {
  return text('--owner', 'invalid_owner', owner);
}

export function validateName(name: string): string {
  return text('--name', 'invalid_name', name);
}

/** Scopes as `a,b` (commas and/or spaces): each one must be a valid OAuth scope token; duplicates are dropped. */
export function parseScopes(list: string): string[] {
  const scopes = list.split(/[,\s]+/).filter((scope) => scope !== '');
  if (scopes.length === 0) throw new InputError('invalid_scope', '--scopes must list at least one scope, e.g. items:read,items:write');
  return validateScopes(scopes);
}

export function validateScopes(scopes: readonly string[]): string[] {
  for (const scope of scopes) {
    if (!isValidScope(scope)) {
      throw new InputError(
        'invalid_scope',
        `--scopes: ${JSON.stringify(scope)} is not a valid scope (printable ASCII without spaces, quotes or backslashes, at most 256 characters)`,
      );
    }
  }
  return [...new Set(scopes)];
}

export function validatePlan(plan: string, flag = '--plan'): TierName {
  if (!isTierName(plan)) {
    throw new InputError('unknown_plan', `${flag}: unknown plan ${JSON.stringify(plan)}; plans are: ${TIER_NAMES.join(', ')}`);
  }
  return plan;
}

export function validateKeyId(keyId: string): string {
  if (!isWellFormedKeyId(keyId)) {
    throw new InputError('invalid_key_id', `${JSON.stringify(keyId)} is not a key id (key_ followed by 16 letters and digits)`);
  }
  return keyId;
}

/** An issuer exactly as its tokens' `iss` claim spells it: an https URL. */
export function validateIssuer(issuer: string): string {
  const value = text('--issuer', 'invalid_issuer', issuer);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InputError('invalid_issuer', `--issuer: ${JSON.stringify(value)} is not a URL (write it exactly as the tokens' iss claim)`);
  }
  if (url.protocol !== 'https:') throw new InputError('invalid_issuer', `--issuer must be an https URL, got ${JSON.stringify(value)}`);
  // `#` separates the issuer from the client id in the binding's key; an iss never has a fragment.
  if (value.includes('#')) throw new InputError('invalid_issuer', `--issuer must not contain "#"`);
  return value;
}

export function validateClientId(clientId: string): string {
  const value = text('--client-id', 'invalid_client_id', clientId);
  if (/\s/.test(value)) throw new InputError('invalid_client_id', `--client-id must not contain spaces`);
  return value;
}
