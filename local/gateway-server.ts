/**
 * The local gateway: an HTTP server that does what API Gateway REST does in front of a Lambda REQUEST authorizer
 * and a Lambda proxy backend, in API Gateway's order:
 *
 * 1. match the resource and method (none: 403 Missing Authentication Token; OPTIONS: the CORS preflight, without
 *    the authorizer);
 * 2. identity source `method.request.header.Authorization`: missing or empty -> 401 without calling the authorizer;
 * 3. the authorizer result: from the result cache (keyed by the identity source value, plus the method and resource
 *    under the route cache key: lambda/cache-key-mode.ts), else by invoking the
 *    authorizer with a REQUEST event; `Unauthorized` -> 401, any other error or an invalid result -> 500; valid
 *    results (Allow or Deny) are cached;
 * 4. the policy evaluated against this request's method ARN: explicit or implicit deny -> 403;
 * 5. metered routes: `usageIdentifierKey` must be an enabled key of a usage plan (else 403 Forbidden), then the
 *    plan's throttle (429 Too Many Requests) and quota (429 Limit Exceeded);
 * 6. the backend, invoked with a proxy event carrying the authorizer context as strings.
 */
import { BodyTooLargeError, readBody } from './read-body';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { TLSSocket } from 'node:tls';
import { apiGatewayClientCertificate, type ApiGatewayClientCertificate } from './client-certificate';
import type { APIGatewayProxyResult } from 'aws-lambda';
import {
  backendAuthorizerContext,
  buildAuthorizerEvent,
  buildProxyEvent,
  methodArn,
  newExtendedRequestId,
  type GatewayRequest,
  type StageIdentity,
} from './authorizer-event';
import { authorizerCacheKey, type AuthorizerResultCache } from './authorizer-cache';
import type { CacheKeyMode } from '../lambda/cache-key-mode';
import { validateAuthorizerResult, type ValidAuthorizerResult } from './authorizer-result';
import {
  EXPLICIT_DENY_MESSAGE,
  LOCAL_GATEWAY_RESPONSES,
  PREFLIGHT_HEADERS,
  renderGatewayResponse,
  type GatewayResponseDefinitions,
  type GatewayResponseType,
} from './gateway-responses';
import { evaluatePolicy } from './iam-policy-evaluator';
import type { RouteTable } from './route-table';
import type { ProxyHandler } from './sample-backend';
import type { UsagePlanMeter } from './usage-plans';

/** The Lambda authorizer, as API Gateway invokes it. */
export type AuthorizerFunction = (event: ReturnType<typeof buildAuthorizerEvent>, context: { awsRequestId: string }) => Promise<unknown>;

export interface UsageKeyLookup {
  get(value: string): Promise<{ readonly plan: string; readonly enabled: boolean } | undefined>;
}

export interface AccessLogEntry {
  readonly requestId: string;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly latencyMs: number;
  /** What decided the answer when it was not the backend, e.g. `UNAUTHORIZED`. */
  readonly responseType?: GatewayResponseType;
  /** Whether the authorizer result came from the cache (authorized routes only). */
  readonly authorizerCache?: 'hit' | 'miss';
  /** Why the authorizer call counted as a failure (500), for the log. */
  readonly error?: string;
}

/** Local-only control path (no API route may start with `/__portcullis`). */
export const AUTHORIZER_CACHE_CONTROL_PATH = '/__portcullis/authorizer-cache';

export interface GatewayOptions {
  readonly routes: RouteTable;
  readonly stage: StageIdentity;
  readonly authorizer: AuthorizerFunction;
  readonly cache: AuthorizerResultCache;
  /**
   * What the result cache is keyed by, as the construct sets the authorizer's identity sources: `identity`
   * (Authorization) or `route` (Authorization, `context.httpMethod`, `context.resourcePath`).
   * @default 'identity'
   */
  readonly cacheKeyMode?: CacheKeyMode;
  readonly usageKeys: UsageKeyLookup;
  readonly meter: UsagePlanMeter;
  readonly backend: ProxyHandler;
  readonly responses?: GatewayResponseDefinitions;
  /** API Gateway's payload limit: 10 MB. */
  readonly maxBodyBytes?: number;
  readonly onRequest?: (entry: AccessLogEntry) => void;
}


const NO_BODY = Buffer.alloc(0);

