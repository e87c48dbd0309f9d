/**
 * Typed readers for environment variables, in the Powertools style: trimmed, parsed, and failing with the
 * variable's name. Used once, at cold start.
 */
import { ConfigurationError } from './errors';

export type Env = Readonly<Record<string, string | undefined>>;

function raw(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

export function optionalString(env: Env, name: string): string | undefined {
  return raw(env, name);
}

export function requiredString(env: Env, name: string): string {
  const value = raw(env, name);
  if (value === undefined) throw new ConfigurationError(name, 'is required');
  return value;
}

/** An integer in [min, max], or the default when unset. */
export function integer(env: Env, name: string, options: { default: number; min: number; max: number }): number {
  const value = raw(env, name);
  if (value === undefined) return options.default;
  if (!/^-?\d+$/.test(value)) throw new ConfigurationError(name, `must be a whole number, got ${JSON.stringify(value)}`);
  const parsed = Number(value);
  if (parsed < options.min || parsed > options.max) {
    throw new ConfigurationError(name, `must be between ${options.min} and ${options.max}, got ${parsed}`);
  }
  return parsed;
}

export function json(env: Env, name: string): unknown {
  const value = raw(env, name);
  if (value === undefined) return undefined;
  try {
    return JSON.parse(value);
  } catch {
    throw new ConfigurationError(name, 'is not valid JSON');
  }
}
