/**
 * The construct side of issuer features: provider and claim props reach JWT_ISSUERS; an introspecting issuer's client
 * secret is granted for reading (GetSecretValue on that secret only) and appears in the template as an ARN, never as
 * a value; required certificate binding is refused together with result caching keyed on the token alone.
 */
import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, it } from 'vitest';
import { CLIENT_CERTIFICATE_IDENTITY_SOURCE } from '../../infra/issuer-options';
import { AUTHORIZATION_IDENTITY_SOURCE, JwtIssuer, PortcullisAuthorizer, type PortcullisAuthorizerProps } from '../../infra/portcullis-authorizer';
import { authorizerEnvironment, configFileFromAsset, newApi, newStack } from '../infra/support';

function build(issuers: (stack: ReturnType<typeof newStack>) => JwtIssuer[], props: PortcullisAuthorizerProps = {}) {
  const stack = newStack();
  const authorizer = new PortcullisAuthorizer(stack, 'Portcullis', { apiKeys: false, issuers: issuers(stack), ...props });
  const api = newApi(stack);
  authorizer.protect(api.root.addResource('orders'), 'GET', undefined, { scopes: ['orders:read'] });
  return { stack, template: Template.fromStack(stack) };
}

const secretReads = (template: Template) =>
  Object.values(template.findResources('AWS::IAM::Policy'))
    .flatMap((policy) => (policy as { Properties: { PolicyDocument: { Statement: Record<string, unknown>[] } } }).Properties.PolicyDocument.Statement)
    .filter((statement) => JSON.stringify(statement.Action).includes('secretsmanager'));

describe('JwtIssuer.oidc issuer features', () => {
  it('writes provider, claim and binding settings into JWT_ISSUERS', () => {
    const { stack } = build(() => [
      JwtIssuer.oidc({
        provider: 'keycloak',
        issuer: 'https://sso.example.com/realms/shop',
        audience: ['orders-api'],
        scopeClaims: ['scope', { claim: 'realm_access.roles', prefix: 'role:' }],
        principalClaim: 'sub',
        profile: 'rfc9068',
      }),
    ]);
    const issuers = configFileFromAsset(stack).JWT_ISSUERS as unknown[];
    expect(issuers).toEqual([
      {
        issuer: 'https://sso.example.com/realms/shop',
        audience: ['orders-api'],
        provider: 'keycloak',
        principalClaim: 'sub',
        profile: 'rfc9068',
        scopeClaims: ['scope', { claim: 'realm_access.roles', prefix: 'role:' }],
      },
    ]);
  });

  it('fails at synth on a bad claim setting, naming it', () => {
    expect(() => build(() => [JwtIssuer.oidc({ issuer: 'https://idp.example.com', audience: null, scopeClaims: [] })])).toThrow('scopeClaims');
  });
});

describe('Introspection client secret', () => {
  it('grants GetSecretValue on exactly that secret, and puts only its ARN in the environment', () => {
    const { stack, template } = build((scope) => {
      const secret = new secretsmanager.Secret(scope, 'IntrospectionSecret', { generateSecretString: {} });
      return [
        JwtIssuer.oidc({
          issuer: 'https://idp.example.com',
          audience: ['orders-api'],
          introspection: { endpoint: 'https://idp.example.com/oauth2/introspect', clientId: 'orders-api', clientSecret: secret, cacheTtl: Duration.seconds(30) },
        }),
      ];
    });
    expect(secretReads(template)).toEqual([
      { Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: { Ref: expect.stringMatching(/^IntrospectionSecret/) } },
    ]);
    // The ARN is a deploy-time value: the configuration file refers to it, CONFIG_VALUES carries it (never the value).
    const issuer = (configFileFromAsset(stack).JWT_ISSUERS as Record<string, Record<string, unknown>>[])[0]!;
    expect(issuer.introspection).toMatchObject({ clientSecretArn: { $deployValue: 0 }, cacheTtlSeconds: 30 });
    const values = JSON.stringify(authorizerEnvironment(template).CONFIG_VALUES);
    expect(values).toContain('IntrospectionSecret');
    expect(JSON.stringify(template.toJSON())).not.toContain('resolve:secretsmanager');
  });

  it('matches the six-character suffix of a secret imported by name', () => {
    const { template } = build((stack) => [
      JwtIssuer.oidc({
        issuer: 'https://idp.example.com',
        audience: null,
        introspection: {
          endpoint: 'https://idp.example.com/introspect',
          clientId: 'orders-api',
          clientSecret: secretsmanager.Secret.fromSecretNameV2(stack, 'Imported', 'orders-api/introspection'),
        },
      }),
    ]);
    expect(JSON.stringify(secretReads(template))).toContain('secret:orders-api/introspection-??????');
  });

  it('grants the ARN written in an entry read with JwtIssuer.fromSetting, and refuses a bare secret name there', () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders-api-introspection-AbCdEf';
    const entry = (clientSecretArn: string) =>
      JwtIssuer.fromSetting({ issuer: 'https://idp.example.com', audience: null, introspection: { endpoint: 'https://idp.example.com/i', clientId: 'a', clientSecretArn } });
    const { template } = build(() => [entry(arn)]);
    expect(secretReads(template)).toEqual([{ Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: arn }]);
    expect(() => build(() => [entry('orders-api-introspection')])).toThrow("introspection.clientSecretArn must be the secret's complete ARN");
  });

  it('grants nothing on Secrets Manager without introspection', () => {
    const { template } = build(() => [JwtIssuer.oidc({ issuer: 'https://idp.example.com', audience: null })]);
    expect(secretReads(template)).toEqual([]);
  });
});

describe('Certificate-bound tokens and result caching', () => {
  const bound = () => [JwtIssuer.oidc({ issuer: 'https://idp.example.com', audience: null, requireBoundToken: true })];

  it('refuses result caching keyed on the token alone when an issuer requires bound tokens', () => {
    expect(() => build(bound, { resultsCacheTtl: Duration.seconds(300) })).toThrow(`resultsCacheTtl: an issuer requires certificate-bound tokens`);
  });

  it('accepts it without caching, or with the client certificate among the identity sources', () => {
    expect(() => build(bound, { resultsCacheTtl: Duration.seconds(0) })).not.toThrow();
    expect(() =>
      build(bound, { resultsCacheTtl: Duration.seconds(300), identitySources: [AUTHORIZATION_IDENTITY_SOURCE, CLIENT_CERTIFICATE_IDENTITY_SOURCE] }),
    ).not.toThrow();
  });
});
