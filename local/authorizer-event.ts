/**
 * The events the local gateway builds, in the shapes API Gateway REST sends (see the captured events in
 * test/fixtures/apigateway-events):
 *
 * - the Lambda REQUEST authorizer's input: `type`, `methodArn`, `resource`, `path`, `httpMethod`, `headers` (last
 *   value of each header) and `multiValueHeaders` (every value, duplicates kept), query and path parameters and
 *   stage variables as `{}` when there are none, and the request context;
 * - the backend's Lambda proxy input: the same request with `null` for absent query, path and stage values, the
 *   body, and `requestContext.authorizer` = `{ principalId, integrationLatency, ...context as strings }`.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import type { ApiGatewayClientCertificate } from './client-certificate';

export interface StageIdentity {
  readonly region: string;
  readonly accountId: string;
  readonly apiId: string;
  readonly stage: string;
  readonly deploymentId: string;
}

/** One HTTP request as the gateway received it. */
export interface GatewayRequest {
  readonly method: string;
  /** The path as sent, without the query string. */
  readonly rawPath: string;
  /** The query string without `?` ('' when none). */
  readonly rawQuery: string;
  /** Node's `rawHeaders`: [name, value, name, value, ...] in the order and casing received. */
  readonly rawHeaders: readonly string[];
  readonly sourceIp: string;
  readonly protocol: string;
  readonly body: Buffer;
  readonly requestId: string;
  readonly receivedAtMs: number;
  /**
   * `requestContext.extendedRequestId`: one per request, so the authorizer and the backend see the same value, as in
   * API Gateway. A new one per event when absent.
   */
  readonly extendedRequestId?: string;
  /** The verified TLS client certificate, on the mutual TLS listener only (`requestContext.identity.clientCert`). */
  readonly clientCert?: ApiGatewayClientCertificate;
}

export interface MatchedResource {
  /** The resource template, e.g. `/items/{id}`. */
  readonly resource: string;
  readonly pathParameters: Readonly<Record<string, string>>;
}

type HeaderMaps = { headers: Record<string, string>; multiValueHeaders: Record<string, string[]> };

interface ScannedHeaders extends HeaderMaps {
  /** The last `Host` value ('' when none) and `User-Agent` value (null when none), for the request context. */
  readonly host: string;
  readonly userAgent: string | null;
}

function scanHeaders(rawHeaders: readonly string[]): ScannedHeaders {
  const names = new Map<string, string>();
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  let host = '';
  let userAgent: string | null = null;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const received = rawHeaders[i]!;
    const value = rawHeaders[i + 1]!;
    const lower = received.toLowerCase();
    let name = names.get(lower);
    if (name === undefined) {
      name = received;
      names.set(lower, name);
      multiValueHeaders[name] = [value];
    } else {
      multiValueHeaders[name]!.push(value);
    }
    headers[name] = value;
    if (lower === 'host') host = value;
    else if (lower === 'user-agent') userAgent = value;
  }
  return { headers, multiValueHeaders, host, userAgent };
}

/**
 * Header maps as API Gateway fills them: one entry per header name (the first spelling seen), `headers` holding the
 * last value and `multiValueHeaders` every value in order.
 */
export function headerMaps(rawHeaders: readonly string[]): HeaderMaps {
  const { headers, multiValueHeaders } = scanHeaders(rawHeaders);
  return { headers, multiValueHeaders };
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Query maps: `queryStringParameters` holds the last value of each name, the multi-value map every value. */
export function queryMaps(rawQuery: string): { single: Record<string, string>; multi: Record<string, string[]> } {
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const equals = part.indexOf('=');
    const name = decode(equals < 0 ? part : part.slice(0, equals));
    const value = decode(equals < 0 ? '' : part.slice(equals + 1));
    single[name] = value;
    (multi[name] ??= []).push(value);
  }
  return { single, multi };
}

