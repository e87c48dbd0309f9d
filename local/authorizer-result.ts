/**
 * Checks an authorizer's output the way API Gateway does before using it: a string `principalId`, a policy document
 * with statements, a flat `context` (string, number or boolean values only) and an optional string
 * `usageIdentifierKey`. Anything else is an AuthorizerConfigurationException (500), never an Allow.
 */
import type { PolicyDocument } from 'aws-lambda';

export interface ValidAuthorizerResult {
  readonly principalId: string;
  readonly policyDocument: PolicyDocument;
  readonly context: Readonly<Record<string, string | number | boolean>>;
  readonly usageIdentifierKey?: string;
}

export class InvalidAuthorizerResultError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidAuthorizerResultError';
  }
}

const invalid = (message: string): never => {
  throw new InvalidAuthorizerResultError(message);
};

/** A policy Action or Resource: a string or a non-empty array of strings. */
function isStringOrStrings(value: unknown): boolean {
  if (typeof value === 'string') return true;
  if (!Array.isArray(value) || value.length === 0) return false;
  for (const entry of value) if (typeof entry !== 'string') return false;
  return true;
}

export function validateAuthorizerResult(output: unknown): ValidAuthorizerResult {
  if (typeof output !== 'object' || output === null || Array.isArray(output)) invalid('the result is not an object');
  const result = output as Record<string, unknown>;
  if (typeof result.principalId !== 'string' || result.principalId === '') invalid('principalId is missing or not a string');
  const policy = result.policyDocument;
  if (typeof policy !== 'object' || policy === null || Array.isArray(policy)) invalid('policyDocument is missing');
  const statements = (policy as Record<string, unknown>).Statement;
  if (!Array.isArray(statements) || statements.length === 0) invalid('policyDocument.Statement must be a non-empty array');
  for (const statement of statements as unknown[]) {
    if (typeof statement !== 'object' || statement === null) invalid('a policy statement is not an object');
    const { Effect, Action, Resource } = statement as Record<string, unknown>;
    if (Effect !== 'Allow' && Effect !== 'Deny') invalid('a policy statement has no Allow/Deny Effect');
    if (!isStringOrStrings(Action)) invalid('a policy statement has no Action');
    if (!isStringOrStrings(Resource)) invalid('a policy statement has no Resource');
  }
  const context: Record<string, string | number | boolean> = {};
  if (result.context !== undefined && result.context !== null) {
    if (typeof result.context !== 'object' || Array.isArray(result.context)) invalid('context is not an object');
    const given = result.context as Record<string, unknown>;
    for (const key of Object.keys(given)) {
      const value = given[key];
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
        invalid(`context.${key} is not a string, number or boolean (context must be flat)`);
      }
      context[key] = value as string | number | boolean;
    }
  }
  const usageIdentifierKey = result.usageIdentifierKey;
  if (usageIdentifierKey !== undefined && usageIdentifierKey !== null && typeof usageIdentifierKey !== 'string') {
    invalid('usageIdentifierKey is not a string');
  }
  const valid: { -readonly [K in keyof ValidAuthorizerResult]: ValidAuthorizerResult[K] } = {
    principalId: result.principalId as string,
    policyDocument: policy as PolicyDocument,
    context,
  };
  if (typeof usageIdentifierKey === 'string') valid.usageIdentifierKey = usageIdentifierKey;
  return valid;
}
