/**
 * `detach`: puts back what `apply` changed, from the record, and redeploys, so no method references the authorizer
 * any more and `cdk destroy` of the existing-API stack can delete it (API Gateway refuses to delete an authorizer a
 * method references).
 *
 * - A method still on this authorizer gets its recorded authorization back (type, authorizer, apiKeyRequired, Cognito
 *   scopes). A method someone moved off the authorizer since is left as it is.
 * - A method on this authorizer without a record (attached by hand) has no known "before": detach stops and lists it,
 *   unless `--unrecorded-as NONE|AWS_IAM` says what it becomes (NONE makes it public: say so deliberately).
 * - The key source and gateway responses are restored only where they are still what apply set.
 * - The record is deleted only after the deployment, so a stopped detach is completed by a rerun.
 */
import { DeleteGatewayResponseCommand, UpdateMethodCommand, UpdateRestApiCommand, type GatewayResponseType, type PatchOperation } from '@aws-sdk/client-api-gateway';
import { methodKey, type ApiSnapshot, type GatewayResponseState, type MethodState } from './api-snapshot';
import { deployStage, describeAuth, putGatewayResponse, type Progress } from './apply';
import type { ControlPlane } from './control-plane';
import { AttachFailure } from './errors';
import { desiredGatewayResponses, sameGatewayResponse, usesAuthorizer, type RouteRef } from './plan';
import { emptyRecord, type AttachRecord, type AttachStateStore, type MethodBefore } from './state-store';

export const UNRECORDED_CHOICES = ['NONE', 'AWS_IAM'] as const;
export type UnrecordedAs = (typeof UNRECORDED_CHOICES)[number];

export interface MethodRestore extends RouteRef {
  readonly resourceId: string;
  readonly from: MethodState;
  readonly to: Omit<MethodBefore, 'resourceId'>;
  readonly recorded: boolean;
}

export interface DetachPlan {
  readonly restApiId: string;
  readonly authorizerId: string;
  readonly stageName?: string;
  readonly restores: readonly MethodRestore[];
  /** Methods on the authorizer with no record, when no `--unrecorded-as` was given: an error. */
  readonly unrecorded: readonly RouteRef[];
  readonly keySource?: { readonly from: string; readonly to: string };
  readonly gatewayResponses: readonly { readonly type: string; readonly to: GatewayResponseState }[];
  /** A deployment a stopped detach (or apply) still owes. */
  readonly pendingDeployment?: string;
}

export function computeDetachPlan(
  snapshot: ApiSnapshot,
  record: AttachRecord | undefined,
  options: { unrecordedAs?: UnrecordedAs } = {},
): DetachPlan {
  const authorizerId = snapshot.authorizer.id;
  const restores: MethodRestore[] = [];
  const unrecorded: RouteRef[] = [];
  for (const method of snapshot.methods) {
    if (!usesAuthorizer(method, authorizerId)) continue;
    const ref = { method: method.httpMethod, path: method.path };
    const before = record?.methods[methodKey(method.httpMethod, method.path)];
    if (before !== undefined) {
      const { resourceId: _id, ...to } = before;
      restores.push({ ...ref, resourceId: method.resourceId, from: method, to, recorded: true });
    } else if (options.unrecordedAs !== undefined) {
      restores.push({ ...ref, resourceId: method.resourceId, from: method, to: { authorizationType: options.unrecordedAs, apiKeyRequired: method.apiKeyRequired }, recorded: false });
    } else {
      unrecorded.push(ref);
    }
  }
  const keySource =
    record?.keySource !== undefined && record.keySource !== snapshot.apiKeySource && snapshot.apiKeySource === 'AUTHORIZER'
      ? { from: snapshot.apiKeySource, to: record.keySource }
      : undefined;
  const ours = desiredGatewayResponses();
  const gatewayResponses: { type: string; to: GatewayResponseState }[] = [];
  for (const [type, before] of Object.entries(record?.gatewayResponses ?? {})) {
    const installed = ours.get(type);
    if (installed !== undefined && sameGatewayResponse(snapshot.gatewayResponses.get(type), installed)) gatewayResponses.push({ type, to: before });
  }
  return {
    restApiId: snapshot.restApiId,
    authorizerId,
    ...(snapshot.stageName === undefined ? {} : { stageName: snapshot.stageName }),
    restores,
    unrecorded,
    ...(keySource ? { keySource } : {}),
    gatewayResponses,
    ...(record?.pendingDeployment === undefined ? {} : { pendingDeployment: record.pendingDeployment }),
  };
}

