/**
 * What the key CLI (`portcullis keys`) needs on one deployment, as grants: the key table's records and indexes, the
 * hidden API Gateway usage keys and their plan memberships, the authorizer cache flush on revocation, and the stack's
 * outputs (the CLI finds its targets through them).
 */
import { Stack } from 'aws-cdk-lib/core';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';

export interface KeyAdministrationTargets {
  readonly keyTable?: dynamodb.ITable;
  readonly usagePlans: Readonly<Record<string, apigateway.UsagePlan>>;
  readonly stages: readonly apigateway.IStage[];
}

/** Grants `grantee` the key CLI's permissions on these targets. */
export function grantKeyAdministration(scope: Construct, grantee: iam.IGrantable, targets: KeyAdministrationTargets): iam.Grant {
  const stack = Stack.of(scope);
  // API Gateway's management API is authorized by HTTP verb on resource paths (arn:<partition>:apigateway:<region>::<path>).
  const apigatewayArn = (resourcePath: string) => stack.formatArn({ service: 'apigateway', account: '', resource: resourcePath });
  const grants: iam.Grant[] = [
    iam.Grant.addToPrincipal({ grantee, actions: ['cloudformation:DescribeStacks'], resourceArns: [stack.stackId] }),
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['apigateway:POST', 'apigateway:GET'],
      resourceArns: [apigatewayArn('/apikeys')],
    }),
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['apigateway:GET', 'apigateway:PATCH', 'apigateway:DELETE'],
      resourceArns: [apigatewayArn('/apikeys/*')],
    }),
  ];
  const plans = Object.values(targets.usagePlans);
  if (plans.length > 0) {
    grants.push(
      iam.Grant.addToPrincipal({
        grantee,
        actions: ['apigateway:POST'],
        resourceArns: plans.map((plan) => apigatewayArn(`/usageplans/${plan.usagePlanId}/keys`)),
      }),
    );
  }
  if (targets.stages.length > 0) {
    grants.push(
      iam.Grant.addToPrincipal({
        grantee,
        actions: ['apigateway:DELETE'],
        resourceArns: targets.stages.map((stage) =>
          apigatewayArn(`/restapis/${stage.restApi.restApiId}/stages/${stage.stageName}/cache/authorizers`),
        ),
      }),
    );
  }
  const table = targets.keyTable;
  if (table !== undefined) {
    grants.push(
      iam.Grant.addToPrincipal({
        grantee,
        actions: [
          'dynamodb:DescribeTable',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:DeleteItem',
          'dynamodb:Query',
          'dynamodb:Scan',
        ],
        resourceArns: [table.tableArn, `${table.tableArn}/index/*`],
      }),
    );
    if (table.encryptionKey !== undefined) grants.push(table.encryptionKey.grantEncryptDecrypt(grantee));
  }
  return grants.reduce((combined, grant) => combined.combine(grant));
}
