/**
 * The `introspection` field of an issuer entry (RFC 7662), parsed and checked at cold start like every other setting;
 * a bad value names the entry and the field. Part of the optional features (optional-features.ts): a deployment
 * without an introspecting issuer never loads it.
 */
import { fail, httpsUrl, type Spec } from './issuer-setting-checks';
import type { IntrospectionConfig } from './issuer-config';

function boundedInteger(setting: string, value: unknown, what: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(setting, `${what} must be a whole number between ${min} and ${max}`);
  }
  return value as number;
}

export function parseIntrospectionConfig(setting: string, value: unknown, where: string): IntrospectionConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(setting, `${where}.introspection must be an object`);
  const spec = value as Spec;
  const allowed = new Set(['endpoint', 'clientId', 'clientSecretArn', 'cacheTtlSeconds', 'timeoutMs', 'maxBytes']);
  const extra = Object.keys(spec).filter((key) => !allowed.has(key));
  if (extra.length > 0) fail(setting, `${where}.introspection has unknown field(s): ${extra.join(', ')}`);
  if (typeof spec.clientId !== 'string' || spec.clientId === '' || spec.clientId.length > 256) {
    fail(setting, `${where}.introspection.clientId must be a non-empty string`);
  }
  // An ARN or a name (Secrets Manager takes both); CDK tokens stand in for it at synth, so no stricter form is checked.
  if (typeof spec.clientSecretArn !== 'string' || spec.clientSecretArn === '' || spec.clientSecretArn.length > 2048) {
    fail(setting, `${where}.introspection.clientSecretArn must name a Secrets Manager secret (ARN or name)`);
  }
  return Object.freeze({
    endpoint: httpsUrl(setting, spec.endpoint, `${where}.introspection.endpoint`),
    clientId: spec.clientId as string,
    clientSecretArn: spec.clientSecretArn as string,
    cacheTtlSeconds: boundedInteger(setting, spec.cacheTtlSeconds, `${where}.introspection.cacheTtlSeconds`, 60, 0, 3600),
    timeoutMs: boundedInteger(setting, spec.timeoutMs, `${where}.introspection.timeoutMs`, 2000, 100, 20_000),
    maxBytes: boundedInteger(setting, spec.maxBytes, `${where}.introspection.maxBytes`, 65_536, 1024, 1_048_576),
  });
}

