/**
 * For a REST API this CDK app does not manage: creates the Portcullis authorizer (function, key table, usage plans)
 * on the API by id and outputs what `portcullis attach` needs (RestApiId, AuthorizerId, StageName, KeyTableName).
 * `attach apply` then puts the authorizer on the manifest's methods, sets the key source and deploys the stage;
 * `detach` takes it off again, which `cdk destroy` of this stack needs (docs/existing-api.md). The routes may come
 * from the API's OpenAPI file: `routes: routeManifestFromOpenApi('api.yaml').routes` (infra/openapi-manifest.ts).
 */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib/core';
import type { Construct } from 'constructs';
import type { RouteSpec } from '../lambda/route-manifest';
import { PortcullisAuthorizer, type PortcullisAuthorizerProps } from './portcullis-authorizer';
import { STACK_OUTPUTS } from './stack-outputs';

export interface PortcullisExistingApiStackProps extends StackProps {
  /** The REST API id. */
  readonly restApiId: string;
  /**
   * The stage the usage plans meter.
   * @default - plans are attached to no stage
   */
  readonly stageName?: string;
  /** The routes the authorizer will be attached to, with their scopes (the route manifest). */
  readonly routes: readonly RouteSpec[];
  /**
   * The rest of the authorizer's settings.
   * @default - API keys only, USAGE_TIERS plans, no default plan
   */
  readonly authorizer?: Omit<PortcullisAuthorizerProps, 'existingApi' | 'routes'>;
}

export class PortcullisExistingApiStack extends Stack {
  public readonly authorizer: PortcullisAuthorizer;

  constructor(scope: Construct, id: string, props: PortcullisExistingApiStackProps) {
    super(scope, id, { description: 'Portcullis authorizer for an existing REST API', ...props });
    this.authorizer = new PortcullisAuthorizer(this, 'Authorizer', {
      ...props.authorizer,
      routes: props.routes,
      existingApi: { restApiId: props.restApiId, stageName: props.stageName },
    });
    this.authorizer.addStackOutputs();
    // attach apply puts this authorizer on the manifest's methods; detach takes it off again (before cdk destroy).
  }
}
