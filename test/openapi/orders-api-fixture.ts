/**
 * The OpenAPI fixture the converter and construct tests read (fixtures/orders-api.yaml), and the routes it holds,
 * written out by hand from the file (not by the converter), so the tests do not check the converter against itself.
 */
import { join } from 'node:path';

export const ORDERS_API_SPEC = join(__dirname, 'fixtures', 'orders-api.yaml');

export const ORDERS_API_ROUTES = [
  { method: 'GET', path: '/v1/orders', scopes: ['orders:read'] },
  { method: 'POST', path: '/v1/orders', anyOf: [['orders:write'], ['shop-api/orders.write']], metered: true },
  { method: 'GET', path: '/v1/orders/{orderId}', scopes: ['orders:read'] },
  { method: 'DELETE', path: '/v1/orders/{orderId}', scopes: ['orders:admin', 'orders:write'] },
  { method: 'PUT', path: '/v1/orders/{orderId}/items/{itemId}', scopes: ['orders:write'], metered: true },
  { method: 'GET', path: '/v1/me', scopes: [] },
  { method: 'ANY', path: '/files/{proxy+}', scopes: ['files:read'] },
];
