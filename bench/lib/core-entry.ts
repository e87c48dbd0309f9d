/**
 * Everything the in-process sections time, in one module that bench/lib/core-bundle.ts bundles with esbuild the
 * way the CDK bundles the Lambda (no tsx transform in the measured code: tsx compiles with esbuild's keepNames,
 * which wraps every function created per request in a `__name()` call the production bundle does not have).
 */
export { hashApiKey, isWellFormedApiKey } from '../../lambda/api-key-format';
export { authorize } from '../../lambda/authorize';
export { assertCompactJwsShape, decomposeCompactJws } from '../../lambda/compact-jws';
export { verifyJwsSignature } from '../../lambda/jws-signature';
export { loadConfig } from '../../lambda/config';
export { createAuthorizerHandler } from '../../lambda/create-handler';
export { extractCredential } from '../../lambda/credentials';
export { DecisionLog } from '../../lambda/decision-log';
export { DynamoDbKeyStore } from '../../lambda/dynamodb-key-store';
export { apiKeyRecordProblem } from '../../lambda/key-table-schema';
export { ClockCache } from '../../lambda/clock-cache';
export { verifiedTokenKey } from '../../lambda/jwt-authenticator';
export { buildRouteStatements, decideRoutes, parseMethodArn, policyDocument } from '../../lambda/policy';
export { decomposeUnverifiedJwt, validateJwtFields } from 'aws-jwt-verify/jwt';
export { createAuthorizer as awsJwtVerifyPeer } from '../peers/aws-jwt-verify-authorizer';
export { createAuthorizer as fastJwtPeer } from '../peers/fast-jwt-authorizer';
export { createAuthorizer as josePeer } from '../peers/jose-authorizer';
export { createAuthorizer as jsonwebtokenPeer } from '../peers/jsonwebtoken-authorizer';
