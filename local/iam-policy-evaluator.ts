/**
 * Evaluates an authorizer's IAM policy against a method ARN the way API Gateway does: an explicit Deny wins, else an
 * Allow must match, else the request is denied. ARN patterns use IAM wildcards (`*` any run of characters,
 * `/` included; `?` one character), matched case-sensitively.
 */
import type { PolicyDocument } from 'aws-lambda';

export type PolicyVerdict = 'allow' | 'explicit-deny' | 'implicit-deny';

function wildcardToRegExp(pattern: string): RegExp {
  const body = pattern
    .split('')
    .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, 's');
}

type Matcher = (value: string) => boolean;

/**
 * Compiled patterns, by pattern text. An authorizer returns the same few resources again and again (one policy per
 * scope set), so each is compiled once; a pattern without wildcards is a string comparison. Bounded: emptied when
 * full (a sweep of distinct patterns costs a recompile, never memory).
 */
const MAX_COMPILED = 10_000;
const compiled = new Map<string, Matcher>();

function matcher(pattern: string): Matcher {
  let match = compiled.get(pattern);
  if (match === undefined) {
    if (pattern.includes('*') || pattern.includes('?')) {
      const regExp = wildcardToRegExp(pattern);
      match = (value) => regExp.test(value);
    } else {
      match = (value) => value === pattern;
    }
    if (compiled.size >= MAX_COMPILED) compiled.clear();
    compiled.set(pattern, match);
  }
  return match;
}

/** Whether an Action entry covers `execute-api:Invoke` (actions are case-insensitive), by entry text. */
const MAX_ACTIONS = 1_000;
const invokeActions = new Map<string, boolean>();

function coversInvoke(action: string): boolean {
  let covers = invokeActions.get(action);
  if (covers === undefined) {
    covers = wildcardToRegExp(action.toLowerCase()).test('execute-api:invoke');
    if (invokeActions.size >= MAX_ACTIONS) invokeActions.clear();
    invokeActions.set(action, covers);
  }
  return covers;
}

function actionMatches(action: unknown): boolean {
  if (typeof action === 'string') return coversInvoke(action);
  if (!Array.isArray(action)) return false;
  for (const entry of action) if (typeof entry === 'string' && coversInvoke(entry)) return true;
  return false;
}

function resourceMatches(resource: unknown, methodArn: string): boolean {
  if (typeof resource === 'string') return matcher(resource)(methodArn);
  if (!Array.isArray(resource)) return false;
  for (const entry of resource) if (typeof entry === 'string' && matcher(entry)(methodArn)) return true;
  return false;
}

/** Throws when the document is not a policy API Gateway would accept. */
export function evaluatePolicy(document: PolicyDocument, methodArn: string): PolicyVerdict {
  if (typeof document !== 'object' || document === null || !Array.isArray(document.Statement)) {
    throw new Error('policyDocument has no Statement array');
  }
  let allowed = false;
  for (const statement of document.Statement as unknown as Array<Record<string, unknown>>) {
    const effect = statement.Effect;
    if (effect !== 'Allow' && effect !== 'Deny') throw new Error('policy statement Effect must be Allow or Deny');
    if (!actionMatches(statement.Action)) continue;
    if (!resourceMatches(statement.Resource, methodArn)) continue;
    if (effect === 'Deny') return 'explicit-deny';
    allowed = true;
  }
  return allowed ? 'allow' : 'implicit-deny';
}
