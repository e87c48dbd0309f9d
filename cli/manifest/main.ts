/**
 * `manifest from-openapi FILE` and `manifest from-api`: the route manifest from an OpenAPI/Swagger file, or from API
 * Gateway's own export of a deployed stage (GetExport, oas30 with the apigateway extensions) for an API that was
 * never written as a file. The conversion is infra/openapi-manifest.ts (the construct uses the same one).
 *
 * The manifest goes to stdout (or `--out FILE`); the public operations, CORS preflights and warnings go to stderr,
 * so `> routes.json` captures only the manifest. Exit codes: 0 done, 1 an AWS call failed, 2 bad input or bad spec.
 */
import { parseCommandLine } from '../command-line';
import { GetExportCommand, type ExportResponse } from '@aws-sdk/client-api-gateway';
import { writeFileSync } from 'node:fs';
import { convertOpenApiFile, manifestFromOpenApi, OpenApiManifestError, parseOpenApiText, type OpenApiConversion } from '../../infra/openapi-manifest';
import { STACK_OUTPUTS } from '../../infra/stack-outputs';
import { readStackOutputs, SDK_CLIENTS, type ClientFactories } from '../keys/target';
import { ControlPlane, type Clock } from '../attach/control-plane';
import { AttachInputError, awsErrorName, exitCodeOf } from '../attach/errors';
import { EXISTING_API_STACK_NAME } from '../attach/target';

export interface ManifestIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly clients?: ClientFactories;
  readonly clock?: Clock;
  /** How the user runs this command, for the help. Default: the repository's npm script. */
  readonly command?: string;
}

export const REPO_MANIFEST_COMMAND = 'npm run manifest --';

export function manifestUsage(command: string = REPO_MANIFEST_COMMAND): string {
  return `Usage: ${command} from-openapi FILE [--out routes.json]
       ${command} from-api (--rest-api-id ID --stage NAME | --stack NAME) [--region R] [--profile P] [--out routes.json]

from-openapi  reads OpenAPI 3.0/3.1 or Swagger 2 (JSON or YAML): each operation's security requirements
              (OAuth2 / OpenID Connect scopes; alternatives become anyOf) make its route; operations without
              security are left out and listed as public; x-portcullis-metered: true marks a route metered
from-api      the same from API Gateway's export of a stage (GetExport, oas30 with extensions)

The manifest is printed to stdout (or written to --out); public routes and warnings go to stderr.`;
}

const OPTIONS = {
  out: { type: 'string' },
  'rest-api-id': { type: 'string' },
  stage: { type: 'string' },
  stack: { type: 'string' },
  region: { type: 'string' },
  profile: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function report(conversion: OpenApiConversion, io: ManifestIo): void {
  const { manifest, preflight, warnings } = conversion;
  io.stderr(`${conversion.format}: ${manifest.routes.length} protected route(s)\n`);
  if (manifest.publicRoutes.length > 0) {
    io.stderr(`Public (left out of the authorizer): ${manifest.publicRoutes.map((r) => `${r.method} ${r.path} [${r.reason}]`).join(', ')}\n`);
  }
  if (preflight.length > 0) io.stderr(`OPTIONS (CORS preflight, never authorized): ${preflight.map((r) => r.path).join(', ')}\n`);
  for (const warning of warnings) io.stderr(`warning: ${warning}\n`);
}

async function fromApi(values: { [K in keyof typeof OPTIONS]?: string | boolean }, io: ManifestIo): Promise<OpenApiConversion> {
  const clients = io.clients ?? SDK_CLIENTS;
  const base = { region: values.region as string | undefined, profile: values.profile as string | undefined };
  let restApiId = values['rest-api-id'] as string | undefined;
  let stageName = values.stage as string | undefined;
  if (restApiId === undefined || stageName === undefined) {
    const stackName = (values.stack as string | undefined) ?? EXISTING_API_STACK_NAME;
    const cloudFormation = clients.cloudFormation(base);
    let outputs: Record<string, string>;
    try {
      outputs = await readStackOutputs(cloudFormation, stackName);
    } finally {
      cloudFormation.destroy();
    }
    restApiId ??= outputs[STACK_OUTPUTS.restApiId];
    stageName ??= outputs[STACK_OUTPUTS.stageName];
    if (restApiId === undefined || stageName === undefined) {
      throw new AttachInputError(`stack ${stackName} names no REST API or stage: pass --rest-api-id and --stage`);
    }
  }
  const client = clients.apiGateway({ ...base, maxAttempts: 1 });
  try {
    const controlPlane = new ControlPlane({ client, ...(io.clock ? { clock: io.clock } : {}) });
    let exported: ExportResponse;
    try {
      exported = await controlPlane.call<ExportResponse>(
        'GetExport',
        new GetExportCommand({ restApiId, stageName, exportType: 'oas30', parameters: { extensions: 'apigateway' }, accepts: 'application/json' }),
        `${restApiId}/${stageName}`,
      );
    } catch (error) {
      if (awsErrorName(error) === 'NotFoundException') {
        throw new AttachInputError(`GetExport: API ${restApiId} or its stage ${stageName} not found (a stage exists once deployed): check --rest-api-id, --stage and --region`);
      }
      throw error;
    }
    const source = `GetExport ${restApiId}/${stageName}`;
    const text = new TextDecoder().decode(exported.body ?? new Uint8Array());
    return manifestFromOpenApi(parseOpenApiText(text, source), source);
  } finally {
    client.destroy();
  }
}

export async function runManifestCli(argv: readonly string[], io: ManifestIo): Promise<number> {
  const usage = manifestUsage(io.command);
  const args = parseCommandLine(argv, OPTIONS, usage, io);
  if (typeof args === 'number') return args;
  const { values, positionals } = args;
  const [command, ...rest] = positionals;
  try {
    let conversion: OpenApiConversion;
    if (command === 'from-openapi') {
      if (rest.length !== 1) throw new AttachInputError(`from-openapi takes one file\n\n${usage}`);
      conversion = convertOpenApiFile(rest[0]!);
    } else if (command === 'from-api') {
      if (rest.length !== 0) throw new AttachInputError(`from-api takes no file\n\n${usage}`);
      conversion = await fromApi(values, io);
    } else {
      throw new AttachInputError(`unknown command ${JSON.stringify(command ?? '')}\n\n${usage}`);
    }
    report(conversion, io);
    const json = `${JSON.stringify(conversion.manifest, null, 2)}\n`;
    if (values.out !== undefined) {
      writeFileSync(values.out, json);
      io.stdout(`Wrote ${values.out}\n`);
    } else {
      io.stdout(json);
    }
    return 0;
  } catch (error) {
    io.stderr(`error: ${(error as Error).message}\n`);
    return error instanceof OpenApiManifestError ? 2 : exitCodeOf(error);
  }
}
