/**
 * `attach [plan|apply|check|detach]`: argument parsing, help and printing around the plan (plan.ts), apply (apply.ts)
 * and detach (detach.ts). Returns the exit code instead of exiting, so tests run it in-process with their own clients:
 * 0 success (and, for check, in sync), 1 failure or disagreement, 2 bad input.
 */
import { parseCommandLine } from '../command-line';
import { readRouteManifestFile } from '../../infra/openapi-manifest';
import { compileManifest, type CompiledManifest } from '../../lambda/route-manifest';
import type { ClientFactories } from '../keys/target';
import { readApi } from './api-snapshot';
import { applyPlan } from './apply';
import { ControlPlane, type Clock } from './control-plane';
import { applyDetach, computeDetachPlan, UNRECORDED_CHOICES, type UnrecordedAs } from './detach';
import { AttachFailure, AttachInputError, exitCodeOf } from './errors';
import { detachPlanJson, detachPlanText, planJson, planText } from './format';
import { computePlan, planDisagrees, planHasErrors } from './plan';
import { DynamoDbAttachStateStore, type AttachStateStore } from './state-store';
import { EXISTING_API_STACK_NAME, resolveAttachTarget, type AttachTarget } from './target';

export interface AttachIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly clients?: ClientFactories;
  /** Sleep and clock of the control-plane pacing and backoff (tests: instant). */
  readonly clock?: Clock;
  /** How the user runs attach and detach, for the help. Default: the repository's npm script. */
  readonly commands?: AttachCommandNames;
}

export interface AttachCommandNames {
  readonly attach: string;
  readonly detach: string;
}

/** In the repository: `npm run attach -- detach` (no script of its own). */
export const REPO_ATTACH_COMMANDS: AttachCommandNames = { attach: 'npm run attach --', detach: 'npm run attach -- detach' };

export function attachUsage({ attach, detach }: AttachCommandNames = REPO_ATTACH_COMMANDS): string {
  return `Usage: ${attach} [plan|apply|check] --manifest FILE [target] [--json]
       ${detach} [--dry-run] [--unrecorded-as NONE|AWS_IAM] [target] [--json]

Commands:
  plan      (default) what apply would change: methods (authorizationType, authorizerId, apiKeyRequired),
            the API key source, gateway responses; missing routes and drift are errors (exit 1)
  apply     make exactly the plan's changes, record what each method had before, deploy the stage
  check     exit 1 when the API and the manifest disagree (for CI)
  detach    restore what apply changed and deploy the stage: afterwards no method references the
            authorizer, so "cdk destroy" of the existing-API stack succeeds

Options:
  --manifest FILE          route manifest (routes.json) or OpenAPI/Swagger file (JSON or YAML)
  --json                   print JSON
  --keep-gateway-responses leave the API's gateway responses as they are
  --dry-run                detach: print what it would restore
  --unrecorded-as TYPE     detach: what methods attached by hand (no record) become: AWS_IAM, or NONE (public)
Target (a stack's outputs, or flags; flags override outputs):
  --stack NAME             stack with outputs RestApiId, AuthorizerId, StageName, KeyTableName (default ${EXISTING_API_STACK_NAME})
  --rest-api-id ID         REST API id; with --authorizer-id and no --stack, no stack lookup
  --authorizer-id ID       the Portcullis authorizer's id
  --stage NAME             the stage apply and detach deploy
  --table NAME             key table where apply records what it changed (pk attach#<restApiId>)
  --region REGION, --profile NAME`;
}

