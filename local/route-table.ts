/**
 * The local gateway's resources and methods, matched the way API Gateway REST matches them: a request path is
 * walked segment by segment, a literal segment beats a `{param}` sibling, a `{param+}` takes the rest of the path
 * (at least one segment), and `ANY` serves methods a resource does not define itself. No resource or no method is
 * API Gateway's 403 "Missing Authentication Token".
 */
export interface RouteDefinition {
  readonly method: string;
  readonly path: string;
  /** Behind the authorizer. */
  readonly authorized: boolean;
  /** Counted against the caller's usage plan (API key required). */
  readonly metered: boolean;
}

export type RouteMatch =
  | {
      readonly kind: 'method';
      readonly route: RouteDefinition;
      /** The resource template, e.g. `/items/{id}`. */
      readonly resource: string;
      readonly pathParameters: Readonly<Record<string, string>>;
    }
  | { readonly kind: 'preflight'; readonly resource: string; readonly methods: readonly string[] }
  | { readonly kind: 'missing' };

interface ResourceNode {
  readonly path: string;
  readonly literals: Map<string, ResourceNode>;
  param?: { name: string; node: ResourceNode };
  greedy?: { name: string; node: ResourceNode };
  readonly methods: Map<string, RouteDefinition>;
}

const node = (path: string): ResourceNode => ({ path, literals: new Map(), methods: new Map() });

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export class RouteTable {
  private readonly root = node('/');

  constructor(routes: readonly RouteDefinition[]) {
    for (const route of routes) this.add(route);
  }

  private add(route: RouteDefinition): void {
    let current = this.root;
    const segments = route.path === '/' ? [] : route.path.slice(1).split('/');
    segments.forEach((segment, index) => {
      const path = `/${segments.slice(0, index + 1).join('/')}`;
      const greedy = /^\{(.+)\+\}$/.exec(segment);
      const param = /^\{(.+)\}$/.exec(segment);
      if (greedy) {
        current.greedy ??= { name: greedy[1]!, node: node(path) };
        current = current.greedy.node;
      } else if (param) {
        if (current.param && current.param.name !== param[1]) {
          throw new Error(`Resource ${path} conflicts with sibling {${current.param.name}}`);
        }
        current.param ??= { name: param[1]!, node: node(path) };
        current = current.param.node;
      } else {
        let child = current.literals.get(segment);
        if (!child) {
          child = node(path);
          current.literals.set(segment, child);
        }
        current = child;
      }
    });
    const method = route.method.toUpperCase();
    if (current.methods.has(method)) throw new Error(`Route ${method} ${route.path} is defined twice`);
    current.methods.set(method, route);
  }

  /** Finds the resource for a raw request path (no query string), most specific first. */
  private resolve(
    current: ResourceNode,
    segments: readonly string[],
    params: Record<string, string>,
  ): { node: ResourceNode; params: Record<string, string> } | undefined {
    if (segments.length === 0) return { node: current, params };
    const [head, ...rest] = segments as [string, ...string[]];
    if (head === '') return undefined;
    const literal = current.literals.get(decodeSegment(head)) ?? current.literals.get(head);
    if (literal) {
      const found = this.resolve(literal, rest, params);
      if (found) return found;
    }
    if (current.param) {
      const found = this.resolve(current.param.node, rest, { ...params, [current.param.name]: decodeSegment(head) });
      if (found) return found;
    }
    if (current.greedy) {
      return { node: current.greedy.node, params: { ...params, [current.greedy.name]: segments.map(decodeSegment).join('/') } };
    }
    return undefined;
  }

  match(method: string, rawPath: string): RouteMatch {
    const segments = rawPath === '/' ? [] : rawPath.replace(/^\//, '').split('/');
    const found = this.resolve(this.root, segments, {});
    if (!found) return { kind: 'missing' };
    const upper = method.toUpperCase();
    const route = found.node.methods.get(upper) ?? (upper === 'OPTIONS' ? undefined : found.node.methods.get('ANY'));
    if (route) return { kind: 'method', route, resource: found.node.path, pathParameters: found.params };
    if (upper === 'OPTIONS' && found.node.methods.size > 0) {
      return { kind: 'preflight', resource: found.node.path, methods: [...found.node.methods.keys()] };
    }
    return { kind: 'missing' };
  }
}
