/**
 * The API Gateway control plane, paced and retried. Its quotas are fixed per account and cannot be raised
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html): CreateDeployment 1 request every 5 s,
 * GetResources 5 every 2 s, and the other operations (UpdateMethod, PutGatewayResponse...) 10 per second together.
 * Calls are spaced below those rates, and TooManyRequestsException (its retryAfterSeconds honoured), ConflictException
 * (a concurrent change, or a deployment in progress) and transient faults are retried with capped, jittered
 * exponential backoff. The clock and sleep are injectable so tests run without waiting.
 */
import type { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { AttachFailure, AttachInputError, awsErrorName } from './errors';

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const SYSTEM_CLOCK: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface ControlPlaneOptions {
  readonly client: APIGatewayClient;
  readonly clock?: Clock;
  /** Attempts per call, the first included. @default 8 */
  readonly maxAttempts?: number;
  /** First backoff delay; doubles per retry up to `maxDelayMs`. @default 500 */
  readonly baseDelayMs?: number;
  /** @default 20000 */
  readonly maxDelayMs?: number;
  /** [0, 1); full jitter. @default Math.random */
  readonly random?: () => number;
  /** Called before each retry (for progress output). */
  readonly onRetry?: (operation: string, error: string, delayMs: number) => void;
}

/** Minimum spacing between two calls of one quota bucket, a little under each fixed rate. */
export const MIN_INTERVAL_MS: Readonly<Record<string, number>> = {
  CreateDeployment: 5_100,
  GetResources: 420,
  GetExport: 1_100,
  other: 110,
};

const RETRYABLE = new Set([
  'TooManyRequestsException',
  'ConflictException',
  'ServiceUnavailableException',
  'InternalFailure',
  'ThrottlingException',
  'TimeoutError',
]);

const NETWORK = /^(ECONNRESET|ETIMEDOUT|EPIPE|ECONNREFUSED|EAI_AGAIN)$/;

function isRetryable(error: unknown): boolean {
  if (RETRYABLE.has(awsErrorName(error))) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && NETWORK.test(code);
}

export class ControlPlane {
  private readonly clock: Clock;
  private readonly lastCall = new Map<string, number>();
  /** Calls made, by operation (for the summary and the tests). */
  readonly calls = new Map<string, number>();
  retries = 0;

  constructor(private readonly options: ControlPlaneOptions) {
    this.clock = options.clock ?? SYSTEM_CLOCK;
  }

  get client(): APIGatewayClient {
    return this.options.client;
  }

  /** Sends `command` (named `operation`, e.g. `UpdateMethod`), paced and retried. */
  async call<T>(operation: string, command: object, what: string): Promise<T> {
    const maxAttempts = this.options.maxAttempts ?? 8;
    const base = this.options.baseDelayMs ?? 500;
    const cap = this.options.maxDelayMs ?? 20_000;
    const random = this.options.random ?? Math.random;
    for (let attempt = 1; ; attempt++) {
      await this.pace(operation);
      this.calls.set(operation, (this.calls.get(operation) ?? 0) + 1);
      try {
        return (await this.options.client.send(command as never)) as T;
      } catch (error) {
        if (!isRetryable(error) || attempt >= maxAttempts) {
          if (isRetryable(error)) {
            throw new AttachFailure(`${operation} (${what}) still failed after ${attempt} attempts: ${awsErrorName(error)}: ${(error as Error).message}`, { cause: error });
          }
          throw describeFailure(operation, what, error);
        }
        const backoff = Math.floor(random() * Math.min(cap, base * 2 ** (attempt - 1)));
        const retryAfter = Number((error as { retryAfterSeconds?: unknown }).retryAfterSeconds);
        const delay = Number.isFinite(retryAfter) && retryAfter > 0 ? Math.max(backoff, retryAfter * 1000) : Math.max(backoff, base / 2);
        this.retries++;
        this.options.onRetry?.(operation, awsErrorName(error), delay);
        await this.clock.sleep(delay);
      }
    }
  }

  private async pace(operation: string): Promise<void> {
    const bucket = operation in MIN_INTERVAL_MS ? operation : 'other';
    const interval = MIN_INTERVAL_MS[bucket]!;
    const last = this.lastCall.get(bucket);
    if (last !== undefined) {
      const wait = last + interval - this.clock.now();
      if (wait > 0) await this.clock.sleep(wait);
    }
    this.lastCall.set(bucket, this.clock.now());
  }
}

/** NotFoundException passes through (callers turn it into a target error); the rest say which call failed. */
function describeFailure(operation: string, what: string, error: unknown): Error {
  const name = awsErrorName(error);
  const message = error instanceof Error ? error.message : String(error);
  if (name === 'NotFoundException' || error instanceof AttachFailure || error instanceof AttachInputError) return error as Error;
  if (message === 'Region is missing' || name === 'RegionMissingError') {
    return new AttachInputError('no AWS region configured: pass --region or set AWS_REGION');
  }
  if (name === 'CredentialsProviderError') {
    return new AttachFailure('no AWS credentials found: set AWS_PROFILE or pass --profile', { cause: error });
  }
  return new AttachFailure(`${operation} (${what}) failed: ${name}: ${message}`, { cause: error });
}
