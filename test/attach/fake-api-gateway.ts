/**
 * A stateful stand-in for the API Gateway control plane of one account, behind aws-sdk-client-mock: REST APIs with
 * resources and methods, authorizers, stages, gateway responses and deployments, answering with the shapes and errors
 * the service uses. It pages like the service may (fewer items than `limit`, an opaque `position`), refuses a second
 * CreateDeployment within 5 s (the fixed quota) with TooManyRequestsException, applies UpdateMethod patch operations
 * with the service's rules (CUSTOM needs an authorizerId in the same call; NONE and AWS_IAM drop it), and takes
 * injected faults per operation.
 */
import {
  APIGatewayClient,
  BadRequestException,
  ConflictException,
  CreateDeploymentCommand,
  DeleteGatewayResponseCommand,
  GetAuthorizerCommand,
  GetExportCommand,
  GetGatewayResponsesCommand,
  GetResourcesCommand,
  GetRestApiCommand,
  GetStageCommand,
  NotFoundException,
  PutGatewayResponseCommand,
  TooManyRequestsException,
  UpdateMethodCommand,
  UpdateRestApiCommand,
  type GatewayResponse,
  type Method,
  type PatchOperation,
  type Resource,
} from '@aws-sdk/client-api-gateway';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';

const meta = (status: number) => ({ $metadata: { httpStatusCode: status, requestId: 'req-1' } });

export const notFound = (message = 'Invalid REST API identifier specified') => new NotFoundException({ message, ...meta(404) });
export const tooManyRequests = (retryAfterSeconds?: string) =>
  new TooManyRequestsException({ message: 'Too Many Requests', ...meta(429), ...(retryAfterSeconds ? { retryAfterSeconds } : {}) });
export const conflict = (message = 'Another request is in progress') => new ConflictException({ message, ...meta(409) });
export const badRequest = (message: string) => new BadRequestException({ message, ...meta(400) });

/** The service's default gateway responses (type -> status), as GetGatewayResponses lists them on a new API. */
const DEFAULT_RESPONSES: Record<string, string> = {
  ACCESS_DENIED: '403', API_CONFIGURATION_ERROR: '500', AUTHORIZER_CONFIGURATION_ERROR: '500', AUTHORIZER_FAILURE: '500',
  BAD_REQUEST_BODY: '400', BAD_REQUEST_PARAMETERS: '400', DEFAULT_4XX: '', DEFAULT_5XX: '', EXPIRED_TOKEN: '403',
  INTEGRATION_FAILURE: '504', INTEGRATION_TIMEOUT: '504', INVALID_API_KEY: '403', INVALID_SIGNATURE: '403',
  MISSING_AUTHENTICATION_TOKEN: '403', QUOTA_EXCEEDED: '429', REQUEST_TOO_LARGE: '413', RESOURCE_NOT_FOUND: '404',
  THROTTLED: '429', UNAUTHORIZED: '401', UNSUPPORTED_MEDIA_TYPE: '415', WAF_FILTERED: '403',
};

function defaultResponse(type: string): GatewayResponse {
  const status = DEFAULT_RESPONSES[type]!;
  return {
    responseType: type as GatewayResponse['responseType'],
    ...(status ? { statusCode: status } : {}),
    responseParameters: {},
    responseTemplates: { 'application/json': '{"message":$context.error.messageString}' },
    defaultResponse: true,
  };
}

export interface FakeMethodSpec {
  readonly authorizationType?: string;
  readonly authorizerId?: string;
  readonly apiKeyRequired?: boolean;
  readonly authorizationScopes?: string[];
}

export interface Deployment {
  readonly id: string;
  readonly stageName: string;
  readonly at: number;
  /** `METHOD path` -> authorizationType/authorizerId/apiKeyRequired at deployment time. */
  readonly methods: Record<string, string>;
}

type Fault = (call: number) => Error | undefined;

export class FakeApiGateway {
  readonly restApiId = 'k3x9q2w7ab';
  readonly authorizerId = 'x1y2z3';
  readonly stageName = 'prod';
  apiKeySource = 'HEADER';
  private readonly resources = new Map<string, Resource & { resourceMethods: Record<string, Method> }>();
  private readonly responses = new Map<string, GatewayResponse>();
  readonly deployments: Deployment[] = [];
  /** Requests received, by operation. */
  readonly calls = new Map<string, number>();
  private readonly faults = new Map<string, Fault>();
  private nextId = 1;
  /** Items per page at most, whatever `limit` says (the service may return fewer than asked). */
  pageCap = 100;
  readonly stub: AwsClientStub<APIGatewayClient>;

