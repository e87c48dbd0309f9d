/**
 * The key CLI's errors. Callers (and the exit code) branch on the class and its stable `code`, never on message
 * text. Messages name the problem and never contain a secret.
 *
 * - {@link InputError}: the request is wrong (bad flag, plan, scope, duration, unknown key id, missing target):
 *   nothing was written; exit code 2.
 * - {@link AwsOperationError}: an AWS (or local store) call failed; exit code 1.
 */
import { CallTimeoutError } from './deadline';

export type InputErrorCode =
  | 'usage'
  | 'unknown_command'
  | 'unknown_flag'
  | 'missing_argument'
  | 'invalid_owner'
  | 'invalid_name'
  | 'invalid_scope'
  | 'unknown_plan'
  | 'invalid_duration'
  | 'invalid_key_id'
  | 'unknown_key'
  | 'key_not_usable'
  | 'invalid_status'
  | 'invalid_issuer'
  | 'invalid_client_id'
  | 'unknown_scope'
  | 'unknown_issuer'
  | 'missing_target';

export abstract class KeyCliError extends Error {
  abstract readonly exitCode: number;
}

export class InputError extends KeyCliError {
  readonly exitCode = 2;

  constructor(
    readonly code: InputErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'InputError';
  }
}

export type AwsErrorCode =
  | 'aws_error'
  | 'api_key_quota_exceeded'
  | 'store_unreachable'
  | 'table_not_found'
  | 'no_credentials'
  | 'concurrent_change'
  | 'incomplete'
  | 'timeout';

export class AwsOperationError extends KeyCliError {
  readonly exitCode = 1;

  constructor(
    readonly code: AwsErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AwsOperationError';
  }
}

/** The SDK error's name, e.g. `ConditionalCheckFailedException`. */
export function sdkErrorName(error: unknown): string {
  return error instanceof Error ? error.name : 'UnknownError';
}

function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function timeoutOf(error: unknown): CallTimeoutError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    if (current instanceof CallTimeoutError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Turns an SDK failure of `operation` into an {@link AwsOperationError} (or an {@link InputError} when the cause
 * is a missing region): a message that says what failed and why, without request data.
 */
export function describeAwsFailure(operation: string, error: unknown, where?: string): KeyCliError {
  if (error instanceof KeyCliError) return error;
  const timeout = timeoutOf(error);
  if (timeout !== undefined) {
    return new AwsOperationError('timeout', `${operation} failed: ${timeout.message} (--timeout ${timeout.timeoutMs / 1000}s)`, { cause: error });
  }
  const name = sdkErrorName(error);
  const message = error instanceof Error ? error.message : String(error);
  const network = networkCode(error);
  if (network === 'ECONNREFUSED' || network === 'ENOTFOUND' || network === 'ETIMEDOUT' || network === 'ECONNRESET') {
    return new AwsOperationError(
      'store_unreachable',
      `${operation} failed: cannot reach ${where ?? 'the service'} (${network})`,
      { cause: error },
    );
  }
  if (message === 'Region is missing' || name === 'RegionMissingError') {
    return new InputError('missing_target', `${operation}: no AWS region configured: pass --region or set AWS_REGION`);
  }
  if (name === 'CredentialsProviderError') {
    return new AwsOperationError(
      'no_credentials',
      `${operation} failed: no AWS credentials found (set AWS_PROFILE or pass --profile, or use --local)`,
      { cause: error },
    );
  }
  return new AwsOperationError('aws_error', `${operation} failed: ${name}: ${message}`, { cause: error });
}