export function restorePatch(restore: MethodRestore): PatchOperation[] {
  const { from, to } = restore;
  const ops: PatchOperation[] = [{ op: 'replace', path: '/authorizationType', value: to.authorizationType }];
  // CUSTOM and COGNITO_USER_POOLS need their authorizer in the same call; the others take none.
  if (to.authorizationType === 'CUSTOM' || to.authorizationType === 'COGNITO_USER_POOLS') {
    ops.push({ op: 'replace', path: '/authorizerId', value: to.authorizerId });
  }
  if (to.apiKeyRequired !== from.apiKeyRequired) ops.push({ op: 'replace', path: '/apiKeyRequired', value: String(to.apiKeyRequired) });
  for (const scope of to.authorizationScopes ?? []) {
    if (!(from.authorizationScopes ?? []).includes(scope)) ops.push({ op: 'add', path: '/authorizationScopes', value: scope });
  }
  return ops;
}

export interface DetachResult {
  readonly methodsRestored: number;
  readonly keySourceRestored: boolean;
  readonly gatewayResponsesRestored: number;
  readonly deploymentId?: string;
}

export async function applyDetach(
  plan: DetachPlan,
  record: AttachRecord | undefined,
  deps: { controlPlane: ControlPlane; store: AttachStateStore; progress?: Progress },
): Promise<DetachResult> {
  const { controlPlane, store } = deps;
  const progress = deps.progress ?? (() => undefined);
  const { restApiId } = plan;
  if (plan.unrecorded.length > 0) {
    throw new AttachFailure(
      `${plan.unrecorded.length} method(s) use the authorizer but attach never recorded what they had before: ` +
        `${plan.unrecorded.map((r) => `${r.method} ${r.path}`).join(', ')}. Pass --unrecorded-as AWS_IAM (or NONE, which makes them public); nothing was changed`,
    );
  }
  const changes = plan.restores.length + (plan.keySource ? 1 : 0) + plan.gatewayResponses.length;
  const stageName = plan.pendingDeployment ?? plan.stageName;
  if (changes > 0 && plan.stageName === undefined) {
    throw new AttachFailure('detach needs the stage to redeploy: pass --stage (or a stack with a StageName output)');
  }
  let current = record;
  if (changes > 0) current = await store.save({ ...(current ?? emptyRecord(restApiId, plan.authorizerId)), pendingDeployment: plan.stageName });

  for (const restore of plan.restores) {
    await controlPlane.call(
      'UpdateMethod',
      new UpdateMethodCommand({ restApiId, resourceId: restore.resourceId, httpMethod: restore.method, patchOperations: restorePatch(restore) }),
      `${restore.method} ${restore.path}`,
    );
    progress(`${restore.method} ${restore.path}: ${describeAuth(restore.from)} -> ${describeAuth(restore.to)}${restore.recorded ? '' : ' (unrecorded)'}`);
  }
  if (plan.keySource) {
    await controlPlane.call(
      'UpdateRestApi',
      new UpdateRestApiCommand({ restApiId, patchOperations: [{ op: 'replace', path: '/apiKeySource', value: plan.keySource.to }] }),
      restApiId,
    );
    progress(`API key source: ${plan.keySource.from} -> ${plan.keySource.to}`);
  }
  for (const { type, to } of plan.gatewayResponses) {
    if (to.defaultResponse) {
      await controlPlane.call(
        'DeleteGatewayResponse',
        new DeleteGatewayResponseCommand({ restApiId, responseType: type as GatewayResponseType }),
        `${restApiId} ${type}`,
      );
    } else {
      await putGatewayResponse(controlPlane, restApiId, type, to);
    }
    progress(`gateway response ${type} restored`);
  }

  let deploymentId: string | undefined;
  if ((changes > 0 || plan.pendingDeployment !== undefined) && stageName !== undefined) {
    deploymentId = await deployStage(controlPlane, restApiId, stageName, `portcullis detach: authorizer ${plan.authorizerId}`);
    progress(`stage ${stageName} deployed (deployment ${deploymentId})`);
  }
  if (current !== undefined) await store.remove(current);
  return {
    methodsRestored: plan.restores.length,
    keySourceRestored: plan.keySource !== undefined,
    gatewayResponsesRestored: plan.gatewayResponses.length,
    ...(deploymentId === undefined ? {} : { deploymentId }),
  };
}
