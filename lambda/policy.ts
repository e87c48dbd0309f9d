/**
 * Builds the IAM policy an authorizer returns, for the cache key the gateway uses (lambda/cache-key-mode.ts):
 *
 * - `identity`: one cached policy answers every route for the caller. It allows the pattern of each allowed route that
 *   matches no request of a refused route, and nothing else: never an Allow made right by a Deny beneath it, since a
 *   Deny matches only the spellings it names. For a manifest the key was chosen for, that is every allowed route; when
 *   identity is forced on a manifest that needs route keys, the withheld routes answer 403 from the cache, never 200.
 * - `route`: the cached policy answers only the requests of the routed method and resource, so it allows or denies
 *   `<stage>/<method>/*` (every spelling of those requests) outright.
 *
 * Spellings. AWS documents methodArn as "the ARN of the incoming method request",
 * `arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{httpVerb}/[{resource}/[{child-resources}]]`
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-input.html), built from
 * the request path, not the resource template (dherault/serverless-offline#273, checked against CloudWatch), and REST
 * APIs keep that path percent-encoded (live captures cited in middleapi/standard-server#93), while routing and path
 * parameters use decoded segments. So `/items/1/%61udit` runs the `audit` route with the ARN `.../items/1/%61udit`.
 * AWS does not document the spelling, so these policies are right under both: route patterns never rely on a literal
 * segment being spelled one way to keep a route closed, and no resource carries `*` or `?` taken from a caller's path.
 */
import type { APIGatewayAuthorizerResult, PolicyDocument, Statement } from 'aws-lambda';
import { DependencyFaultError } from './errors';
import { isRouteAllowed, type CompiledManifest, type CompiledRoute } from './route-manifest';
import type { CacheKeyMode } from './cache-key-mode';

export interface MethodArn {
  /** `arn:aws:execute-api:region:account:apiId/stage` */
  readonly stageArn: string;
  readonly method: string;
  /** The request path as it appears in the ARN, without a leading slash. */
  readonly path: string;
}

// The path part is the caller's: any character, line breaks and U+2028 included (`s` flag), gets a decision.
const METHOD_ARN = /^(arn:aws[a-z-]*:execute-api:[a-z0-9-]+:\d{12}:[A-Za-z0-9]+\/[^/]+)\/([A-Z]+|\*)\/(.*)$/s;

/** Splits the event's `methodArn`. A malformed ARN is the gateway's fault, never the caller's: 500. */
export function parseMethodArn(methodArn: unknown): MethodArn {
  const match = typeof methodArn === 'string' ? METHOD_ARN.exec(methodArn) : null;
  if (!match) {
    throw new DependencyFaultError('internal_error', 'The event carries no valid methodArn');
  }
  return { stageArn: match[1]!, method: match[2]!, path: match[3]! };
}

/**
 * {@link parseMethodArn} for one handler's stream of requests: a function answers few stages and routes, and
 * consecutive requests mostly carry the same ARN, so the last one parsed is kept (a string comparison instead of the
 * regular expression). Handler state, like the other request-path caches.
 */
export class MethodArnMemo {
  private lastText?: string;
  private last?: MethodArn;

  parse(methodArn: unknown): MethodArn {
    if (methodArn === this.lastText && this.last !== undefined) return this.last;
    const parsed = Object.freeze(parseMethodArn(methodArn));
    this.lastText = methodArn as string;
    this.last = parsed;
    return parsed;
  }
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

const routePattern = (stageArn: string, route: CompiledRoute) => `${stageArn}/${route.arnSuffix}`;

/**
 * `overlaps[i][j]`: route i's ARN pattern matches some request of route j. It does not depend on the stage (every ARN
 * of a stage starts with the same literal prefix), so it is computed once per manifest, on the part after the stage.
 */
const overlapMatrices = new WeakMap<CompiledManifest, readonly (readonly boolean[])[]>();

export function patternOverlaps(manifest: CompiledManifest): readonly (readonly boolean[])[] {
  let matrix = overlapMatrices.get(manifest);
  if (matrix === undefined) {
    const tokens = manifest.routes.map((route) => routeArnTokens('', route));
    matrix = manifest.routes.map((route, i) =>
      manifest.routes.map((_, j) => i === j || patternMatchesRoute(`/${route.arnSuffix}`, tokens[j]!)),
    );
    overlapMatrices.set(manifest, matrix);
  }
  return matrix;
}

/** The routes an identity-keyed policy allows by pattern: allowed ones whose pattern matches no refused route's request. */
export function allowedByPattern(_stageArn: string, manifest: CompiledManifest, decision: RouteDecision): number[] {
  const overlaps = patternOverlaps(manifest);
  return decision.allowed.filter((i) => !decision.denied.some((j) => overlaps[i]![j]));
}

/**
 * The identity-keyed statements for one stage and one set of allowed routes: Allow only, see the file comment. Pure;
 * the authorizer memoises it per (stage, allowed set), since many callers share a scope set.
 */
export function buildRouteStatements(stageArn: string, manifest: CompiledManifest, decision: RouteDecision): Statement[] {
  const patterns = allowedByPattern(stageArn, manifest, decision).map((i) => routePattern(stageArn, manifest.routes[i]!));
  return patterns.length > 0 ? [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: patterns }] : [];
}

/** Whether a caller's text can stand as an IAM resource that matches only itself. */
export function isWildcardFree(text: string): boolean {
  return !text.includes('*') && !text.includes('?');
}

