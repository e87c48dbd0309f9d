import { describe, expect, it } from 'vitest';
import type { PolicyDocument } from 'aws-lambda';
import { evaluatePolicy } from '../../local/iam-policy-evaluator';

const ARN = 'arn:aws:execute-api:us-east-1:123456789012:ptclocal01/local';
const policy = (...statements: Array<{ Effect: string; Action?: unknown; Resource?: unknown }>) =>
  ({ Version: '2012-10-17', Statement: statements.map((s) => ({ Action: 'execute-api:Invoke', ...s })) }) as unknown as PolicyDocument;

describe('Function: evaluatePolicy', () => {
  it('matches literal resources exactly, and the same compiled pattern against different ARNs', () => {
    const document = policy({ Effect: 'Allow', Resource: `${ARN}/GET/whoami` });
    for (let i = 0; i < 3; i++) {
      expect(evaluatePolicy(document, `${ARN}/GET/whoami`)).toBe('allow');
      expect(evaluatePolicy(document, `${ARN}/GET/whoami/x`)).toBe('implicit-deny');
      expect(evaluatePolicy(document, `${ARN}/GET/whoam`)).toBe('implicit-deny');
    }
  });

  it('treats * as any run of characters (/ included) and ? as one character; other characters literally', () => {
    const document = policy({ Effect: 'Allow', Resource: [`${ARN}/GET/items/*`, `${ARN}/?UT/a.b`] });
    expect(evaluatePolicy(document, `${ARN}/GET/items/1/secret`)).toBe('allow');
    expect(evaluatePolicy(document, `${ARN}/PUT/a.b`)).toBe('allow');
    expect(evaluatePolicy(document, `${ARN}/PUT/aXb`)).toBe('implicit-deny');
    expect(evaluatePolicy(document, `${ARN}/GET/items`)).toBe('implicit-deny');
  });

  it('lets an explicit Deny win over an Allow', () => {
    const document = policy({ Effect: 'Allow', Resource: `${ARN}/*` }, { Effect: 'Deny', Resource: [`${ARN}/DELETE/*`] });
    expect(evaluatePolicy(document, `${ARN}/GET/items`)).toBe('allow');
    expect(evaluatePolicy(document, `${ARN}/DELETE/items/1`)).toBe('explicit-deny');
  });

  it('matches actions case-insensitively, with wildcards, and skips statements for other actions', () => {
    expect(evaluatePolicy(policy({ Effect: 'Allow', Action: 'EXECUTE-API:invoke', Resource: '*' }), `${ARN}/GET/x`)).toBe('allow');
    expect(evaluatePolicy(policy({ Effect: 'Allow', Action: ['s3:*', 'execute-api:*'], Resource: '*' }), `${ARN}/GET/x`)).toBe('allow');
    expect(evaluatePolicy(policy({ Effect: 'Deny', Action: 's3:GetObject', Resource: '*' }), `${ARN}/GET/x`)).toBe('implicit-deny');
  });

  it('rejects a statement whose Effect is neither Allow nor Deny', () => {
    expect(() => evaluatePolicy(policy({ Effect: 'allow', Resource: '*' }), `${ARN}/GET/x`)).toThrow(/Effect/);
  });
});
