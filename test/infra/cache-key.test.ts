import { Template, Annotations, Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { PortcullisAuthorizer, type PortcullisAuthorizerProps } from '../../infra/portcullis-authorizer';
import { authorizerEnvironment, newApi, newStack } from './support';


/** An API with a parameter route and a literal sibling, whose scopes differ when `nested` is set. */
function stackWith(props: PortcullisAuthorizerProps, nested: boolean) {
  const stack = newStack();
  const api = newApi(stack);
  const authorizer = new PortcullisAuthorizer(stack, 'Portcullis', { plans: {}, ...props });
  const users = api.root.addResource('users');
  authorizer.protect(users.addResource('{id}'), 'GET', undefined, { scopes: ['users:read'] });
  authorizer.protect(users.addResource('me'), 'GET', undefined, { scopes: nested ? ['profile'] : ['users:read'] });
  return { stack, authorizer };
}

const sourcesOf = (stack: ReturnType<typeof stackWith>['stack']) =>
  Object.values(Template.fromStack(stack).findResources('AWS::ApiGateway::Authorizer'))[0]!.Properties.IdentitySource;

describe('The authorizer result cache key', () => {
  it('is the Authorization header when one policy per caller answers every route exactly', () => {
    const { stack, authorizer } = stackWith({}, false);
    expect(authorizer.cacheKey.mode).toBe('identity');
    expect(sourcesOf(stack)).toBe('method.request.header.Authorization');
    expect(authorizerEnvironment(Template.fromStack(stack)).CACHE_KEY_MODE).toBe('identity');
    Annotations.fromStack(stack).hasInfo('/Test/Portcullis', Match.stringLikeRegexp('Authorizer cache key: identity'));
  });

  it('adds the method and resource when a literal sibling of a parameter needs other scopes', () => {
    const { stack, authorizer } = stackWith({}, true);
    expect(authorizer.cacheKey.mode).toBe('route');
    expect(authorizer.cacheKey.reason).toMatch(/GET \/users\/\{id\}.*GET \/users\/me/);
    expect(sourcesOf(stack)).toBe('method.request.header.Authorization,context.httpMethod,context.resourcePath');
    expect(authorizerEnvironment(Template.fromStack(stack)).CACHE_KEY_MODE).toBe('route');
    Annotations.fromStack(stack).hasInfo('/Test/Portcullis', Match.stringLikeRegexp('Authorizer cache key: route .*users'));
  });

  it('can be forced either way; a forced identity key the manifest cannot use is a synth warning', () => {
    const forcedRoute = stackWith({ cacheKey: 'route' }, false);
    expect(sourcesOf(forcedRoute.stack)).toBe('method.request.header.Authorization,context.httpMethod,context.resourcePath');
    const forcedIdentity = stackWith({ cacheKey: 'identity' }, true);
    expect(sourcesOf(forcedIdentity.stack)).toBe('method.request.header.Authorization');
    expect(authorizerEnvironment(Template.fromStack(forcedIdentity.stack)).CACHE_KEY_MODE).toBe('identity');
    Annotations.fromStack(forcedIdentity.stack).hasWarning('/Test/Portcullis', Match.stringLikeRegexp("cacheKey 'identity' is forced"));
  });

  it('refuses a route key with hand-written identity sources that lack the method and resource', () => {
    const { stack } = stackWith({ cacheKey: 'route', identitySources: ['method.request.header.Authorization'] }, false);
    expect(() => Template.fromStack(stack)).toThrow(/context\.httpMethod and context\.resourcePath/);
  });

  it('refuses an unknown cacheKey value, naming the prop', () => {
    const stack = newStack();
    expect(() => new PortcullisAuthorizer(stack, 'P', { cacheKey: 'path' as never })).toThrow(/^cacheKey: must be one of auto, identity, route/);
  });

  it('leaves CACHE_KEY_MODE to the construct', () => {
    const stack = newStack();
    expect(() => new PortcullisAuthorizer(stack, 'P', { issuers: [], environment: { CACHE_KEY_MODE: 'route' } })).toThrow(/^environment: CACHE_KEY_MODE/);
  });
});
