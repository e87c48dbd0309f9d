import { describe, expect, it } from 'vitest';
import { evaluatePolicy } from '../../local/iam-policy-evaluator';
import { DependencyFaultError } from '../../lambda/errors';
import { buildRouteStatements, decideRoutes, parseMethodArn, patternMatchesRoute, policyDocument, routeArnTokens } from '../../lambda/policy';
import { compileManifest } from '../../lambda/route-manifest';

const STAGE = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod';
const manifest = compileManifest({
  routes: [
    { method: 'GET', path: '/items/{id}', scopes: ['read'] },
    { method: 'GET', path: '/items/{id}/secret', scopes: ['admin'] },
    { method: 'POST', path: '/items', scopes: ['write'] },
  ],
});

function policyFor(scopes: string[], deniedArn?: string) {
  const decision = decideRoutes(manifest, new Set(scopes));
  return policyDocument(buildRouteStatements(STAGE, manifest, decision), deniedArn);
}

describe('policy building', () => {
  it('allows exactly the routes the scopes satisfy, on every matching path', () => {
    const policy = policyFor(['read']);
    expect(evaluatePolicy(policy, `${STAGE}/GET/items/1`)).toBe('allow');
    expect(evaluatePolicy(policy, `${STAGE}/POST/items`)).toBe('implicit-deny');
  });

  it('denies a disallowed route that an allowed wildcard would otherwise cover', () => {
    const policy = policyFor(['read']);
    // IAM's * spans slashes: GET/items/* matches GET/items/1/secret unless explicitly denied.
    expect(evaluatePolicy(policy, `${STAGE}/GET/items/1/secret`)).toBe('explicit-deny');
    expect(evaluatePolicy(policyFor(['read', 'admin']), `${STAGE}/GET/items/1/secret`)).toBe('allow');
  });

  it('never allows another stage or API', () => {
    const policy = policyFor(['read', 'write', 'admin']);
    expect(evaluatePolicy(policy, `arn:aws:execute-api:eu-west-1:123456789012:abc123/dev/GET/items/1`)).toBe('implicit-deny');
    expect(evaluatePolicy(policy, `arn:aws:execute-api:eu-west-1:123456789012:zzz999/prod/GET/items/1`)).toBe('implicit-deny');
  });

  it('adds an explicit Deny of the requested ARN when asked', () => {
    const policy = policyFor(['read'], `${STAGE}/GET/unlisted/1`);
    expect(evaluatePolicy(policy, `${STAGE}/GET/unlisted/1`)).toBe('explicit-deny');
    expect(evaluatePolicy(policy, `${STAGE}/GET/items/1`)).toBe('allow');
  });

  it('finds the routes whose requests an allowed wildcard would match', () => {
    const [byId, secret, create] = manifest.routes;
    expect(patternMatchesRoute(`${STAGE}/GET/items/*`, routeArnTokens(STAGE, secret!))).toBe(true);
    expect(patternMatchesRoute(`${STAGE}/GET/items/*/secret`, routeArnTokens(STAGE, byId!))).toBe(false);
    expect(patternMatchesRoute(`${STAGE}/*`, routeArnTokens(STAGE, create!))).toBe(true);
    expect(patternMatchesRoute(`${STAGE}/GET/*`, routeArnTokens(STAGE, create!))).toBe(false);
  });

  it('allows a deeper route without denying it through a shallower disallowed one', () => {
    const policy = policyFor(['admin']);
    expect(evaluatePolicy(policy, `${STAGE}/GET/items/1/secret`)).toBe('allow');
    expect(evaluatePolicy(policy, `${STAGE}/GET/items/1`)).toBe('implicit-deny');
  });

  it('parses method ARNs of every partition and refuses malformed ones as a fault', () => {
    expect(parseMethodArn('arn:aws-cn:execute-api:cn-north-1:123456789012:abc/prod/GET/a/b')).toEqual({
      stageArn: 'arn:aws-cn:execute-api:cn-north-1:123456789012:abc/prod',
      method: 'GET',
      path: 'a/b',
    });
    expect(() => parseMethodArn('arn:aws:lambda:x')).toThrow(DependencyFaultError);
    expect(() => parseMethodArn(undefined)).toThrow(DependencyFaultError);
  });
});