const OPTIONS = {
  manifest: { type: 'string' },
  json: { type: 'boolean' },
  'keep-gateway-responses': { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  'unrecorded-as': { type: 'string' },
  local: { type: 'boolean' },
  stack: { type: 'string' },
  'rest-api-id': { type: 'string' },
  'authorizer-id': { type: 'string' },
  stage: { type: 'string' },
  table: { type: 'string' },
  region: { type: 'string' },
  profile: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const COMMANDS = ['plan', 'apply', 'check', 'detach'] as const;
type Command = (typeof COMMANDS)[number];

function loadManifest(file: string | undefined, command: Command): CompiledManifest {
  if (file === undefined) throw new AttachInputError(`${command} needs --manifest FILE (a route manifest or an OpenAPI file)`);
  try {
    const manifest = readRouteManifestFile(file);
    return compileManifest({ routes: manifest.routes }, file);
  } catch (error) {
    throw new AttachInputError((error as Error).message);
  }
}

function stateStore(target: AttachTarget): AttachStateStore {
  if (target.tableName === undefined) {
    throw new AttachInputError(
      `apply and detach record what they change in the key table, and ${target.source} names none (output KeyTableName): pass --table`,
    );
  }
  return new DynamoDbAttachStateStore(target.dynamodb(), target.tableName);
}

export async function runAttachCli(argv: readonly string[], io: AttachIo): Promise<number> {
  const usage = attachUsage(io.commands);
  const args = parseCommandLine(argv, OPTIONS, usage, io);
  if (typeof args === 'number') return args;
  const { values, positionals } = args;
  const command = (positionals[0] ?? 'plan') as Command;
  if (!COMMANDS.includes(command) || positionals.length > 1) {
    io.stderr(`unknown command ${JSON.stringify(positionals.join(' '))}\n\n${usage}\n`);
    return 2;
  }
  const unrecordedAs = values['unrecorded-as'];
  if (unrecordedAs !== undefined && !(UNRECORDED_CHOICES as readonly string[]).includes(unrecordedAs)) {
    io.stderr(`--unrecorded-as must be ${UNRECORDED_CHOICES.join(' or ')}\n`);
    return 2;
  }

  let target: AttachTarget | undefined;
  try {
    const manifest = command === 'detach' ? undefined : loadManifest(values.manifest, command);
    target = await resolveAttachTarget(
      {
        local: values.local,
        stack: values.stack,
        restApiId: values['rest-api-id'],
        authorizerId: values['authorizer-id'],
        stage: values.stage,
        table: values.table,
        region: values.region,
        profile: values.profile,
      },
      io.clients,
    );
    const controlPlane = new ControlPlane({
      client: target.apiGateway,
      ...(io.clock ? { clock: io.clock } : {}),
      onRetry: (operation, error, delayMs) => io.stderr(`${operation}: ${error}, retrying in ${(delayMs / 1000).toFixed(1)} s\n`),
    });
    const snapshotTarget = { restApiId: target.restApiId, authorizerId: target.authorizerId, stageName: target.stageName };
    const progress = values.json ? undefined : (line: string) => io.stdout(`${line}\n`);

    if (command === 'detach') {
      const store = stateStore(target);
      const snapshot = await readApi(controlPlane, snapshotTarget);
      const record = await store.load(target.restApiId);
      const plan = computeDetachPlan(snapshot, record, unrecordedAs ? { unrecordedAs: unrecordedAs as UnrecordedAs } : {});
      if (values['dry-run']) {
        io.stdout(values.json ? `${JSON.stringify(detachPlanJson(plan), null, 2)}\n` : detachPlanText(plan));
        return plan.unrecorded.length > 0 ? 1 : 0;
      }
      const result = await applyDetach(plan, record, { controlPlane, store, progress });
      io.stdout(
        values.json
          ? `${JSON.stringify({ ...detachPlanJson(plan), result }, null, 2)}\n`
          : `Detached: ${result.methodsRestored} method(s) restored${result.keySourceRestored ? ', key source restored' : ''}, ${result.gatewayResponsesRestored} gateway response(s) restored${result.deploymentId ? `, deployed (${result.deploymentId})` : ', nothing to deploy'}\n`,
      );
      return 0;
    }

    const snapshot = await readApi(controlPlane, snapshotTarget);
    const plan = computePlan(snapshot, manifest!, { keepGatewayResponses: values['keep-gateway-responses'] === true });
    if (command === 'plan' || command === 'check') {
      io.stdout(values.json ? `${JSON.stringify(planJson(plan), null, 2)}\n` : planText(plan));
      if (command === 'check') return planDisagrees(plan) ? 1 : 0;
      return planHasErrors(plan) ? 1 : 0;
    }

    const store = stateStore(target);
    if (planHasErrors(plan)) {
      io.stdout(values.json ? `${JSON.stringify(planJson(plan), null, 2)}\n` : planText(plan));
      throw new AttachFailure('the API and the manifest disagree (errors above): nothing was changed');
    }
    const result = await applyPlan(plan, { controlPlane, store, progress });
    io.stdout(
      values.json
        ? `${JSON.stringify({ ...planJson(plan), result }, null, 2)}\n`
        : `Applied: ${result.methodsChanged} method(s) changed${result.keySourceChanged ? ', key source set to AUTHORIZER' : ''}, ${result.gatewayResponsesInstalled} gateway response(s) installed${result.deploymentId ? `, deployed (${result.deploymentId})` : ', nothing to deploy'}\n`,
    );
    return 0;
  } catch (error) {
    io.stderr(`error: ${(error as Error).message}\n`);
    return exitCodeOf(error);
  } finally {
    target?.close();
  }
}
