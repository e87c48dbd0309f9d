/**
 * What a caller's scopes allow, and the IAM policy that says so per API stage: built once per scope list and per
 * (stage, allowed routes), then shared by every request with them. Instance state of the handler (one per
 * container), bounded; nothing here depends on the request beyond its stage.
 */
import type { PolicyDocument, Statement } from 'aws-lambda';
import { allowedByPattern, buildRouteStatements, decideRoutes, policyDocument, type RouteDecision } from './policy';
import type { CompiledManifest } from './route-manifest';

/** Longest `scopes` context value; longer lists are cut at a scope boundary and flagged. */
export const MAX_SCOPES_CONTEXT_LENGTH = 2048;

/** Few distinct (stage, allowed routes) pairs exist; the cache is simply emptied if it ever grows past this. */
const MAX_POLICIES = 256;

/** What one scope list decides, whatever the request. */
export interface ScopeDecision {
  /** Indices (in manifest order) of the routes the scopes allow. */
  readonly allowed: ReadonlySet<number>;
  /** The `scopes` context value (cut to {@link MAX_SCOPES_CONTEXT_LENGTH}). */
  readonly scopes: string;
  readonly scopesTruncated: boolean;
  readonly routes: RouteDecision;
  /** The allowed routes, as part of a policy's cache key. */
  readonly routesKey: string;
}

export interface StagePolicy {
  /** Identity-keyed route statements (Allow only). */
  readonly statements: readonly Statement[];
  /** The routes those statements allow by pattern. */
  readonly patternAllowed: ReadonlySet<number>;
  /** The document for a request the statements already answer. Frozen: shared by every such answer. */
  readonly allowDocument: PolicyDocument;
}

export class ScopePolicies {
  /**
   * Keyed by the scope list itself: lists are frozen and live as long as the cached token identity or key record
   * that holds them, so an entry never outlives its credential's cache entry and is never stale.
   */
  private readonly decisions = new WeakMap<readonly string[], ScopeDecision>();
  private readonly policies = new Map<string, StagePolicy>();
  /** The policy key of each (decision, stage) pair; like `decisions`, an entry lives as long as its decision. */
  private readonly stageKeys = new WeakMap<ScopeDecision, Map<string, string>>();

  constructor(private readonly manifest: CompiledManifest) {}

  /** Number of policies held (never more than 256). */
  get size(): number {
    return this.policies.size;
  }

  decide(scopes: readonly string[]): ScopeDecision {
    let decision = this.decisions.get(scopes);
    if (decision === undefined) {
      const routes = decideRoutes(this.manifest, new Set(scopes));
      const joined = scopes.join(' ');
      const truncated = joined.length > MAX_SCOPES_CONTEXT_LENGTH;
      decision = {
        allowed: new Set(routes.allowed),
        scopes: truncated ? joined.slice(0, Math.max(joined.lastIndexOf(' ', MAX_SCOPES_CONTEXT_LENGTH), 0)) : joined,
        scopesTruncated: truncated,
        routes,
        routesKey: routes.allowed.join(','),
      };
      this.decisions.set(scopes, decision);
    }
    return decision;
  }

  policy(stageArn: string, decision: ScopeDecision): StagePolicy {
    // One key string per (stage, decision), kept on the decision: no concatenation (and hashing of it) per request.
    let keys = this.stageKeys.get(decision);
    if (keys === undefined) this.stageKeys.set(decision, (keys = new Map()));
    let key = keys.get(stageArn);
    if (key === undefined) {
      key = `${stageArn}|${decision.routesKey}`;
      if (keys.size >= MAX_POLICIES) keys.clear();
      keys.set(stageArn, key);
    }
    let policy = this.policies.get(key);
    if (policy === undefined) {
      const statements = deepFreeze(buildRouteStatements(stageArn, this.manifest, decision.routes));
      const patternAllowed = new Set(allowedByPattern(stageArn, this.manifest, decision.routes));
      policy = { statements, patternAllowed, allowDocument: deepFreeze(policyDocument(statements, undefined)) };
      if (this.policies.size >= MAX_POLICIES) this.policies.clear();
      this.policies.set(key, policy);
    }
    return policy;
  }
}

export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
