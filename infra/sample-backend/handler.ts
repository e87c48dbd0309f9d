/**
 * The sample API's backend: one tiny Lambda behind every route of the sample stack. It trusts the authorizer's
 * decision (API Gateway only calls it for allowed requests) and shows what the authorizer passed on.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

const json = (statusCode: number, body: unknown): APIGatewayProxyResult => ({
  statusCode,
  headers: { 'Content-Type': 'application/json', 'Access-Control-Allow-Origin': '*' },
  body: JSON.stringify(body),
});

const SAMPLE_ITEMS = [
  { id: '1', name: 'Portcullis' },
  { id: '2', name: 'Drawbridge' },
];

export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const route = `${event.httpMethod} ${event.resource}`;
  switch (route) {
    case 'GET /health':
      return json(200, { status: 'ok' });
    case 'GET /whoami':
      // The authorizer context: flat strings, never a secret (see README "Authorization").
      return json(200, { authorizer: event.requestContext.authorizer ?? {} });
    case 'GET /items':
      return json(200, { items: SAMPLE_ITEMS });
    case 'POST /items': {
      let parsed: unknown;
      try {
        parsed = JSON.parse(event.body ?? '');
      } catch {
        return json(400, { message: 'Body must be JSON', code: 'bad_request' });
      }
      const name = (parsed as { name?: unknown } | null)?.name;
      if (typeof name !== 'string' || name.length === 0 || name.length > 100) {
        return json(400, { message: 'Body must be {"name": "<1-100 characters>"}', code: 'bad_request' });
      }
      return json(201, { id: String(SAMPLE_ITEMS.length + 1), name });
    }
    case 'DELETE /items/{id}':
      return { statusCode: 204, headers: { 'Access-Control-Allow-Origin': '*' }, body: '' };
    default:
      return json(404, { message: 'No such route', code: 'not_found' });
  }
}
