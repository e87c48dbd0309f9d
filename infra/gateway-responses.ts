/**
 * The API's gateway responses (what API Gateway answers when it refuses a request itself): status, JSON body and
 * headers. Pure data, no CDK import: the CDK stack turns them into `AWS::ApiGateway::GatewayResponse` resources and the
 * local gateway serves the very same bodies and headers.
 *
 * Bodies are static `{"message": "...", "code": "..."}` objects so clients can branch on `code`; the messages are API
 * Gateway's own ("Unauthorized", "Too Many Requests", "Limit Exceeded"...), which clients already match on. 401 and
 * 403 carry an RFC 6750 `WWW-Authenticate` challenge; every response carries CORS headers so a browser can read it.
 */

/** The API Gateway response types this API customises. */
export type GatewayResponseType =
  | 'UNAUTHORIZED'
  | 'ACCESS_DENIED'
  | 'INVALID_API_KEY'
  | 'MISSING_AUTHENTICATION_TOKEN'
  | 'THROTTLED'
  | 'QUOTA_EXCEEDED'
  | 'AUTHORIZER_FAILURE'
  | 'AUTHORIZER_CONFIGURATION_ERROR'
  | 'DEFAULT_4XX'
  | 'DEFAULT_5XX';

export interface GatewayResponseBody {
  readonly message: string;
  /** Stable machine-readable reason. */
  readonly code: string;
}

export interface GatewayResponseDefinition {
  readonly type: GatewayResponseType;
  /**
   * The status API Gateway answers with. Undefined for the `DEFAULT_*` types: they keep the status of the error they
   * stand for (a 413, a 502...); `fallbackStatusCode` is what a local gateway uses for them.
   */
  readonly statusCode?: number;
  readonly fallbackStatusCode: number;
  readonly contentType: 'application/json';
  readonly body: GatewayResponseBody;
  /** Header name -> literal value (not quoted for API Gateway: the CDK side does that). */
  readonly headers: Readonly<Record<string, string>>;
}

export interface GatewayResponseOptions {
  /**
   * The realm named in `WWW-Authenticate` challenges.
   * @default 'portcullis'
   */
  readonly realm?: string;
  /**
   * The `Access-Control-Allow-Origin` value on refusals.
   * @default '*'
   */
  readonly allowOrigin?: string;
}

export const DEFAULT_REALM = 'portcullis';

// RFC 7230 quoted-string content without quote or backslash (nothing to escape), and not empty.
const REALM = /^[\x20\x21\x23-\x5B\x5D-\x7E]{1,64}$/;
const ORIGIN = /^(\*|https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?)$/;

/** The gateway responses of an API, in a fixed order. Throws when an option is not a safe header value. */
export function gatewayResponses(options: GatewayResponseOptions = {}): readonly GatewayResponseDefinition[] {
  const realm = options.realm ?? DEFAULT_REALM;
  const allowOrigin = options.allowOrigin ?? '*';
  if (!REALM.test(realm)) {
    throw new Error(`realm must be 1-64 printable ASCII characters without quotes or backslashes, got ${JSON.stringify(realm)}`);
  }
  if (!ORIGIN.test(allowOrigin)) {
    throw new Error(`allowOrigin must be "*" or an http(s) origin, got ${JSON.stringify(allowOrigin)}`);
  }
  const cors = {
    'Access-Control-Allow-Origin': allowOrigin,
    'Access-Control-Expose-Headers': 'WWW-Authenticate',
  };
  const challenge = (error: 'invalid_token' | 'insufficient_scope', description: string) => ({
    ...cors,
    'WWW-Authenticate': `Bearer realm="${realm}", error="${error}", error_description="${description}"`,
  });
  const response = (
    type: GatewayResponseType,
    statusCode: number | undefined,
    fallbackStatusCode: number,
    code: string,
    message: string,
    headers: Record<string, string> = cors,
  ): GatewayResponseDefinition =>
    Object.freeze({
      type,
      statusCode,
      fallbackStatusCode,
      contentType: 'application/json' as const,
      body: Object.freeze({ message, code }),
      headers: Object.freeze(headers),
    });

  return Object.freeze([
    response(
      'UNAUTHORIZED', 401, 401, 'invalid_token',
      'Unauthorized',
      challenge('invalid_token', 'The credential is missing, malformed, expired or revoked'),
    ),
    response(
      'ACCESS_DENIED', 403, 403, 'insufficient_scope',
      'User is not authorized to access this resource',
      challenge('insufficient_scope', 'The credential lacks a scope this route requires'),
    ),
    response('INVALID_API_KEY', 403, 403, 'no_usage_plan', 'Forbidden'),
    // API Gateway's status for an unknown route or method: kept, so clients see what they would without us.
    response('MISSING_AUTHENTICATION_TOKEN', 403, 403, 'missing_route', 'Missing Authentication Token'),
    response('THROTTLED', 429, 429, 'throttled', 'Too Many Requests'),
    response('QUOTA_EXCEEDED', 429, 429, 'quota_exceeded', 'Limit Exceeded'),
    response('AUTHORIZER_FAILURE', 500, 500, 'authorizer_unavailable', 'The request could not be authorized now: retry later'),
    response('AUTHORIZER_CONFIGURATION_ERROR', 500, 500, 'authorizer_misconfigured', 'The authorizer is misconfigured'),
    response('DEFAULT_4XX', undefined, 400, 'bad_request', 'The request was refused'),
    response('DEFAULT_5XX', undefined, 500, 'internal_error', 'Internal error: retry later'),
  ]);
}

/** The body exactly as served (API Gateway template and local gateway alike). */
export function gatewayResponseBodyJson(definition: GatewayResponseDefinition): string {
  return JSON.stringify(definition.body);
}

/** A response as a local gateway serves it: concrete status, headers with `Content-Type`, body text. */
export interface ServedGatewayResponse {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * The responses by type, as served (for the local gateway). `DEFAULT_*` use their fallback status; a local gateway
 * that knows the precise status of an error it maps to a default (413, 502...) may use that instead.
 */
export function servedGatewayResponses(
  options: GatewayResponseOptions = {},
): Readonly<Record<GatewayResponseType, ServedGatewayResponse>> {
  const served: Partial<Record<GatewayResponseType, ServedGatewayResponse>> = {};
  for (const definition of gatewayResponses(options)) {
    served[definition.type] = Object.freeze({
      statusCode: definition.statusCode ?? definition.fallbackStatusCode,
      headers: Object.freeze({ 'Content-Type': definition.contentType, ...definition.headers }),
      body: gatewayResponseBodyJson(definition),
    });
  }
  return Object.freeze(served as Record<GatewayResponseType, ServedGatewayResponse>);
}
