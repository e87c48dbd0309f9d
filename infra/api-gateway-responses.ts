/**
 * The gateway responses (gateway-responses.ts, pure data) as API Gateway resources on a consumer's API: JSON bodies
 * with a stable `code`, RFC 6750 challenges on 401/403, and CORS headers so browsers can read refusals.
 */
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import { gatewayResponseBodyJson, gatewayResponses, type GatewayResponseOptions } from './gateway-responses';

/** Adds Portcullis' gateway responses to `api` (one `AWS::ApiGateway::GatewayResponse` per type) and returns them. */
export function addGatewayResponses(api: apigateway.IRestApi, options: GatewayResponseOptions = {}): apigateway.GatewayResponse[] {
  return gatewayResponses(options).map(
    (definition) =>
      new apigateway.GatewayResponse(api, `Response-${definition.type}`, {
        restApi: api,
        type: apigateway.ResponseType.of(definition.type),
        statusCode: definition.statusCode === undefined ? undefined : String(definition.statusCode),
        // API Gateway reads header values as mapping expressions: a literal is quoted.
        responseHeaders: Object.fromEntries(Object.entries(definition.headers).map(([name, value]) => [name, `'${value}'`])),
        templates: { [definition.contentType]: gatewayResponseBodyJson(definition) },
      }),
  );
}
