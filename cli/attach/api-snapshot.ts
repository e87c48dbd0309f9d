/**
 * What the API looks like now, read from the control plane: its key source, every method of every resource
 * (GetResources with `embed=methods`, all pages), the authorizer and stage named by the target, and the gateway
 * responses. NotFoundException on the API, the stage or the authorizer is an input error: the target is wrong.
 */
import {
  GetAuthorizerCommand,
  GetGatewayResponsesCommand,
  GetResourcesCommand,
  GetRestApiCommand,
  GetStageCommand,
  type Authorizer,
  type GatewayResponse,
  type GatewayResponses,
  type Resources,
  type RestApi,
} from '@aws-sdk/client-api-gateway';
import type { ControlPlane } from './control-plane';
import { AttachInputError, awsErrorName } from './errors';

export interface MethodState {
  readonly resourceId: string;
  /** The resource template, e.g. `/items/{id}`. */
  readonly path: string;
  readonly httpMethod: string;
  readonly authorizationType: string;
  readonly authorizerId?: string;
  readonly apiKeyRequired: boolean;
  readonly authorizationScopes?: readonly string[];
}

export interface GatewayResponseState {
  readonly defaultResponse: boolean;
  readonly statusCode?: string;
  readonly responseParameters: Readonly<Record<string, string>>;
  readonly responseTemplates: Readonly<Record<string, string>>;
}

export interface ApiSnapshot {
  readonly restApiId: string;
  readonly name: string;
  readonly apiKeySource: string;
  readonly authorizer: { readonly id: string; readonly name: string; readonly type: string };
  readonly stageName?: string;
  readonly methods: readonly MethodState[];
  readonly gatewayResponses: ReadonlyMap<string, GatewayResponseState>;
}

export interface SnapshotTarget {
  readonly restApiId: string;
  readonly authorizerId: string;
  readonly stageName?: string;
}

/** GetResources' largest page. */
const PAGE_SIZE = 500;

async function orNotFound<T>(read: () => Promise<T>, message: string): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (awsErrorName(error) === 'NotFoundException') throw new AttachInputError(message);
    throw error;
  }
}

export const methodKey = (method: string, path: string): string => `${method} ${path}`;

export function toGatewayResponseState(response: GatewayResponse): GatewayResponseState {
  return {
    defaultResponse: response.defaultResponse === true,
    ...(response.statusCode === undefined ? {} : { statusCode: response.statusCode }),
    responseParameters: { ...response.responseParameters },
    responseTemplates: { ...response.responseTemplates },
  };
}

export async function readApi(controlPlane: ControlPlane, target: SnapshotTarget): Promise<ApiSnapshot> {
  const { restApiId, authorizerId, stageName } = target;
  const api = await orNotFound(
    () => controlPlane.call<RestApi>('GetRestApi', new GetRestApiCommand({ restApiId }), restApiId),
    `REST API ${restApiId} not found in this account and region: check --rest-api-id, --region and --profile`,
  );
  const authorizer = await orNotFound(
    () => controlPlane.call<Authorizer>('GetAuthorizer', new GetAuthorizerCommand({ restApiId, authorizerId }), `${restApiId}/${authorizerId}`),
    `authorizer ${authorizerId} not found on API ${restApiId}: deploy the existing-API stack (its AuthorizerId output) or pass --authorizer-id`,
  );
  if (stageName !== undefined) {
    await orNotFound(
      () => controlPlane.call('GetStage', new GetStageCommand({ restApiId, stageName }), `${restApiId}/${stageName}`),
      `stage ${stageName} not found on API ${restApiId}: check --stage`,
    );
  }

  const methods: MethodState[] = [];
  let position: string | undefined;
  do {
    const page: Resources = await controlPlane.call<Resources>(
      'GetResources',
      new GetResourcesCommand({ restApiId, embed: ['methods'], limit: PAGE_SIZE, position }),
      restApiId,
    );
    for (const resource of page.items ?? []) {
      for (const [httpMethod, method] of Object.entries(resource.resourceMethods ?? {})) {
        methods.push({
          resourceId: resource.id ?? '',
          path: resource.path ?? '',
          httpMethod,
          authorizationType: method.authorizationType ?? 'NONE',
          ...(method.authorizerId ? { authorizerId: method.authorizerId } : {}),
          apiKeyRequired: method.apiKeyRequired === true,
          ...(method.authorizationScopes?.length ? { authorizationScopes: [...method.authorizationScopes] } : {}),
        });
      }
    }
    position = page.position;
  } while (position !== undefined && position !== '');

  const gatewayResponses = new Map<string, GatewayResponseState>();
  position = undefined;
  do {
    const page: GatewayResponses = await controlPlane.call<GatewayResponses>(
      'GetGatewayResponses',
      new GetGatewayResponsesCommand({ restApiId, limit: PAGE_SIZE, position }),
      restApiId,
    );
    for (const response of page.items ?? []) {
      if (response.responseType) gatewayResponses.set(response.responseType, toGatewayResponseState(response));
    }
    position = page.position;
  } while (position !== undefined && position !== '');

  methods.sort((a, b) => (a.path === b.path ? a.httpMethod.localeCompare(b.httpMethod) : a.path.localeCompare(b.path)));
  return {
    restApiId,
    name: api.name ?? '',
    apiKeySource: api.apiKeySource ?? 'HEADER',
    authorizer: { id: authorizerId, name: authorizer.name ?? '', type: authorizer.type ?? '' },
    ...(stageName === undefined ? {} : { stageName }),
    methods,
    gatewayResponses,
  };
}