  constructor(private readonly now: () => number) {
    for (const type of Object.keys(DEFAULT_RESPONSES)) this.responses.set(type, defaultResponse(type));
    this.addResource('/');
    this.stub = mockClient(APIGatewayClient);
    this.install();
  }

  /** Adds a resource (and its parents) with methods. */
  addResource(path: string, methods: Record<string, FakeMethodSpec> = {}): void {
    let parent: string | undefined;
    const segments = path === '/' ? [] : path.slice(1).split('/');
    for (let depth = 0; depth <= segments.length; depth++) {
      const current = depth === 0 ? '/' : `/${segments.slice(0, depth).join('/')}`;
      let resource = [...this.resources.values()].find((r) => r.path === current);
      if (!resource) {
        const id = depth === 0 ? 'rootid0000' : `r${String(this.nextId++).padStart(5, '0')}`;
        resource = {
          id,
          path: current,
          ...(parent ? { parentId: parent } : {}),
          ...(depth === 0 ? {} : { pathPart: segments[depth - 1]! }),
          resourceMethods: {},
        };
        this.resources.set(id, resource);
      }
      parent = resource.id;
      if (current === path) {
        for (const [httpMethod, spec] of Object.entries(methods)) {
          resource.resourceMethods[httpMethod] = {
            httpMethod,
            authorizationType: spec.authorizationType ?? 'NONE',
            ...(spec.authorizerId ? { authorizerId: spec.authorizerId } : {}),
            apiKeyRequired: spec.apiKeyRequired ?? false,
            ...(spec.authorizationScopes ? { authorizationScopes: spec.authorizationScopes } : {}),
            methodIntegration: { type: 'HTTP_PROXY', httpMethod, uri: `https://backend.example.com${path}` },
          };
        }
      }
    }
  }

  method(httpMethod: string, path: string): Method | undefined {
    return [...this.resources.values()].find((r) => r.path === path)?.resourceMethods[httpMethod];
  }

  gatewayResponse(type: string): GatewayResponse | undefined {
    return this.responses.get(type);
  }

  /** Methods that reference the authorizer: DeleteAuthorizer (and so `cdk destroy`) fails while there is one. */
  methodsReferencing(authorizerId: string): string[] {
    const found: string[] = [];
    for (const resource of this.resources.values()) {
      for (const [httpMethod, method] of Object.entries(resource.resourceMethods)) {
        if (method.authorizerId === authorizerId) found.push(`${httpMethod} ${resource.path}`);
      }
    }
    return found.sort();
  }

  /** Every method's authorization, `METHOD path` -> `TYPE[ id][ key]`. */
  authorizations(): Record<string, string> {
    const result: Record<string, string> = {};
    for (const resource of this.resources.values()) {
      for (const [httpMethod, m] of Object.entries(resource.resourceMethods)) {
        result[`${httpMethod} ${resource.path}`] = `${m.authorizationType}${m.authorizerId ? ` ${m.authorizerId}` : ''}${m.apiKeyRequired ? ' key' : ''}`;
      }
    }
    return result;
  }

