/**
 * `attach apply`: makes exactly the plan's changes, then deploys the stage.
 *
 * Order, chosen so a run stopped anywhere leaves a state the next run completes:
 * 1. the record is saved first, with each changing method's current authorization (only for methods not yet on the
 *    authorizer: a method a stopped run already changed keeps its original "before"), and the owed deployment;
 * 2. UpdateMethod per method, UpdateRestApi (key source), PutGatewayResponse;
 * 3. CreateDeployment, then the record is saved without the owed deployment.
 * A rerun plans again from the API: finished changes are no longer in the plan, and an owed deployment is made even
 * when nothing else is left to change. A second run after a complete one makes no call that writes.
 */
import {
  CreateDeploymentCommand,
  PutGatewayResponseCommand,
  UpdateMethodCommand,
  UpdateRestApiCommand,
  type Deployment,
  type GatewayResponseType,
  type PatchOperation,
} from '@aws-sdk/client-api-gateway';
import type { GatewayResponseState } from './api-snapshot';
import type { ControlPlane } from './control-plane';
import { AttachFailure } from './errors';
import { planHasErrors, type AttachPlan, type MethodChange } from './plan';
import { emptyRecord, type AttachRecord, type AttachStateStore, type MethodBefore } from './state-store';

export interface ApplyResult {
  readonly methodsChanged: number;
  readonly keySourceChanged: boolean;
  readonly gatewayResponsesInstalled: number;
  /** The deployment made, if one was made (changes now, or owed by a stopped run). */
  readonly deploymentId?: string;
}

export type Progress = (line: string) => void;

export function attachPatch(change: MethodChange): PatchOperation[] {
  const ops: PatchOperation[] = [];
  const { from, to } = change;
  if (from.authorizationType !== to.authorizationType || from.authorizerId !== to.authorizerId) {
    ops.push({ op: 'replace', path: '/authorizationType', value: to.authorizationType });
    ops.push({ op: 'replace', path: '/authorizerId', value: to.authorizerId });
  }
  if (from.apiKeyRequired !== to.apiKeyRequired) ops.push({ op: 'replace', path: '/apiKeyRequired', value: String(to.apiKeyRequired) });
  return ops;
}

export const describeAuth = (auth: { authorizationType: string; authorizerId?: string; apiKeyRequired: boolean }): string =>
  `${auth.authorizationType}${auth.authorizerId && auth.authorizationType !== 'NONE' && auth.authorizationType !== 'AWS_IAM' ? ` ${auth.authorizerId}` : ''}${auth.apiKeyRequired ? ', API key required' : ''}`;

export async function putGatewayResponse(
  controlPlane: ControlPlane,
  restApiId: string,
  type: string,
  response: GatewayResponseState,
): Promise<void> {
  await controlPlane.call(
    'PutGatewayResponse',
    new PutGatewayResponseCommand({
      restApiId,
      responseType: type as GatewayResponseType,
      ...(response.statusCode === undefined ? {} : { statusCode: response.statusCode }),
      responseParameters: { ...response.responseParameters },
      responseTemplates: { ...response.responseTemplates },
    }),
    `${restApiId} ${type}`,
  );
}

export async function deployStage(controlPlane: ControlPlane, restApiId: string, stageName: string, description: string): Promise<string> {
  const deployment = await controlPlane.call<Deployment>(
    'CreateDeployment',
    new CreateDeploymentCommand({ restApiId, stageName, description }),
    `${restApiId}/${stageName}`,
  );
  return deployment.id ?? '';
}

export async function applyPlan(
  plan: AttachPlan,
  deps: { controlPlane: ControlPlane; store: AttachStateStore; progress?: Progress },
): Promise<ApplyResult> {
  const { controlPlane, store } = deps;
  const progress = deps.progress ?? (() => undefined);
  if (planHasErrors(plan)) {
    throw new AttachFailure(
      `the plan has ${plan.missing.length} missing route(s) and ${plan.drift.length} drifted method(s): nothing was changed (see "attach plan")`,
    );
  }
  const stageName = plan.stageName;
  if (stageName === undefined) throw new AttachFailure('apply needs the stage to deploy: pass --stage (or a stack with a StageName output)');
  const { restApiId, authorizerId } = plan;

  let record: AttachRecord = (await store.load(restApiId)) ?? emptyRecord(restApiId, authorizerId);
  if (record.authorizerId !== authorizerId && Object.keys(record.methods).length > 0) {
    throw new AttachFailure(
      `API ${restApiId} was attached to authorizer ${record.authorizerId} (recorded in ${store.description}): run detach with --authorizer-id ${record.authorizerId} first`,
    );
  }
  const keySourceChanges = plan.keySource.current !== plan.keySource.desired;
  const changes = plan.methodChanges.length + (keySourceChanges ? 1 : 0) + plan.gatewayResponseChanges.length;

  if (changes > 0) {
    const methods: Record<string, MethodBefore> = { ...record.methods };
    for (const change of plan.methodChanges) {
      const key = `${change.method} ${change.path}`;
      const alreadyOurs = change.from.authorizationType === 'CUSTOM' && change.from.authorizerId === authorizerId;
      // A method already on the authorizer (only apiKeyRequired changes) keeps the "before" recorded when it was
      // attached; one attached by hand before attach knew it has no true "before" (detach asks what to restore).
      if (!alreadyOurs) methods[key] = { resourceId: change.resourceId, ...change.from };
    }
    const gatewayResponses = { ...record.gatewayResponses };
    for (const change of plan.gatewayResponseChanges) {
      gatewayResponses[change.type] = change.from ?? { defaultResponse: true, responseParameters: {}, responseTemplates: {} };
    }
    record = await store.save({
      ...record,
      authorizerId,
      methods,
      gatewayResponses,
      ...(keySourceChanges ? { keySource: plan.keySource.current } : {}),
      pendingDeployment: stageName,
    });
  }

  for (const change of plan.methodChanges) {
    await controlPlane.call(
      'UpdateMethod',
      new UpdateMethodCommand({ restApiId, resourceId: change.resourceId, httpMethod: change.method, patchOperations: attachPatch(change) }),
      `${change.method} ${change.path}`,
    );
    progress(`${change.method} ${change.path}: ${describeAuth(change.from)} -> ${describeAuth(change.to)}`);
  }
  if (keySourceChanges) {
    await controlPlane.call(
      'UpdateRestApi',
      new UpdateRestApiCommand({ restApiId, patchOperations: [{ op: 'replace', path: '/apiKeySource', value: plan.keySource.desired }] }),
      restApiId,
    );
    progress(`API key source: ${plan.keySource.current} -> ${plan.keySource.desired}`);
  }
  for (const change of plan.gatewayResponseChanges) {
    await putGatewayResponse(controlPlane, restApiId, change.type, change.to);
    progress(`gateway response ${change.type} installed`);
  }

  let deploymentId: string | undefined;
  if (record.pendingDeployment !== undefined) {
    const stage = record.pendingDeployment;
    deploymentId = await deployStage(controlPlane, restApiId, stage, `portcullis attach: authorizer ${authorizerId}`);
    progress(`stage ${stage} deployed (deployment ${deploymentId})`);
    const { pendingDeployment: _deployed, ...rest } = record;
    record = await store.save(rest);
  }
  return {
    methodsChanged: plan.methodChanges.length,
    keySourceChanged: keySourceChanges,
    gatewayResponsesInstalled: plan.gatewayResponseChanges.length,
    ...(deploymentId === undefined ? {} : { deploymentId }),
  };
}
