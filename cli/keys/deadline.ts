/**
 * Every AWS or store call of the key CLI has a deadline (`--timeout`, 10 s by default), retries included. An
 * endpoint that accepts the connection and never answers would otherwise hang the command: the SDK's
 * `requestTimeout` only logs a warning unless `throwOnRequestTimeout` is set (@smithy/node-http-handler,
 * NodeHttpHandlerOptions), and nothing bounds a call's retries as a whole.
 *
 * Two middlewares on each client: one per attempt records the endpoint the request went to (for the message), one
 * around the whole call fails it with a {@link CallTimeoutError} naming that endpoint when the deadline passes.
 */

export const DEFAULT_TIMEOUT_SECONDS = 10;

/** A call got no answer in time. Named `TimeoutError`, as the SDK's own, so retry strategies treat it the same. */
export class CallTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';

  constructor(
    /** `https://dynamodb.eu-west-1.amazonaws.com`, or a description when no request was sent yet. */
    readonly endpoint: string,
    readonly timeoutMs: number,
  ) {
    super(`no answer from ${endpoint} within ${timeoutMs / 1000} s`);
    this.name = 'TimeoutError';
  }
}

/** The @smithy/node-http-handler options we set (NodeHttpHandlerOptions). */
export interface RequestHandlerOptions {
  readonly connectionTimeout: number;
  readonly requestTimeout: number;
  readonly throwOnRequestTimeout: true;
}

/** Request handler settings where the per-attempt timeouts are errors, not warnings. */
export function requestHandlerOptions(timeoutMs: number): RequestHandlerOptions {
  return { connectionTimeout: timeoutMs, requestTimeout: timeoutMs, throwOnRequestTimeout: true };
}

interface HttpRequestLike {
  readonly protocol?: string;
  readonly hostname?: string;
  readonly port?: number;
}

/** The part of a v3 SDK client's middleware stack we use (its overloads are per step). */
interface MiddlewareStack {
  add(middleware: unknown, options: { step: 'initialize' | 'deserialize'; name: string; override?: boolean }): void;
}

type Next = (args: { request?: unknown }) => Promise<unknown>;
type Context = Record<string, unknown>;

const ENDPOINT = 'portcullisEndpoint';

function endpointOf(request: HttpRequestLike | undefined): string | undefined {
  if (request?.hostname === undefined) return undefined;
  return `${request.protocol ?? 'https:'}//${request.hostname}${request.port === undefined ? '' : `:${request.port}`}`;
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && (error.name === 'TimeoutError' || (error as { code?: unknown }).code === 'ETIMEDOUT');
}

/** Adds the deadline to `client` (a v3 SDK client) and returns it. `service` names it while no request was sent. */
export function withDeadline<C extends { readonly middlewareStack: object }>(client: C, timeoutMs: number, service: string): C {
  const stack = client.middlewareStack as unknown as MiddlewareStack;
  stack.add(
    (next: Next, context: Context) => async (args: { request?: unknown }) => {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const endpoint = (context[ENDPOINT] as string | undefined) ?? `the ${service} endpoint (no request was sent: credentials or endpoint resolution did not finish)`;
          reject(new CallTimeoutError(endpoint, timeoutMs));
        }, timeoutMs);
      });
      try {
        return await Promise.race([next(args), deadline]);
      } finally {
        clearTimeout(timer);
      }
    },
    { step: 'initialize', name: 'portcullisCallDeadline', override: true },
  );
  stack.add(
    (next: Next, context: Context) => async (args: { request?: unknown }) => {
      const endpoint = endpointOf(args.request as HttpRequestLike | undefined);
      if (endpoint !== undefined) context[ENDPOINT] = endpoint;
      try {
        return await next(args);
      } catch (error) {
        // The handler's own timeouts (connection, request) say nothing about where: name the endpoint.
        if (isTimeout(error) && !(error instanceof CallTimeoutError) && endpoint !== undefined) throw new CallTimeoutError(endpoint, timeoutMs);
        throw error;
      }
    },
    { step: 'deserialize', name: 'portcullisEndpointOfAttempt', override: true },
  );
  return client;
}
