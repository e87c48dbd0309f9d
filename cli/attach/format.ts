/**
 * How plans print: a table for people, `--json` for scripts (stable field names, the plan as computed).
 */
import { describeAuth } from './apply';
import type { DetachPlan } from './detach';
import { planDisagrees, type AttachPlan } from './plan';

function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => `  ${row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ')}`.trimEnd());
}

const list = (items: readonly { method: string; path: string }[]): string => items.map((item) => `${item.method} ${item.path}`).join(', ');

export function planJson(plan: AttachPlan): Record<string, unknown> {
  return {
    restApiId: plan.restApiId,
    apiName: plan.apiName,
    authorizerId: plan.authorizerId,
    authorizerName: plan.authorizerName,
    stageName: plan.stageName ?? null,
    inSync: !planDisagrees(plan),
    methodChanges: plan.methodChanges.map(({ method, path, resourceId, from, to }) => ({ method, path, resourceId, from, to })),
    unchanged: plan.unchanged,
    keySource: { ...plan.keySource, change: plan.keySource.current !== plan.keySource.desired },
    gatewayResponses: plan.gatewayResponseChanges.map((change) => ({
      type: change.type,
      from: change.from === undefined || change.from.defaultResponse ? 'default' : 'custom',
      statusCode: change.to.statusCode ?? null,
    })),
    errors: {
      missing: plan.missing,
      drift: plan.drift,
    },
    optionsMethods: plan.optionsMethods,
    otherMethods: plan.otherMethods,
    warnings: plan.warnings,
  };
}

export function planText(plan: AttachPlan): string {
  const lines: string[] = [];
  lines.push(
    `API ${plan.restApiId}${plan.apiName ? ` (${plan.apiName})` : ''}, authorizer ${plan.authorizerId}${plan.authorizerName ? ` (${plan.authorizerName})` : ''}${plan.stageName ? `, stage ${plan.stageName}` : ''}`,
    '',
  );
  if (plan.methodChanges.length > 0) {
    lines.push(`Methods to change (${plan.methodChanges.length}):`);
    lines.push(
      ...table([
        ['METHOD', 'PATH', 'FROM', 'TO'],
        ...plan.methodChanges.map((change) => [change.method, change.path, describeAuth(change.from), describeAuth(change.to)]),
      ]),
    );
  } else {
    lines.push('Methods to change: none');
  }
  if (plan.unchanged.length > 0) lines.push(`Already attached (${plan.unchanged.length}): ${list(plan.unchanged)}`);
  const { current, desired } = plan.keySource;
  lines.push(
    current === desired
      ? `API key source: ${current} (unchanged)`
      : `API key source: ${current} -> ${desired} (metered routes take their usage key from the authorizer; clients sending x-api-key stop being counted by it)`,
  );
  lines.push(
    plan.gatewayResponseChanges.length === 0
      ? 'Gateway responses: already installed'
      : `Gateway responses to install (${plan.gatewayResponseChanges.length}): ${plan.gatewayResponseChanges
          .map((change) => `${change.type}${change.to.statusCode ? ` ${change.to.statusCode}` : ''}`)
          .join(', ')}`,
  );
  if (plan.optionsMethods.length > 0) lines.push(`OPTIONS methods, never touched (${plan.optionsMethods.length}): ${list(plan.optionsMethods)}`);
  if (plan.otherMethods.length > 0) {
    lines.push(
      `Not in the manifest, left as they are (${plan.otherMethods.length}): ${plan.otherMethods.map((m) => `${m.method} ${m.path} [${m.authorizationType}]`).join(', ')}`,
    );
  }
  for (const warning of plan.warnings) lines.push(`warning: ${warning}`);
  const errors = [
    ...plan.missing.map((problem) => `missing: ${problem.method} ${problem.path}: ${problem.reason}`),
    ...plan.drift.map((problem) => `drift: ${problem.method} ${problem.path} ${problem.reason}`),
  ];
  if (errors.length > 0) {
    lines.push('', `Errors (${errors.length}):`, ...errors.map((error) => `  ${error}`));
  }
  lines.push('', planDisagrees(plan) ? (errors.length > 0 ? 'The API and the manifest disagree: fix the errors above.' : 'Run "attach apply" to make these changes.') : 'In sync: nothing to change.');
  return `${lines.join('\n')}\n`;
}

export function detachPlanJson(plan: DetachPlan): Record<string, unknown> {
  return {
    restApiId: plan.restApiId,
    authorizerId: plan.authorizerId,
    stageName: plan.stageName ?? null,
    restores: plan.restores.map(({ method, path, from, to, recorded }) => ({
      method,
      path,
      recorded,
      from: { authorizationType: from.authorizationType, authorizerId: from.authorizerId ?? null, apiKeyRequired: from.apiKeyRequired },
      to,
    })),
    unrecorded: plan.unrecorded,
    keySource: plan.keySource ?? null,
    gatewayResponses: plan.gatewayResponses.map(({ type, to }) => ({ type, to: to.defaultResponse ? 'default' : 'custom' })),
    pendingDeployment: plan.pendingDeployment ?? null,
  };
}

export function detachPlanText(plan: DetachPlan): string {
  const lines = [`API ${plan.restApiId}, authorizer ${plan.authorizerId}${plan.stageName ? `, stage ${plan.stageName}` : ''}`, ''];
  if (plan.restores.length > 0) {
    lines.push(`Methods to restore (${plan.restores.length}):`);
    lines.push(
      ...table([
        ['METHOD', 'PATH', 'FROM', 'TO'],
        ...plan.restores.map((r) => [r.method, r.path, describeAuth(r.from), `${describeAuth(r.to)}${r.recorded ? '' : ' (unrecorded)'}`]),
      ]),
    );
  } else {
    lines.push('Methods to restore: none');
  }
  if (plan.unrecorded.length > 0) lines.push(`error: on the authorizer without a record (pass --unrecorded-as): ${list(plan.unrecorded)}`);
  if (plan.keySource) lines.push(`API key source: ${plan.keySource.from} -> ${plan.keySource.to}`);
  if (plan.gatewayResponses.length > 0) lines.push(`Gateway responses to restore (${plan.gatewayResponses.length}): ${plan.gatewayResponses.map((g) => g.type).join(', ')}`);
  if (plan.pendingDeployment) lines.push(`A deployment of stage ${plan.pendingDeployment} is owed by a stopped run`);
  return `${lines.join('\n')}\n`;
}
