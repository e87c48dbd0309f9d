/**
 * The small value checks the issuer-entry parsers share (issuer-config.ts, and the optional features'
 * issuer-defaults.ts and introspection-config.ts): each failure is a ConfigurationError naming the setting and field.
 */
import { ConfigurationError } from './errors';

const CLAIM_NAME = /^[\x21-\x7E]{1,256}$/;

export type Spec = Readonly<Record<string, unknown>>;

export function fail(setting: string, message: string): never {
  throw new ConfigurationError(setting, message);
}

export function claimName(setting: string, value: unknown, what: string): string {
  if (typeof value !== 'string' || !CLAIM_NAME.test(value)) fail(setting, `${what} must be a claim name`);
  return value as string;
}

export function nonEmptyStrings(setting: string, value: unknown, what: string): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.some((entry) => typeof entry !== 'string' || entry === '' || entry.length > 256)) {
    fail(setting, `${what} must be a non-empty array of non-empty strings`);
  }
  return value as string[];
}

export function httpsUrl(setting: string, value: unknown, what: string): string {
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (url === undefined || url.protocol !== 'https:') fail(setting, `${what} must be an https URL`);
  return value as string;
}