/** A mutual TLS listener: the server's certificate and the truststore (CA) client certificates must chain to. */
export interface MutualTlsOptions {
  readonly key: string;
  readonly cert: string;
  readonly clientCa: string;
}

/** The client certificate of a connection, computed once per TLS connection. */
const clientCertificates = new WeakMap<TLSSocket, ApiGatewayClientCertificate | null>();

function clientCertificateOf(socket: unknown): ApiGatewayClientCertificate | undefined {
  if (!(socket instanceof TLSSocket)) return undefined;
  let known = clientCertificates.get(socket);
  if (known === undefined) {
    const peer = socket.authorized ? socket.getPeerX509Certificate() : undefined;
    known = peer ? apiGatewayClientCertificate(peer) : null;
    clientCertificates.set(socket, known);
  }
  return known ?? undefined;
}

/**
 * Whether the request carries a body (HTTP/1.1: a Content-Length or a Transfer-Encoding header). Without one the
 * request has none, and the gateway need not wait for the stream's end (Node discards the empty stream itself).
 */
function hasBody(rawHeaders: readonly string[]): boolean {
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.length === 14 && name.toLowerCase() === 'content-length') return true;
    if (name.length === 17 && name.toLowerCase() === 'transfer-encoding') return true;
  }
  return false;
}

/** Values of the identity source `method.request.header.Authorization` (header names are case-insensitive). */
function authorizationValues(rawHeaders: readonly string[]): string[] {
  const values: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.length === 13 && name.toLowerCase() === 'authorization') values.push(rawHeaders[i + 1]!);
  }
  return values;
}

/** No identity source value, or only empty ones: API Gateway answers 401 without calling the authorizer. */
function allBlank(values: readonly string[]): boolean {
  for (const value of values) if (value.trim() !== '') return false;
  return true;
}

interface Outcome {
  readonly response: { statusCode: number; headers: Record<string, string | string[]>; body: Buffer | string };
  readonly responseType?: GatewayResponseType;
  readonly authorizerCache?: 'hit' | 'miss';
  readonly error?: string;
}

export class LocalGateway {
  private readonly responses: GatewayResponseDefinitions;

  constructor(private readonly options: GatewayOptions) {
    this.responses = options.responses ?? LOCAL_GATEWAY_RESPONSES;
  }

