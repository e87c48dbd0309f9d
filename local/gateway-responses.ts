/**
 * The gateway responses of the local gateway: status, headers and body per API Gateway response type, JSON bodies,
 * CORS headers, and RFC 6750 `WWW-Authenticate` challenges on 401 and 403.
 *
 * `npm start` serves the definitions the CDK stack deploys (`infra/gateway-responses.ts`); the ones here are API
 * Gateway's defaults, used for response types those leave out and by gateway tests that pass no definitions. Bodies
 * may use the API Gateway variables `$context.error.messageString` (a quoted JSON string), `$context.error.message`
 * and `$context.requestId`; {@link renderGatewayResponse} substitutes them.
 */
export interface GatewayResponseDefinition {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export type GatewayResponseType =
  | 'UNAUTHORIZED'
  | 'ACCESS_DENIED'
  | 'MISSING_AUTHENTICATION_TOKEN'
  | 'INVALID_API_KEY'
  | 'THROTTLED'
  | 'QUOTA_EXCEEDED'
  | 'AUTHORIZER_FAILURE'
  | 'AUTHORIZER_CONFIGURATION_ERROR'
  | 'REQUEST_TOO_LARGE'
  | 'INTEGRATION_FAILURE'
  | 'DEFAULT_4XX'
  | 'DEFAULT_5XX';

/** CORS headers on every gateway response, so browsers can read the error. */
export const GATEWAY_CORS_HEADERS: Readonly<Record<string, string>> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Headers': 'Authorization,Content-Type,X-Amz-Date,X-Api-Key,X-Amz-Security-Token,X-Amz-User-Agent',
};

/** Headers of the OPTIONS preflight answer (API Gateway's mock integration, as the CDK's CORS options set it up). */
export const PREFLIGHT_HEADERS: Readonly<Record<string, string>> = {
  ...GATEWAY_CORS_HEADERS,
  'Access-Control-Max-Age': '600',
};

/** API Gateway's own message per response type (`$context.error.message`). */
export const DEFAULT_MESSAGES: Readonly<Record<GatewayResponseType, string>> = {
  UNAUTHORIZED: 'Unauthorized',
  ACCESS_DENIED: 'User is not authorized to access this resource',
  MISSING_AUTHENTICATION_TOKEN: 'Missing Authentication Token',
  INVALID_API_KEY: 'Forbidden',
  THROTTLED: 'Too Many Requests',
  QUOTA_EXCEEDED: 'Limit Exceeded',
  AUTHORIZER_FAILURE: 'Internal server error',
  AUTHORIZER_CONFIGURATION_ERROR: 'Internal server error',
  REQUEST_TOO_LARGE: 'Request Too Long',
  INTEGRATION_FAILURE: 'Internal server error',
  DEFAULT_4XX: 'Bad Request',
  DEFAULT_5XX: 'Internal server error',
};

/** The message of an explicit Deny (API Gateway's wording). */
export const EXPLICIT_DENY_MESSAGE = 'User is not authorized to access this resource with an explicit deny';

const json = (statusCode: number, extra: Record<string, string> = {}): GatewayResponseDefinition => ({
  statusCode,
  headers: { 'Content-Type': 'application/json', ...GATEWAY_CORS_HEADERS, ...extra },
  body: '{"message":$context.error.messageString}',
});

export const LOCAL_GATEWAY_RESPONSES: Readonly<Record<GatewayResponseType, GatewayResponseDefinition>> = {
  UNAUTHORIZED: json(401, { 'WWW-Authenticate': 'Bearer realm="portcullis", error="invalid_token"' }),
  ACCESS_DENIED: json(403, { 'WWW-Authenticate': 'Bearer realm="portcullis", error="insufficient_scope"' }),
  MISSING_AUTHENTICATION_TOKEN: json(403),
  INVALID_API_KEY: json(403),
  THROTTLED: json(429),
  QUOTA_EXCEEDED: json(429),
  AUTHORIZER_FAILURE: json(500),
  AUTHORIZER_CONFIGURATION_ERROR: json(500),
  REQUEST_TOO_LARGE: json(413),
  INTEGRATION_FAILURE: json(502),
  DEFAULT_4XX: json(400),
  DEFAULT_5XX: json(500),
};

/** The `x-amzn-ErrorType` API Gateway sends with each response type. */
export const ERROR_TYPES: Readonly<Record<GatewayResponseType, string>> = {
  UNAUTHORIZED: 'UnauthorizedException',
  ACCESS_DENIED: 'AccessDeniedException',
  MISSING_AUTHENTICATION_TOKEN: 'MissingAuthenticationTokenException',
  INVALID_API_KEY: 'ForbiddenException',
  THROTTLED: 'TooManyRequestsException',
  QUOTA_EXCEEDED: 'LimitExceededException',
  AUTHORIZER_FAILURE: 'AuthorizerFailureException',
  AUTHORIZER_CONFIGURATION_ERROR: 'AuthorizerConfigurationException',
  REQUEST_TOO_LARGE: 'RequestTooLargeException',
  INTEGRATION_FAILURE: 'InternalServerErrorException',
  DEFAULT_4XX: 'BadRequestException',
  DEFAULT_5XX: 'InternalServerErrorException',
};

export interface RenderedResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** The status of each response type, kept when a type falls back to DEFAULT_4XX / DEFAULT_5XX. */
export const DEFAULT_STATUS: Readonly<Record<GatewayResponseType, number>> = Object.fromEntries(
  Object.entries(LOCAL_GATEWAY_RESPONSES).map(([type, definition]) => [type, definition.statusCode]),
) as Record<GatewayResponseType, number>;

export type GatewayResponseDefinitions = Readonly<Partial<Record<GatewayResponseType, GatewayResponseDefinition>>>;

/**
 * Renders a response type from the given definitions. A type that is not defined falls back, as in API Gateway, to
 * DEFAULT_4XX or DEFAULT_5XX (keeping its own status code), then to the local definitions.
 */
export function renderGatewayResponse(
  definitions: GatewayResponseDefinitions,
  type: GatewayResponseType,
  variables: { readonly message?: string; readonly requestId: string },
): RenderedResponse {
  const status = DEFAULT_STATUS[type];
  const fallback = status >= 500 ? 'DEFAULT_5XX' : 'DEFAULT_4XX';
  const found = definitions[type] ?? definitions[fallback];
  const definition = found
    ? { ...found, statusCode: definitions[type] ? found.statusCode : status }
    : LOCAL_GATEWAY_RESPONSES[type];
  const message = variables.message ?? DEFAULT_MESSAGES[type];
  const body = definition.body
    .replaceAll('$context.error.messageString', JSON.stringify(message))
    .replaceAll('$context.error.message', message)
    .replaceAll('$context.requestId', variables.requestId);
  return {
    statusCode: definition.statusCode,
    headers: { ...definition.headers, 'x-amzn-ErrorType': ERROR_TYPES[type] },
    body,
  };
}
