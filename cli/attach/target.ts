/**
 * Which API, stage, authorizer and key table `attach` works on, with the key CLI's conventions: a deployed stack's
 * outputs (`--stack`, default the existing-API stack) or flags (`--rest-api-id`, `--stage`, `--authorizer-id`,
 * `--table`), flags overriding outputs; `--region` and `--profile` for the clients. The stack lookup is the key
 * CLI's own (cli/keys/target.ts).
 */
import type { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { STACK_OUTPUTS } from '../../infra/stack-outputs';
import { readStackOutputs, SDK_CLIENTS, type ClientFactories } from '../keys/target';
import { AttachInputError } from './errors';

/** The stack infra/app.ts creates for an API it does not manage (`-c existingRestApiId=...`). */
export const EXISTING_API_STACK_NAME = 'PortcullisExistingApi';

export interface AttachTargetFlags {
  readonly local?: boolean;
  readonly stack?: string;
  readonly restApiId?: string;
  readonly stage?: string;
  readonly authorizerId?: string;
  readonly table?: string;
  readonly region?: string;
  readonly profile?: string;
}

export interface AttachTarget {
  readonly restApiId: string;
  readonly authorizerId: string;
  readonly stageName?: string;
  readonly tableName?: string;
  /** "stack PortcullisExistingApi" or "flags", for messages. */
  readonly source: string;
  readonly apiGateway: APIGatewayClient;
  /** Made on first use: plan and check never touch the table. */
  dynamodb(): DynamoDBClient;
  close(): void;
}

const REST_API_ID = /^[a-z0-9]{10}$/;
const AUTHORIZER_ID = /^[a-z0-9]{6,10}$/;
const STAGE_NAME = /^[A-Za-z0-9_-]{1,128}$/;

function check(value: string | undefined, pattern: RegExp, what: string): void {
  if (value !== undefined && !pattern.test(value)) throw new AttachInputError(`${what}: ${JSON.stringify(value)} is not a valid value`);
}

export async function resolveAttachTarget(flags: AttachTargetFlags, clients: ClientFactories = SDK_CLIENTS): Promise<AttachTarget> {
  if (flags.local) {
    throw new AttachInputError('attach changes API Gateway methods; the local mode has none: run "npm start -- --manifest routes.json" to serve your routes locally');
  }
  check(flags.restApiId, REST_API_ID, '--rest-api-id');
  check(flags.authorizerId, AUTHORIZER_ID, '--authorizer-id');
  check(flags.stage, STAGE_NAME, '--stage');
  const base = { region: flags.region, profile: flags.profile };
  const explicitOnly = flags.stack === undefined && flags.restApiId !== undefined && flags.authorizerId !== undefined;
  const stackName = flags.stack ?? EXISTING_API_STACK_NAME;
  let outputs: Record<string, string> = {};
  if (!explicitOnly) {
    const cloudFormation = clients.cloudFormation(base);
    try {
      outputs = await readStackOutputs(cloudFormation, stackName);
    } finally {
      cloudFormation.destroy();
    }
  }
  const source = explicitOnly ? 'flags' : `stack ${stackName}`;
  const restApiId = flags.restApiId ?? outputs[STACK_OUTPUTS.restApiId];
  const authorizerId = flags.authorizerId ?? outputs[STACK_OUTPUTS.authorizerId];
  if (restApiId === undefined) throw new AttachInputError(`${source} names no REST API (output ${STACK_OUTPUTS.restApiId}): pass --rest-api-id`);
  if (authorizerId === undefined) throw new AttachInputError(`${source} names no authorizer (output ${STACK_OUTPUTS.authorizerId}): pass --authorizer-id`);
  const stageName = flags.stage ?? outputs[STACK_OUTPUTS.stageName];
  const tableName = flags.table ?? outputs[STACK_OUTPUTS.keyTableName];
  // The control plane throttles hard and our own loop paces and retries it (control-plane.ts): no SDK retries on top.
  const apiGateway = clients.apiGateway({ ...base, maxAttempts: 1 });
  let dynamodb: DynamoDBClient | undefined;
  return {
    restApiId,
    authorizerId,
    ...(stageName === undefined ? {} : { stageName }),
    ...(tableName === undefined ? {} : { tableName }),
    source,
    apiGateway,
    dynamodb: () => (dynamodb ??= clients.dynamodb({ ...base, maxAttempts: 3 })),
    close: () => {
      apiGateway.destroy();
      dynamodb?.destroy();
    },
  };
}
