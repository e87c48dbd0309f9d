/**
 * The last answer given to each verified credential, reused while the same credential asks for the same request.
 * Instance state of the handler. Kept because doing without it costs more than a microsecond per repeated request
 * (the request-specific policy statement and the context are rebuilt): measured with `npm run bench -- --baseline`.
 *
 * Keyed by the cached token identity or key record object itself: an entry lives exactly as long as the cache keeps
 * that object (a new verification or a re-read record is a new object), so no answer outlives the checks behind it.
 * The checks that run on every request (expiry, certificate binding) run before this is consulted.
 */
export interface RememberedRequest {
  readonly methodArn: string;
  readonly httpMethod: string;
  readonly resource: string;
  readonly plan?: string;
  readonly usageIdentifierKey?: string;
}

interface Entry<D> extends RememberedRequest {
  readonly decision: D;
}

export class DecisionMemo<D> {
  private readonly last = new WeakMap<object, Entry<D>>();

  /** The decision given to `credential` for exactly this request and usage binding, if it was the last one. */
  recall(credential: object, request: RememberedRequest): D | undefined {
    const entry = this.last.get(credential);
    if (
      entry === undefined ||
      entry.methodArn !== request.methodArn ||
      entry.resource !== request.resource ||
      entry.httpMethod !== request.httpMethod ||
      entry.plan !== request.plan ||
      entry.usageIdentifierKey !== request.usageIdentifierKey
    ) {
      return undefined;
    }
    return entry.decision;
  }

  remember(credential: object, request: RememberedRequest, decision: D): void {
    this.last.set(credential, {
      methodArn: request.methodArn,
      httpMethod: request.httpMethod,
      resource: request.resource,
      plan: request.plan,
      usageIdentifierKey: request.usageIdentifierKey,
      decision,
    });
  }
}