  /** `fault(callNumber)` (1-based, per operation) returns the error to throw, or nothing to answer normally. */
  inject(operation: string, fault: Fault): void {
    this.faults.set(operation, fault);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  count(operation: string): number {
    return this.calls.get(operation) ?? 0;
  }

  restore(): void {
    this.stub.restore();
  }

  private enter(operation: string, input: { restApiId?: string }): void {
    const call = (this.calls.get(operation) ?? 0) + 1;
    this.calls.set(operation, call);
    const fault = this.faults.get(operation)?.(call);
    if (fault) throw fault;
    if (input.restApiId !== this.restApiId) throw notFound();
  }

  private resource(resourceId: string | undefined) {
    const resource = resourceId === undefined ? undefined : this.resources.get(resourceId);
    if (!resource) throw notFound('Invalid Resource identifier specified');
    return resource;
  }

  private page<T>(items: T[], limit: number | undefined, position: string | undefined): { items: T[]; position?: string } {
    const start = position === undefined ? 0 : Number(Buffer.from(position, 'base64').toString('utf8').split(':')[1]);
    const size = Math.min(limit ?? 25, 500, this.pageCap);
    const slice = items.slice(start, start + size);
    const next = start + size < items.length ? Buffer.from(`pos:${start + size}`).toString('base64') : undefined;
    return { items: slice, ...(next ? { position: next } : {}) };
  }

  private install(): void {
    const s = this.stub;
    s.on(GetRestApiCommand).callsFake((input) => {
      this.enter('GetRestApi', input);
      return { id: this.restApiId, name: 'orders-api', apiKeySource: this.apiKeySource, endpointConfiguration: { types: ['REGIONAL'] } };
    });
    s.on(GetAuthorizerCommand).callsFake((input) => {
      this.enter('GetAuthorizer', input);
      if (input.authorizerId !== this.authorizerId) throw notFound('Invalid Authorizer identifier specified');
      return { id: this.authorizerId, name: 'PortcullisExistingApi-portcullis', type: 'REQUEST', identitySource: 'method.request.header.Authorization', authorizerResultTtlInSeconds: 60 };
    });
    s.on(GetStageCommand).callsFake((input) => {
      this.enter('GetStage', input);
      if (input.stageName !== this.stageName) throw notFound('Invalid Stage identifier specified');
      return { stageName: this.stageName, deploymentId: this.deployments.at(-1)?.id ?? 'dep000' };
    });
    s.on(GetResourcesCommand).callsFake((input) => {
      this.enter('GetResources', input);
      const embed = input.embed?.includes('methods') === true;
      const all = [...this.resources.values()].map((resource) => {
        const { resourceMethods, ...rest } = resource;
        // Without embed=methods the service lists each method as an empty object.
        const methods = Object.fromEntries(Object.entries(resourceMethods).map(([k, m]) => [k, embed ? structuredClone(m) : {}]));
        return Object.keys(methods).length > 0 ? { ...rest, resourceMethods: methods } : rest;
      });
      return this.page(all, input.limit, input.position);
    });
    s.on(GetGatewayResponsesCommand).callsFake((input) => {
      this.enter('GetGatewayResponses', input);
      return this.page([...this.responses.values()].map((r) => structuredClone(r)), input.limit, input.position);
    });
    s.on(UpdateMethodCommand).callsFake((input) => {
      this.enter('UpdateMethod', input);
      const resource = this.resource(input.resourceId);
      const method = resource.resourceMethods[input.httpMethod!];
      if (!method) throw notFound('Invalid Method identifier specified');
      const next: Method = { ...method };
      for (const op of input.patchOperations ?? []) this.patchMethod(next, op);
      if (next.authorizationType === 'CUSTOM' || next.authorizationType === 'COGNITO_USER_POOLS') {
        if (!next.authorizerId) throw badRequest('Invalid authorizer ID specified. Setting the authorization type to CUSTOM or COGNITO_USER_POOLS requires a valid authorizer.');
        if (next.authorizationType === 'CUSTOM' && next.authorizerId !== this.authorizerId) throw badRequest('Invalid authorizer ID specified');
      } else {
        delete next.authorizerId;
      }
      resource.resourceMethods[input.httpMethod!] = next;
      return structuredClone(next);
    });
    s.on(UpdateRestApiCommand).callsFake((input) => {
      this.enter('UpdateRestApi', input);
      for (const op of input.patchOperations ?? []) {
        if (op.op === 'replace' && op.path === '/apiKeySource' && (op.value === 'HEADER' || op.value === 'AUTHORIZER')) this.apiKeySource = op.value;
        else throw badRequest(`Invalid patch operation specified: ${op.op} ${op.path}`);
      }
      return { id: this.restApiId, apiKeySource: this.apiKeySource };
    });
    s.on(PutGatewayResponseCommand).callsFake((input) => {
      this.enter('PutGatewayResponse', input);
      const type = input.responseType!;
      if (!(type in DEFAULT_RESPONSES)) throw badRequest(`Invalid response type ${type}`);
      const response: GatewayResponse = {
        responseType: type,
        ...(input.statusCode ? { statusCode: input.statusCode } : DEFAULT_RESPONSES[type] ? { statusCode: DEFAULT_RESPONSES[type] } : {}),
        responseParameters: { ...input.responseParameters },
        responseTemplates: { ...input.responseTemplates },
        defaultResponse: false,
      };
      // The service keeps the type's own status when none is given; DEFAULT_* have none.
      if (!input.statusCode) delete response.statusCode;
      this.responses.set(type, response);
      return structuredClone(response);
    });
    s.on(DeleteGatewayResponseCommand).callsFake((input) => {
      this.enter('DeleteGatewayResponse', input);
      this.responses.set(input.responseType!, defaultResponse(input.responseType!));
      return {};
    });
    s.on(CreateDeploymentCommand).callsFake((input) => {
      this.enter('CreateDeployment', input);
      const last = this.deployments.at(-1);
      if (last && this.now() - last.at < 5000) throw tooManyRequests('5');
      if (input.stageName !== this.stageName) throw badRequest('Invalid stage identifier specified');
      const id = `dep${String(this.deployments.length + 1).padStart(3, '0')}`;
      this.deployments.push({ id, stageName: input.stageName!, at: this.now(), methods: this.authorizations() });
      return { id, createdDate: new Date(this.now()), description: input.description };
    });
    s.on(GetExportCommand).callsFake((input) => {
      this.enter('GetExport', input);
      if (input.stageName !== this.stageName) throw notFound('Invalid Stage identifier specified');
      return { contentType: 'application/json', body: new TextEncoder().encode(JSON.stringify(this.exportOas30())) };
    });
  }

  private patchMethod(method: Method, op: PatchOperation): void {
    switch (`${op.op} ${op.path}`) {
      case 'replace /authorizationType':
        if (!['NONE', 'AWS_IAM', 'CUSTOM', 'COGNITO_USER_POOLS'].includes(op.value ?? '')) throw badRequest(`Invalid authorization type ${op.value}`);
        method.authorizationType = op.value;
        return;
      case 'replace /authorizerId':
        method.authorizerId = op.value;
        return;
      case 'replace /apiKeyRequired':
        if (op.value !== 'true' && op.value !== 'false') throw badRequest(`Invalid boolean ${op.value}`);
        method.apiKeyRequired = op.value === 'true';
        return;
      case 'add /authorizationScopes':
        method.authorizationScopes = [...(method.authorizationScopes ?? []), op.value!];
        return;
      default:
        throw badRequest(`Invalid patch path ${op.path}`);
    }
  }

  /** What GetExport (oas30, extensions=apigateway) returns for this API's current methods. */
  exportOas30(): Record<string, unknown> {
    const paths: Record<string, Record<string, unknown>> = {};
    const schemes: Record<string, unknown> = {};
    for (const resource of this.resources.values()) {
      for (const [httpMethod, m] of Object.entries(resource.resourceMethods)) {
        const security: Record<string, string[]>[] = [];
        const requirement: Record<string, string[]> = {};
        if (m.authorizationType === 'CUSTOM') {
          requirement['portcullis'] = [];
          schemes['portcullis'] = { type: 'apiKey', name: 'Unused', in: 'header', 'x-amazon-apigateway-authtype': 'custom' };
        }
        if (m.authorizationType === 'COGNITO_USER_POOLS') {
          requirement['cognito'] = m.authorizationScopes ?? [];
          schemes['cognito'] = { type: 'apiKey', name: 'Authorization', in: 'header', 'x-amazon-apigateway-authtype': 'cognito_user_pools' };
        }
        if (m.apiKeyRequired) {
          requirement['api_key'] = [];
          schemes['api_key'] = { type: 'apiKey', name: 'x-api-key', in: 'header' };
        }
        if (Object.keys(requirement).length > 0) security.push(requirement);
        const key = httpMethod === 'ANY' ? 'x-amazon-apigateway-any-method' : httpMethod.toLowerCase();
        (paths[resource.path!] ??= {})[key] = {
          responses: { '200': { description: '200 response' } },
          ...(security.length > 0 ? { security } : {}),
          'x-amazon-apigateway-integration': { type: 'http_proxy', httpMethod, uri: `https://backend.example.com${resource.path}` },
        };
      }
    }
    return {
      openapi: '3.0.1',
      info: { title: 'orders-api', version: '2026-11-30T03:00:00Z' },
      servers: [{ url: `https://${this.restApiId}.execute-api.eu-west-1.amazonaws.com/{basePath}`, variables: { basePath: { default: this.stageName } } }],
      paths,
      components: { securitySchemes: schemes },
    };
  }
}
