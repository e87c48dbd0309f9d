/**
 * A real HTTPS RFC 7662 introspection endpoint for tests: it knows a set of opaque tokens and their answers, demands
 * client_secret_basic with one client id and secret, and can be switched to the faults an endpoint shows (down, slow,
 * hanging). Written against RFC 7662 and RFC 6749 2.3.1, not against our client.
 */
import type { IncomingMessage } from 'node:http';
import { startProviderServer, type ProviderServer, type ServedResponse } from './provider-server';

export type IntrospectionBehaviour = { kind: 'answer' } | { kind: 'status'; status: number } | { kind: 'slow'; ms: number } | { kind: 'hang' };

export interface IntrospectionServer {
  readonly endpoint: string;
  readonly ca: string;
  /** Opaque token -> the JSON the endpoint answers for it (tokens not listed are `{"active":false}`). */
  readonly tokens: Map<string, Record<string, unknown>>;
  behaviour: IntrospectionBehaviour;
  /** Requests that reached the endpoint (with any client authentication). */
  readonly requests: number;
  /** Requests refused for bad client authentication. */
  readonly unauthenticated: number;
  stop(): Promise<void>;
}

const PATH = '/oauth2/introspect';

export async function startIntrospectionServer(client: { id: string; secret: string }): Promise<IntrospectionServer> {
  const server: ProviderServer = await startProviderServer();
  const tokens = new Map<string, Record<string, unknown>>();
  const state = { behaviour: { kind: 'answer' } as IntrospectionBehaviour, unauthenticated: 0 };
  // RFC 6749 2.3.1: id and secret form-encoded, joined by a colon, base64 in HTTP Basic.
  const expectedAuthorization = `Basic ${Buffer.from(
    `${encodeURIComponent(client.id).replace(/%20/g, '+')}:${encodeURIComponent(client.secret).replace(/%20/g, '+')}`,
  ).toString('base64')}`;
  server.route(PATH, (request: IncomingMessage, body: string): ServedResponse => {
    const behaviour = state.behaviour;
    if (behaviour.kind === 'hang') return { hang: true };
    if (behaviour.kind === 'status') return { status: behaviour.status, json: { error: 'temporarily_unavailable' } };
    if (request.method !== 'POST' || request.headers.authorization !== expectedAuthorization) {
      state.unauthenticated++;
      return { status: 401, json: { error: 'invalid_client' } };
    }
    const form = new URLSearchParams(body);
    const answer = tokens.get(form.get('token') ?? '') ?? { active: false };
    return behaviour.kind === 'slow' ? { json: answer, delayMs: behaviour.ms } : { json: answer };
  });
  return {
    endpoint: `${server.origin}${PATH}`,
    ca: server.ca,
    tokens,
    get behaviour() {
      return state.behaviour;
    },
    set behaviour(next) {
      state.behaviour = next;
    },
    get requests() {
      return server.requestsTo(PATH);
    },
    get unauthenticated() {
      return state.unauthenticated;
    },
    stop: () => server.stop(),
  };
}
