/**
 * The authorizer's error hierarchy. Callers branch on the class and its stable `code`, never on message text.
 *
 * - {@link CredentialRejectedError}: the caller's credential is missing, malformed or not valid -> gateway 401.
 * - {@link DependencyFaultError}: we could not decide (DynamoDB, JWKS down, slow or throttling) -> gateway 500.
 * - {@link ConfigurationError}: a setting is missing or invalid; raised at cold start.
 *
 * Messages never contain a credential: they name the reason, not the value.
 */

/** Why a credential was refused (401). Stable: they appear in logs, metrics and tests. */
export type RejectionCode =
  | 'missing_credential'
  | 'ambiguous_credential'
  | 'malformed_header'
  | 'unsupported_scheme'
  | 'malformed_token'
  | 'unsupported_algorithm'
  | 'crit_header'
  | 'invalid_signature'
  | 'unknown_issuer'
  | 'unknown_kid'
  | 'invalid_claims'
  | 'token_expired'
  | 'token_not_yet_valid'
  | 'token_issued_in_future'
  | 'token_lifetime_exceeded'
  | 'malformed_api_key'
  | 'unknown_api_key'
  | 'api_key_id_mismatch'
  | 'api_key_revoked'
  | 'api_key_expired'
  | 'api_key_not_yet_active'
  | 'malformed_key_record'
  // Issuer features (issuer-config.ts): opaque tokens, certificate-bound tokens.
  | 'token_inactive'
  | 'token_not_bound'
  | 'certificate_mismatch';

/** Why the authorizer could not decide (500). */
export type FaultCode = 'key_store_unavailable' | 'jwks_unavailable' | 'introspection_unavailable' | 'internal_error';

/**
 * Builds an Error without capturing a stack trace. Refusals are expected control flow on the hot path (every bad
 * credential makes one), their code says all there is to know, and a captured stack costs microseconds each.
 */
export function withoutStack<T>(create: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return create();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * The bundle ships optional features in a second file (extensions.js, see optional-features.ts) holding its own copy
 * of this module, so `instanceof` checks a brand both copies share (`Symbol.for`) rather than the class object: an
 * error thrown by either copy is recognised by both.
 */
function brand(target: { prototype: object }, name: string): (value: unknown) => boolean {
  const key = Symbol.for(`portcullis.${name}`);
  Object.defineProperty(target.prototype, key, { value: true });
  return (value) => typeof value === 'object' && value !== null && key in value;
}

export class CredentialRejectedError extends Error {
  static override [Symbol.hasInstance](value: unknown): value is CredentialRejectedError {
    return isRejected(value);
  }
  public readonly code: RejectionCode;

  constructor(code: RejectionCode, message: string, options?: { cause?: unknown }) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0; // see withoutStack
    super(message, options);
    Error.stackTraceLimit = limit;
    this.name = 'CredentialRejectedError';
    this.code = code;
  }
}

export class DependencyFaultError extends Error {
  static override [Symbol.hasInstance](value: unknown): value is DependencyFaultError {
    return isFault(value);
  }
  public readonly code: FaultCode;

  constructor(code: FaultCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DependencyFaultError';
    this.code = code;
  }
}

export class ConfigurationError extends Error {
  static override [Symbol.hasInstance](value: unknown): value is ConfigurationError {
    return isConfigurationError(value);
  }
  /** The setting (environment variable or prop) at fault. */
  public readonly setting: string;

  constructor(setting: string, message: string) {
    super(`${setting}: ${message}`);
    this.name = 'ConfigurationError';
    this.setting = setting;
  }
}

const isRejected = brand(CredentialRejectedError, 'CredentialRejectedError');
const isFault = brand(DependencyFaultError, 'DependencyFaultError');
const isConfigurationError = brand(ConfigurationError, 'ConfigurationError');
