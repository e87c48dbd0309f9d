/**
 * Builds the IAM policy an authorizer returns. The policy allows exactly the manifest routes the caller's scopes
 * satisfy on the request's API stage, so that a result cached by the gateway (keyed by identity, reused for every
 * route) still answers each route correctly.
 *
 * IAM's `*` in an execute-api ARN also matches `/`, so an allowed `GET/items/*` would match the requests of a
 * disallowed `GET /items/{id}/secret`. Every disallowed route some of whose requests an allowed pattern matches gets
 * an explicit Deny (Deny wins), and a request for a route that is not allowed always gets an explicit Deny of its
 * own method ARN. (Where an allowed route lies under such a Deny, e.g. `/a/{x}/{y}/b` under `/a/{x}/b`, the result
 * errs towards 403, never towards Allow.)
 */
import type { APIGatewayAuthorizerResult, PolicyDocument, Statement } from 'aws-lambda';
import { DependencyFaultError } from './errors';
import { isRouteAllowed, type CompiledManifest, type CompiledRoute } from './route-manifest';

export interface MethodArn {
  /** `arn:aws:execute-api:region:account:apiId/stage` */
  readonly stageArn: string;
  readonly method: string;
  /** The request path as it appears in the ARN, without a leading slash. */
  readonly path: string;
}

// `s`: the path may hold line terminators (\n, \r, U+2028, U+2029), which a bare `.` does not match; such a request
// still gets a decision, not a 500.
const METHOD_ARN = /^(arn:aws[a-z-]*:execute-api:[a-z0-9-]+:\d{12}:[A-Za-z0-9]+\/[^/]+)\/([A-Z]+|\*)\/(.*)$/s;

/** The last ARN parsed: a container serves few routes, and the same one many times in a row. */
let lastMethodArn: { readonly text: string; readonly parsed: MethodArn } | undefined;

/** Splits the event's `methodArn`. A malformed ARN is the gateway's fault, never the caller's: 500. */
export function parseMethodArn(methodArn: unknown): MethodArn {
  if (lastMethodArn !== undefined && lastMethodArn.text === methodArn) return lastMethodArn.parsed;
  const match = typeof methodArn === 'string' ? METHOD_ARN.exec(methodArn) : null;
  if (!match) {
    throw new DependencyFaultError('internal_error', 'The event carries no valid methodArn');
  }
  const parsed: MethodArn = Object.freeze({ stageArn: match[1]!, method: match[2]!, path: match[3]! });
  lastMethodArn = { text: methodArn as string, parsed };
  return parsed;
}

/** One piece of a route's concrete request ARN: a literal character, one path segment, or a greedy rest. */
type ArnToken = { readonly literal: string } | { readonly segment: true } | { readonly rest: true };

/** The concrete ARNs a route can produce: `{id}` is one segment (no `/`), `{proxy+}` any rest, `ANY` any method. */
export function routeArnTokens(stageArn: string, route: CompiledRoute): ArnToken[] {
  const tokens: ArnToken[] = [...`${stageArn}/`].map((literal) => ({ literal }));
  if (route.method === 'ANY') tokens.push({ segment: true });
  else tokens.push(...[...route.method].map((literal) => ({ literal })));
  tokens.push({ literal: '/' });
  const segments = route.path === '/' ? [] : route.path.slice(1).split('/');
  segments.forEach((segment, index) => {
    if (index > 0) tokens.push({ literal: '/' });
    if (segment.endsWith('+}')) tokens.push({ rest: true });
    else if (segment.startsWith('{')) tokens.push({ segment: true });
    else tokens.push(...[...segment].map((literal) => ({ literal })));
  });
  return tokens;
}

/**
 * Whether an IAM pattern (`*` = any run of characters, `/` included) matches at least one concrete request ARN of
 * a route. Used to find the disallowed routes an allowed wildcard would let through.
 */
export function patternMatchesRoute(pattern: string, tokens: readonly ArnToken[]): boolean {
  const memo = new Map<string, boolean>();
  const visit = (i: number, j: number, inClass: boolean): boolean => {
    const key = `${i},${j},${inClass}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    memo.set(key, false); // cycles (a * consuming a class) cannot produce a match by themselves
    const token = tokens[j];
    let result = false;
    if (i === pattern.length && j === tokens.length) result = true;
    else {
      const classToken = token !== undefined && !('literal' in token);
      // A class token that has consumed at least one character may end here.
      if (classToken && inClass && visit(i, j + 1, false)) result = true;
      else if (pattern[i] === '*') {
        result =
          visit(i + 1, j, inClass) ||
          (token !== undefined && ('literal' in token ? visit(i, j + 1, false) : visit(i, j, true)));
      } else if (i < pattern.length && token !== undefined) {
        const ch = pattern[i]!;
        if ('literal' in token) result = !inClass && token.literal === ch && visit(i + 1, j + 1, false);
        else if ('segment' in token) result = ch !== '/' && visit(i + 1, j, true);
        else result = visit(i + 1, j, true);
      }
    }
    memo.set(key, result);
    return result;
  };
  return visit(0, 0, false);
}

export interface RouteDecision {
  /** Indices (in manifest order) of the routes the caller may invoke. */
  readonly allowed: readonly number[];
  readonly denied: readonly number[];
}

/** Splits the manifest into the routes the held scopes satisfy and the rest. */
export function decideRoutes(manifest: CompiledManifest, held: ReadonlySet<string>): RouteDecision {
  const allowed: number[] = [];
  const denied: number[] = [];
  manifest.routes.forEach((route, index) => (isRouteAllowed(route, held) ? allowed : denied).push(index));
  return { allowed, denied };
}

/**
 * The statements for one stage and one set of allowed routes. Pure; the authorizer memoises it per
 * (stage, allowed set), since many callers share a scope set.
 */
export function buildRouteStatements(stageArn: string, manifest: CompiledManifest, decision: RouteDecision): Statement[] {
  const allowPatterns = decision.allowed.map((i) => `${stageArn}/${manifest.routes[i]!.arnSuffix}`);
  const denyPatterns = decision.denied
    .filter((i) => {
      const tokens = routeArnTokens(stageArn, manifest.routes[i]!);
      return allowPatterns.some((allow) => patternMatchesRoute(allow, tokens));
    })
    .map((i) => `${stageArn}/${manifest.routes[i]!.arnSuffix}`);
  const statements: Statement[] = [];
  if (allowPatterns.length > 0) {
    statements.push({ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: allowPatterns });
  }
  if (denyPatterns.length > 0) {
    statements.push({ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: denyPatterns });
  }
  return statements;
}

/** Adds an explicit Deny of the request's own ARN when the requested route is not allowed. */
export function policyDocument(routeStatements: readonly Statement[], deniedMethodArn: string | undefined): PolicyDocument {
  const statements = deniedMethodArn
    ? [...routeStatements, { Action: 'execute-api:Invoke', Effect: 'Deny', Resource: [deniedMethodArn] } as Statement]
    : [...routeStatements];
  return { Version: '2012-10-17', Statement: statements };
}

export type AuthorizerContext = NonNullable<APIGatewayAuthorizerResult['context']>;
