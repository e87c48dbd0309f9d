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

function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : value === undefined ? [] : [value];
}

function actionMatches(action: unknown): boolean {
  return asList(action).some(
    (entry) => typeof entry === 'string' && wildcardToRegExp(entry.toLowerCase()).test('execute-api:invoke'),
  );
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
    const matches = asList(statement.Resource).some(
      (resource) => typeof resource === 'string' && wildcardToRegExp(resource).test(methodArn),
    );
    if (!matches) continue;
    if (effect === 'Deny') return 'explicit-deny';
    allowed = true;
  }
  return allowed ? 'allow' : 'implicit-deny';
}