export function methodArn(stage: StageIdentity, method: string, rawPath: string): string {
  const path = rawPath.startsWith('/') ? rawPath.slice(1) : rawPath;
  return `arn:aws:execute-api:${stage.region}:${stage.accountId}:${stage.apiId}/${stage.stage}/${method}/${path}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

let lastSecond = Number.NaN;
let lastRequestTime = '';

/** `17/Jun/2024:15:02:03 +0000`, as in `requestContext.requestTime` (formatted once per second). */
export function requestTime(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    lastRequestTime = formatRequestTime(ms);
    lastSecond = second;
  }
  return lastRequestTime;
}

function formatRequestTime(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

const resourceIds = new Map<string, string>();

/** A stable resource id per resource template, like API Gateway's (6 characters). */
function resourceId(resource: string): string {
  let id = resourceIds.get(resource);
  if (id === undefined) {
    id = hashResource(resource);
    if (resourceIds.size >= 1000) resourceIds.clear(); // templates are few; bounded all the same
    resourceIds.set(resource, id);
  }
  return id;
}

function hashResource(resource: string): string {
  let hash = 0;
  for (const ch of resource) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return hash.toString(36).padStart(6, '0').slice(-6);
}

/** A new `extendedRequestId` (16 hex characters). */
export function newExtendedRequestId(): string {
  const uuid = randomUUID(); // xxxxxxxx-xxxx-4xxx-...: the first 16 hex digits, as before
  return uuid.slice(0, 8) + uuid.slice(9, 13) + uuid.slice(14, 18);
}

function requestContext(stage: StageIdentity, request: GatewayRequest, match: MatchedResource, scanned: ScannedHeaders) {
  return {
    resourceId: resourceId(match.resource),
    resourcePath: match.resource,
    httpMethod: request.method,
    extendedRequestId: request.extendedRequestId ?? newExtendedRequestId(),
    requestTime: requestTime(request.receivedAtMs),
    path: `/${stage.stage}${request.rawPath}`,
    accountId: stage.accountId,
    protocol: request.protocol,
    stage: stage.stage,
    domainPrefix: stage.apiId,
    requestTimeEpoch: request.receivedAtMs,
    requestId: request.requestId,
    identity: {
      cognitoIdentityPoolId: null,
      accountId: null,
      cognitoIdentityId: null,
      caller: null,
      sourceIp: request.sourceIp,
      principalOrgId: null,
      accessKey: null,
      cognitoAuthenticationType: null,
      cognitoAuthenticationProvider: null,
      userArn: null,
      userAgent: scanned.userAgent,
      user: null,
      // Only behind a mutual TLS custom domain does API Gateway add the client certificate.
      ...(request.clientCert !== undefined ? { clientCert: request.clientCert } : {}),
    },
    domainName: scanned.host,
    deploymentId: stage.deploymentId,
    apiId: stage.apiId,
  };
}

export function buildAuthorizerEvent(
  stage: StageIdentity,
  request: GatewayRequest,
  match: MatchedResource,
  arn: string = methodArn(stage, request.method, request.rawPath),
): APIGatewayRequestAuthorizerEvent {
  const scanned = scanHeaders(request.rawHeaders);
  const query = queryMaps(request.rawQuery);
  return {
    type: 'REQUEST',
    methodArn: arn,
    resource: match.resource,
    path: request.rawPath,
    httpMethod: request.method,
    headers: scanned.headers,
    multiValueHeaders: scanned.multiValueHeaders,
    queryStringParameters: query.single,
    multiValueQueryStringParameters: query.multi,
    pathParameters: { ...match.pathParameters },
    stageVariables: {},
    requestContext: requestContext(stage, request, match, scanned),
  } as unknown as APIGatewayRequestAuthorizerEvent;
}

/** `requestContext.authorizer` as the backend sees it: context values stringified, as API Gateway delivers them. */
export type BackendAuthorizerContext = Record<string, string | number>;

export function backendAuthorizerContext(
  principalId: string,
  integrationLatencyMs: number,
  context: Readonly<Record<string, string | number | boolean>> | undefined,
): BackendAuthorizerContext {
  const result: BackendAuthorizerContext = { principalId, integrationLatency: integrationLatencyMs };
  if (context === undefined) return result;
  for (const key of Object.keys(context)) {
    if (key === 'principalId' || key === 'integrationLatency') continue;
    result[key] = String(context[key]);
  }
  return result;
}

export function buildProxyEvent(
  stage: StageIdentity,
  request: GatewayRequest,
  match: MatchedResource,
  authorizer: BackendAuthorizerContext | undefined,
  usage?: { readonly apiKey: string },
): APIGatewayProxyEvent {
  const scanned = scanHeaders(request.rawHeaders);
  const { headers, multiValueHeaders } = scanned;
  const query = queryMaps(request.rawQuery);
  const hasQuery = Object.keys(query.single).length > 0;
  const context: Record<string, unknown> = requestContext(stage, request, match, scanned);
  if (authorizer) context.authorizer = authorizer;
  if (usage) (context.identity as Record<string, unknown>).apiKey = usage.apiKey;
  return {
    resource: match.resource,
    path: request.rawPath,
    httpMethod: request.method,
    headers: Object.keys(headers).length > 0 ? headers : null,
    multiValueHeaders: Object.keys(multiValueHeaders).length > 0 ? multiValueHeaders : null,
    queryStringParameters: hasQuery ? query.single : null,
    multiValueQueryStringParameters: hasQuery ? query.multi : null,
    pathParameters: Object.keys(match.pathParameters).length > 0 ? { ...match.pathParameters } : null,
    stageVariables: null,
    requestContext: context,
    body: request.body.length > 0 ? request.body.toString('utf8') : null,
    isBase64Encoded: false,
  } as unknown as APIGatewayProxyEvent;
}