  /**
   * The gateway's HTTP server; with `mutualTls`, an HTTPS server that, like a mutual TLS custom domain, completes
   * the handshake only for a client certificate that chains to the truststore.
   */
  createServer(mutualTls?: MutualTlsOptions): Server {
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      this.serve(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' }).end('{"message":"Internal server error"}');
        else res.destroy();
      });
    };
    const server = mutualTls
      ? createHttpsServer({ key: mutualTls.key, cert: mutualTls.cert, ca: mutualTls.clientCa, requestCert: true, rejectUnauthorized: true }, handler)
      : createServer(handler);
    server.keepAliveTimeout = 5_000;
    return server;
  }

  private gatewayResponse(type: GatewayResponseType, requestId: string, extra: Partial<Outcome> = {}, message?: string): Outcome {
    const rendered = renderGatewayResponse(this.responses, type, { requestId, ...(message ? { message } : {}) });
    return { ...extra, responseType: type, response: { statusCode: rendered.statusCode, headers: rendered.headers, body: rendered.body } };
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const requestId = randomUUID();
    const target = req.url ?? '/';
    const queryAt = target.indexOf('?');
    let rawPath = queryAt < 0 ? target : target.slice(0, queryAt);
    // absolute-form request target; one that is not a URL (`http://[bad/items`) is the client's error: 400, logged
    let malformedTarget = false;
    if (rawPath.charCodeAt(0) !== 0x2f && /^https?:\/\//i.test(rawPath)) {
      try {
        rawPath = new URL(rawPath).pathname;
      } catch {
        malformedTarget = true;
      }
    }
    const rawQuery = queryAt < 0 ? '' : target.slice(queryAt + 1);

    let outcome: Outcome;
    if (malformedTarget) {
      outcome = this.gatewayResponse('DEFAULT_4XX', requestId, { error: 'MalformedRequestTarget' });
    } else if (rawPath === AUTHORIZER_CACHE_CONTROL_PATH) {
      outcome = this.control(req.method ?? 'GET');
    } else try {
      const body = hasBody(req.rawHeaders) ? await readBody(req, this.options.maxBodyBytes ?? 10 * 1024 * 1024) : NO_BODY;
      const clientCert = clientCertificateOf(req.socket);
      const request: GatewayRequest = {
        method: (req.method ?? 'GET').toUpperCase(),
        rawPath,
        rawQuery,
        rawHeaders: req.rawHeaders,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        protocol: `HTTP/${req.httpVersion}`,
        body,
        requestId,
        receivedAtMs: Date.now(),
        extendedRequestId: newExtendedRequestId(),
        ...(clientCert !== undefined ? { clientCert } : {}),
      };
      outcome = await this.handle(request);
    } catch (error) {
      outcome =
        error instanceof BodyTooLargeError
          ? this.gatewayResponse('REQUEST_TOO_LARGE', requestId)
          : this.gatewayResponse('DEFAULT_5XX', requestId, { error: (error as Error).name });
    }

    const { statusCode, headers, body } = outcome.response;
    const noBody = statusCode === 204 || statusCode === 304;
    const sent = noBody ? '' : body;
    const responseHeaders: Record<string, string | string[]> = {};
    for (const name of Object.keys(headers)) responseHeaders[name] = headers[name]!;
    responseHeaders['x-amzn-RequestId'] = requestId;
    responseHeaders['Content-Length'] = String(typeof sent === 'string' ? Buffer.byteLength(sent, 'utf8') : sent.length);
    res.writeHead(statusCode, responseHeaders);
    // A string body goes out in one write with the head; a Buffer (base64 backend bodies) as it is.
    res.end(sent);
    const onRequest = this.options.onRequest;
    if (onRequest) {
      const entry: { -readonly [K in keyof AccessLogEntry]: AccessLogEntry[K] } = {
        requestId,
        method: req.method ?? '',
        path: rawPath,
        status: statusCode,
        latencyMs: Math.round((performance.now() - started) * 10) / 10,
      };
      if (outcome.responseType) entry.responseType = outcome.responseType;
      if (outcome.authorizerCache) entry.authorizerCache = outcome.authorizerCache;
      if (outcome.error) entry.error = outcome.error;
      onRequest(entry);
    }
  }

  /**
   * The local stand-in for API Gateway's FlushStageAuthorizersCache (the key CLI calls it on `revoke --local`):
   * `DELETE /__portcullis/authorizer-cache` empties the result cache and answers 202, as the AWS API does.
   */
  private control(method: string): Outcome {
    if (method !== 'DELETE') {
      return { response: { statusCode: 405, headers: { Allow: 'DELETE', 'Content-Type': 'application/json' }, body: '{"message":"Use DELETE"}' } };
    }
    this.options.cache.clear();
    return { response: { statusCode: 202, headers: { 'Content-Type': 'application/json' }, body: '{"flushed":true}' } };
  }

  /** Decides one request. Exposed for tests through the HTTP server only. */
  private async handle(request: GatewayRequest): Promise<Outcome> {
    const { requestId } = request;
    const match = this.options.routes.match(request.method, request.rawPath);
    if (match.kind === 'missing') return this.gatewayResponse('MISSING_AUTHENTICATION_TOKEN', requestId);
    if (match.kind === 'preflight') {
      const methods = match.methods.includes('ANY')
        ? ['OPTIONS', 'GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'HEAD']
        : ['OPTIONS', ...match.methods];
      return {
        response: {
          statusCode: 204,
          headers: { ...PREFLIGHT_HEADERS, 'Access-Control-Allow-Methods': methods.join(',') },
          body: '',
        },
      };
    }

    let authorizerContext: ReturnType<typeof backendAuthorizerContext> | undefined;
    let usageKey: string | undefined;
    let authorizerCache: 'hit' | 'miss' | undefined;
    if (match.route.authorized) {
      const identity = authorizationValues(request.rawHeaders);
      if (allBlank(identity)) {
        return this.gatewayResponse('UNAUTHORIZED', requestId);
      }
      // Every value takes part in the key: two Authorization headers never share an entry with one of them.
      const { cache } = this.options;
      const cacheKey = cache.enabled
        ? authorizerCacheKey(this.options.cacheKeyMode ?? 'identity', identity, request.method, match.resource)
        : undefined;
      let result: ValidAuthorizerResult | undefined = cacheKey === undefined ? undefined : cache.get(cacheKey);
      let integrationLatency = 0;
      authorizerCache = result ? 'hit' : 'miss';
      // API Gateway routes on decoded segments (above) but spells methodArn with the path as sent, percent-escapes
      // kept: AWS documents it as "the ARN of the incoming method request" (api-gateway-lambda-authorizer-input.html),
      // built from the request path (dherault/serverless-offline#273, checked in CloudWatch), and REST APIs keep that
      // path percent-encoded (live captures cited in middleapi/standard-server#93). So `/items/1/%61udit` runs the
      // `audit` route with the ARN `.../items/1/%61udit`; the policies are built to be right under this spelling and
      // under a decoded one (lambda/policy.ts).
      const arn = methodArn(this.options.stage, request.method, request.rawPath);
      if (!result) {
        const event = buildAuthorizerEvent(this.options.stage, request, match, arn);
        const invoked = performance.now();
        let output: unknown;
        try {
          output = await this.options.authorizer(event, { awsRequestId: randomUUID() });
        } catch (error) {
          if (error instanceof Error && error.message === 'Unauthorized') {
            return this.gatewayResponse('UNAUTHORIZED', requestId, { authorizerCache });
          }
          return this.gatewayResponse('AUTHORIZER_CONFIGURATION_ERROR', requestId, {
            authorizerCache,
            error: error instanceof Error ? error.message : String(error),
          });
        }
        integrationLatency = Math.round(performance.now() - invoked);
        try {
          result = validateAuthorizerResult(output);
        } catch (error) {
          return this.gatewayResponse('AUTHORIZER_CONFIGURATION_ERROR', requestId, { authorizerCache, error: (error as Error).message });
        }
        if (cacheKey !== undefined) cache.set(cacheKey, result);
      }

      let verdict;
      try {
        verdict = evaluatePolicy(result.policyDocument, arn);
      } catch (error) {
        return this.gatewayResponse('AUTHORIZER_CONFIGURATION_ERROR', requestId, { authorizerCache, error: (error as Error).message });
      }
      if (verdict === 'explicit-deny') return this.gatewayResponse('ACCESS_DENIED', requestId, { authorizerCache }, EXPLICIT_DENY_MESSAGE);
      if (verdict === 'implicit-deny') return this.gatewayResponse('ACCESS_DENIED', requestId, { authorizerCache });
      authorizerContext = backendAuthorizerContext(result.principalId, integrationLatency, result.context);
      usageKey = result.usageIdentifierKey;
    }

    if (match.route.metered) {
      if (usageKey === undefined || usageKey === '') return this.gatewayResponse('INVALID_API_KEY', requestId, { authorizerCache });
      const key = await this.options.usageKeys.get(usageKey);
      if (!key || !key.enabled || !this.options.meter.hasPlan(key.plan)) {
        return this.gatewayResponse('INVALID_API_KEY', requestId, { authorizerCache });
      }
      const metered = this.options.meter.admit(usageKey, key.plan);
      if (metered === 'throttled') return this.gatewayResponse('THROTTLED', requestId, { authorizerCache });
      if (metered === 'quota-exceeded') return this.gatewayResponse('QUOTA_EXCEEDED', requestId, { authorizerCache });
    }

    const event = buildProxyEvent(this.options.stage, request, match, authorizerContext, usageKey && match.route.metered ? { apiKey: usageKey } : undefined);
    let result: APIGatewayProxyResult;
    try {
      result = await this.options.backend(event);
      if (typeof result?.statusCode !== 'number') throw new Error('The backend returned no statusCode');
    } catch (error) {
      return this.gatewayResponse('INTEGRATION_FAILURE', requestId, { authorizerCache, error: (error as Error).message });
    }
    const headers: Record<string, string | string[]> = {};
    const single = result.headers;
    if (single) for (const name of Object.keys(single)) headers[name] = String(single[name]);
    const multi = result.multiValueHeaders;
    if (multi) for (const name of Object.keys(multi)) headers[name] = multi[name]!.map(String);
    const body = result.isBase64Encoded ? Buffer.from(result.body ?? '', 'base64') : (result.body ?? '');
    return { response: { statusCode: result.statusCode, headers, body }, authorizerCache };
  }
}
