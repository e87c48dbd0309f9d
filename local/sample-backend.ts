/**
 * The sample API's backend, as a Lambda proxy handler: it receives the event API Gateway builds behind the
 * authorizer and answers like a small service would.
 *
 * - `GET /health`: `{"status":"ok"}` (public)
 * - `GET /whoami`: the authorizer context it received (`requestContext.authorizer`), as JSON
 * - `GET /items`, `POST /items` (`{"name": "..."}`), `DELETE /items/{id}`: a small in-memory store
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

export type ProxyHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

export interface Item {
  readonly id: string;
  readonly name: string;
  readonly createdBy: string;
  readonly createdAt: string;
}

const MAX_ITEMS = 1000;
const MAX_NAME_LENGTH = 200;

function respond(statusCode: number, body?: unknown): APIGatewayProxyResult {
  if (body === undefined) return { statusCode, headers: { 'Access-Control-Allow-Origin': '*' }, body: '' };
  return {
    statusCode,
    headers: { 'Content-Type': 'application/json', 'Access-Control-Allow-Origin': '*' },
    body: JSON.stringify(body),
  };
}

export function createSampleBackend(): ProxyHandler {
  const items = new Map<string, Item>();
  let nextId = 1;

  return async (event) => {
    const authorizer = (event.requestContext.authorizer ?? {}) as Record<string, unknown>;
    switch (`${event.httpMethod} ${event.resource}`) {
      case 'GET /health':
        return respond(200, { status: 'ok' });
      case 'GET /whoami':
        return respond(200, authorizer);
      case 'GET /items':
        return respond(200, { items: [...items.values()] });
      case 'POST /items': {
        let name: unknown;
        try {
          name = (JSON.parse(event.body ?? '') as { name?: unknown }).name;
        } catch {
          return respond(400, { message: 'The body must be JSON: {"name": "..."}' });
        }
        if (typeof name !== 'string' || name.trim() === '' || name.length > MAX_NAME_LENGTH) {
          return respond(400, { message: `name must be a non-empty string of at most ${MAX_NAME_LENGTH} characters` });
        }
        if (items.size >= MAX_ITEMS) return respond(409, { message: `The sample store holds at most ${MAX_ITEMS} items` });
        const item: Item = {
          id: String(nextId++),
          name,
          createdBy: String(authorizer.principalId ?? ''),
          createdAt: new Date().toISOString(),
        };
        items.set(item.id, item);
        return respond(201, item);
      }
      case 'DELETE /items/{id}': {
        const id = event.pathParameters?.id ?? '';
        if (!items.delete(id)) return respond(404, { message: `No item ${id}` });
        return respond(204);
      }
      default:
        return respond(404, { message: 'Not found' });
    }
  };
}