const statement = (effect: 'Allow' | 'Deny', resource: string): Statement => ({ Action: 'execute-api:Invoke', Effect: effect, Resource: [resource] });

/**
 * A resource no request ARN has (every method ARN has a `/` after the method), for a policy that must carry a
 * statement (API Gateway refuses an empty one) but may match nothing more.
 */
const matchesNoRequest = (arn: MethodArn) => `${arn.stageArn}/${arn.method}`;

export interface RequestPolicyInput {
  readonly mode: CacheKeyMode;
  readonly arn: MethodArn;
  readonly methodArn: string;
  readonly manifest: CompiledManifest;
  /** The identity-keyed route statements of this caller on this stage (`identity` mode). */
  readonly routeStatements: readonly Statement[];
  /** The routes `routeStatements` allow by pattern (`identity` mode). */
  readonly patternAllowed: ReadonlySet<number>;
  readonly allowedRoutes: ReadonlySet<number>;
  /** The requested route's index, or undefined when the manifest does not list it. */
  readonly requested: number | undefined;
}

/** The statement a route-keyed entry holds: one answer for every request of the routed method and resource. */
export function routeKeyedStatement(arn: MethodArn, allowed: boolean): Statement {
  return statement(allowed ? 'Allow' : 'Deny', `${arn.stageArn}/${arn.method}/*`);
}

/**
 * The statements the request adds to the caller's identity-keyed route statements, or undefined when it adds none.
 * - Allowed, but its own ARN is not matched by an Allow (a literal segment spelled with escapes, or a route withheld
 *   because identity was forced): an Allow of that exact ARN, which only the same request spells.
 * - Refused: a Deny of the route's pattern when it matches no allowed route's requests, else of the exact ARN.
 * Caller text with `*` or `?` is never a resource; the answer then rests on IAM's implicit deny.
 */
export function identityRequestStatement(input: RequestPolicyInput): Statement | undefined {
  const { arn, methodArn, manifest, requested } = input;
  const allowed = requested !== undefined && input.allowedRoutes.has(requested);
  if (allowed) {
    const route = manifest.routes[requested]!;
    const covered = input.patternAllowed.has(requested) && globMatches(routePattern(arn.stageArn, route), methodArn);
    if (covered) return undefined;
    return isWildcardFree(methodArn) ? statement('Allow', methodArn) : undefined;
  }
  if (requested !== undefined) {
    const pattern = routePattern(arn.stageArn, manifest.routes[requested]!);
    const overlaps = patternOverlaps(manifest);
    let hitsAllowed = false;
    for (const i of input.patternAllowed) if (overlaps[requested]![i]) hitsAllowed = true;
    if (!hitsAllowed) return statement('Deny', pattern);
  }
  return isWildcardFree(methodArn) ? statement('Deny', methodArn) : undefined;
}

/** IAM's match of a pattern whose only wildcard is `*` (route patterns) against a concrete ARN. Linear in practice. */
export function globMatches(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let resume = 0;
  while (t < text.length) {
    if (p < pattern.length && pattern[p] !== '*' && pattern[p] === text[t]) {
      p++;
      t++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      resume = t;
    } else if (star >= 0) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

/**
 * The whole document for one request (see the file comment for the two modes). `routeDocument` is the memoised
 * document of `routeStatements` alone, returned as it is when the request adds nothing.
 */
export function requestPolicyDocument(input: RequestPolicyInput, routeDocument?: PolicyDocument): PolicyDocument {
  if (input.mode === 'route') {
    const allowed = input.requested !== undefined && input.allowedRoutes.has(input.requested);
    return policyDocument([routeKeyedStatement(input.arn, allowed)], undefined);
  }
  const extra = identityRequestStatement(input);
  if (extra === undefined && input.routeStatements.length > 0) return routeDocument ?? policyDocument(input.routeStatements, undefined);
  return policyDocument(input.routeStatements, extra ?? statement('Deny', matchesNoRequest(input.arn)));
}

/** A document of the route statements and one more statement for this request, if any. */
export function policyDocument(routeStatements: readonly Statement[], requestStatement: Statement | undefined): PolicyDocument {
  const statements = requestStatement ? [...routeStatements, requestStatement] : [...routeStatements];
  return { Version: '2012-10-17', Statement: statements };
}

export type AuthorizerContext = NonNullable<APIGatewayAuthorizerResult['context']>;

/**
 * The policy for one request, uncached: what the authorizer returns (it memoises the same pieces per scope set and
 * stage). For tests, the bench and tools.
 */
export function policyForRequest(input: {
  readonly manifest: CompiledManifest;
  readonly mode: CacheKeyMode;
  readonly held: ReadonlySet<string>;
  readonly methodArn: string;
  readonly httpMethod: string;
  readonly resource: string;
}): PolicyDocument {
  const { manifest } = input;
  const arn = parseMethodArn(input.methodArn);
  const decision = decideRoutes(manifest, input.held);
  const route = manifest.find(input.httpMethod, input.resource);
  return requestPolicyDocument({
    mode: input.mode,
    arn,
    methodArn: input.methodArn,
    manifest,
    routeStatements: buildRouteStatements(arn.stageArn, manifest, decision),
    patternAllowed: new Set(allowedByPattern(arn.stageArn, manifest, decision)),
    allowedRoutes: new Set(decision.allowed),
    requested: route === undefined ? undefined : manifest.routes.indexOf(route),
  });
}
