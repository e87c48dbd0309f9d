/**
 * The name of an error for logs and fault messages: the class name only, never the message, which may echo request
 * data (an SDK error can quote a key, a fetch error a URL with a token). Used for DynamoDB and JWKS failures alike.
 */
export function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'UnknownError';
}
