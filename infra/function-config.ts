/**
 * The configuration the function reads at cold start, as the construct writes it:
 * - routes and issuers go into a file in the function's code (`CONFIG_FILE`), so they are not bounded by Lambda's
 *   4 KB environment; values only known at deploy time (a user pool id, an app client id) cannot be written into a
 *   file at synth, so the file refers to them by index and they travel in `CONFIG_VALUES`;
 * - what stays in the environment is measured at synth at its resolved size, with an upper bound for each value that
 *   is only known at deploy time.
 */
import { Token, type Stack } from 'aws-cdk-lib/core';
import { configFileName, DEPLOY_VALUE_REFERENCE, type ConfigFileDocument } from '../lambda/config';
import type { RouteManifest } from '../lambda/route-manifest';
import type { JwtIssuer } from './jwt-issuer';

/** Lambda refuses a function whose environment (names and values) exceeds 4 KB. */
export const LAMBDA_ENV_LIMIT_BYTES = 4096;

/**
 * Upper bounds of values known only at deploy time, from the services' API references: a Cognito user pool id is at
 * most 55 characters, an app client id at most 128, a DynamoDB table name at most 255, a Secrets Manager secret ARN
 * at most 2048 (the ARN limit of GetSecretValue's SecretId). Anything else: 256.
 */
const DEPLOY_VALUE_BOUNDS: Readonly<Record<string, number>> = { cognitoUserPoolId: 55, clientIds: 128, clientSecretArn: 2048 };
export const TABLE_NAME_MAX_LENGTH = 255;
export const UNKNOWN_VALUE_BOUND = 256;

export interface FunctionConfigFile {
  /** `portcullis-config.<sha256 prefix>.json`. */
  readonly name: string;
  readonly content: string;
  /** Deploy-time values the file refers to, in index order (CDK tokens). */
  readonly deployValues: readonly string[];
  /** The most bytes each deploy value can take once resolved. */
  readonly deployValueBounds: readonly number[];
}

/** The configuration file for these routes and issuers. */
export function buildConfigFile(manifest: RouteManifest, issuers: readonly JwtIssuer[]): FunctionConfigFile {
  const deployValues: string[] = [];
  const deployValueBounds: number[] = [];
  const replaceTokens = (field: string, value: unknown): unknown => {
    if (typeof value === 'string' && Token.isUnresolved(value)) {
      deployValues.push(value);
      deployValueBounds.push(DEPLOY_VALUE_BOUNDS[field] ?? UNKNOWN_VALUE_BOUND);
      return { [DEPLOY_VALUE_REFERENCE]: deployValues.length - 1 };
    }
    if (Array.isArray(value)) return value.map((entry: unknown) => replaceTokens(field, entry));
    // Nested settings (an issuer's introspection options) may hold deploy-time values too (a secret's ARN).
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, replaceTokens(key, entry)]));
    }
    return value;
  };
  const document: ConfigFileDocument = { ROUTE_MANIFEST: manifest };
  if (issuers.length > 0) {
    document.JWT_ISSUERS = issuers.map((issuer) =>
      Object.fromEntries(Object.entries(issuer.spec).map(([field, value]) => [field, replaceTokens(field, value)])),
    );
  }
  const content = `${JSON.stringify(document)}\n`;
  // A token left in the file would reach the function as its placeholder text: fail the synth instead.
  if (Token.isUnresolved(content)) throw new Error('the authorizer configuration file holds an unresolved CDK token');
  return { name: configFileName(content), content, deployValues, deployValueBounds };
}

/** The most bytes `CONFIG_VALUES` (a JSON array of the values) can take. */
export function deployValuesBound(bounds: readonly number[]): number {
  // Brackets, then each value quoted and comma-separated. Ids and names need no JSON escaping.
  return 2 + bounds.reduce((sum, bound) => sum + bound + 3, 0);
}

/** The resolved size of a CloudFormation value: literal text exactly, each intrinsic at its bound. */
function resolvedBytes(value: unknown, intrinsicBound: number): number {
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value).length;
  if (typeof value === 'object' && value !== null && 'Fn::Join' in value) {
    const [separator, parts] = (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
    if (Array.isArray(parts)) {
      return parts.reduce<number>((sum, part) => sum + resolvedBytes(part, intrinsicBound), 0) + Buffer.byteLength(separator) * Math.max(parts.length - 1, 0);
    }
  }
  return intrinsicBound;
}

/**
 * The environment's size as Lambda will count it (names plus values), resolved: literals exactly, values known only at
 * deploy time at their upper bound (`bounds` by variable name, else each intrinsic at UNKNOWN_VALUE_BOUND).
 */
export function resolvedEnvironmentBytes(
  scope: Stack,
  variables: Readonly<Record<string, unknown>>,
  bounds: ReadonlyMap<string, number> = new Map(),
): number {
  let total = 0;
  for (const [name, value] of Object.entries(variables)) {
    const resolved: unknown = scope.resolve(value);
    const bound = bounds.get(name);
    const size = typeof resolved === 'string' ? Buffer.byteLength(resolved) : (bound ?? resolvedBytes(resolved, UNKNOWN_VALUE_BOUND));
    total += Buffer.byteLength(name) + size;
  }
  return total;
}

