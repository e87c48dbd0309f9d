/**
 * The credentials an API uses at the local issuer's `/oauth2/introspect`: those of a confidential dev client that
 * requests no tokens itself (a resource server: `local-api` in dev-clients.json).
 */
import type { DevClient } from './dev-clients';

export interface LocalIntrospection {
  readonly endpoint: string;
  readonly clientId: string;
  readonly clientSecret: string;
}

export function introspectionClient(clients: readonly DevClient[]): DevClient | undefined {
  return clients.find((client) => client.clientSecret !== undefined && client.grantTypes !== undefined && client.grantTypes.length === 0);
}
