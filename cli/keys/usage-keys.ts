/**
 * The hidden usage keys that usage plans meter callers under. The authorizer returns a key's value as
 * `usageIdentifierKey`; the gateway counts the request against the usage plan holding that key.
 *
 * Two homes, one interface: API Gateway API keys + usage plan keys (a deployed stack), and the local mode's
 * registry (`--local`). The value is never the caller's secret: it is a separate 40-character CSPRNG string that
 * callers never see, and the API Gateway key is named after the public key id.
 */
import { AUTHORIZER_CACHE_CONTROL_PATH } from '../../local/gateway-server';
import {
  CreateApiKeyCommand,
  CreateUsagePlanKeyCommand,
  DeleteApiKeyCommand,
  FlushStageAuthorizersCacheCommand,
  GetApiKeysCommand,
  UpdateApiKeyCommand,
  type APIGatewayClient,
} from '@aws-sdk/client-api-gateway';
import { randomBase62 } from '../../lambda/api-key-format';
import type { TierName } from '../../infra/usage-tiers';
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LOCAL_USAGE_KEY_TABLE, type LocalUsageKeyRegistry } from '../../local/usage-key-registry';
import { AwsOperationError, InputError, describeAwsFailure, sdkErrorName } from './errors';

/** API Gateway wants at least 20 characters; 40 base62 characters carry 238 bits. */
export const USAGE_KEY_VALUE_LENGTH = 40;

export interface UsageKeyRef {
  /** The value the authorizer returns as `usageIdentifierKey`. */
  readonly value: string;
  /** The API Gateway API key id (absent in the local mode). */
  readonly id?: string;
}

export interface NewUsageKey {
  readonly plan: TierName;
  /** Public label: the key id, or `client:<clientId>`. Never a secret. */
  readonly name: string;
  readonly description: string;
  /**
   * The value to give it, chosen by the caller so it can be recorded (in the command's intent) before the key
   * exists. @default a new random value
   */
  readonly value?: string;
}

/** A new usage key value: 40 base62 characters from a CSPRNG. */
export function newUsageKeyValue(): string {
  return randomBase62(USAGE_KEY_VALUE_LENGTH);
}

export type FlushOutcome = { readonly flushed: true } | { readonly flushed: false; readonly reason: string };

export interface UsageKeyProvider {
  /** Throws an {@link InputError} (`missing_target`) when this target has no usage plan for `plan`. No I/O. */
  assertPlanAvailable(plan: TierName): void;
  /** Creates an enabled hidden key in the plan's usage plan. When it fails, nothing is left behind. */
  create(key: NewUsageKey): Promise<UsageKeyRef>;
  /** Undoes {@link create} (compensation when a later step fails). */
  remove(key: UsageKeyRef): Promise<void>;
  /**
   * Deletes the usage key(s) named `name` whose value is `value`: what an interrupted command may have made, found
   * without knowing its id. Idempotent; returns how many it deleted.
   */
  removeNamed(name: string, value: string): Promise<number>;
  /** Stops the gateway serving calls metered under this key. Idempotent; `not_found` when the key is gone. */
  disable(key: UsageKeyRef): Promise<'disabled' | 'not_found'>;
  /** Drops the stage's cached authorizer results, where the target can. */
  flushAuthorizerCache(): Promise<FlushOutcome>;
}

export interface ApiGatewayUsageKeysOptions {
  readonly client: APIGatewayClient;
  /** Usage plan id per tier. */
  readonly usagePlanIds: Readonly<Partial<Record<TierName, string>>>;
  /** Needed to flush the authorizer cache on revoke; without them the flush is skipped with a warning. */
  readonly restApiId?: string;
  readonly stageName?: string;
  /** How to fix a missing usage plan id (differs for stack and explicit targets). */
  readonly missingPlanHint?: string;
}

/**
 * "API keys per account per Region: 10000, can be increased: No"
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-execution-service-limits-table.html).
 */
const QUOTA_MESSAGE =
  'API Gateway refused to create another API key: the account has reached its quota of API keys in this region ' +
  '(10,000, which cannot be raised; each Portcullis key and client binding uses one hidden API key, rotations reuse it). ' +
  'Delete the hidden keys of long-revoked keys (aws apigateway delete-api-key), or move tenants to another Region or account.';

function apiGatewayFailure(operation: string, error: unknown): Error {
  if (sdkErrorName(error) === 'LimitExceededException') {
    return new AwsOperationError('api_key_quota_exceeded', `${operation} failed: ${QUOTA_MESSAGE}`, { cause: error });
  }
  return describeAwsFailure(`API Gateway ${operation}`, error);
}

export class ApiGatewayUsageKeys implements UsageKeyProvider {
  constructor(private readonly options: ApiGatewayUsageKeysOptions) {}

  private usagePlanId(plan: TierName): string {
    const id = this.options.usagePlanIds[plan];
    if (id === undefined) {
      throw new InputError(
        'missing_target',
        `no usage plan id for plan ${plan}${this.options.missingPlanHint ? `: ${this.options.missingPlanHint}` : ''}`,
      );
    }
    return id;
  }

  assertPlanAvailable(plan: TierName): void {
    this.usagePlanId(plan);
  }

  /**
   * CreateApiKey (enabled, with our value), then CreateUsagePlanKey. When the association fails the API key is
   * deleted again, so a failed create leaves no API key behind (or says exactly which one to delete).
   */
  async create(key: NewUsageKey): Promise<UsageKeyRef> {
    const usagePlanId = this.usagePlanId(key.plan);
    const value = key.value ?? newUsageKeyValue();
    let id: string | undefined;
    try {
      const created = await this.options.client.send(
        new CreateApiKeyCommand({
          name: key.name,
          description: key.description,
          enabled: true,
          value,
        }),
      );
      id = created.id;
    } catch (error) {
      throw apiGatewayFailure('CreateApiKey', error);
    }
    if (id === undefined) throw new AwsOperationError('aws_error', 'API Gateway CreateApiKey returned no key id');
    try {
      await this.options.client.send(new CreateUsagePlanKeyCommand({ usagePlanId, keyId: id, keyType: 'API_KEY' }));
    } catch (error) {
      const failure = apiGatewayFailure(`CreateUsagePlanKey (usage plan ${usagePlanId})`, error);
      await this.removeAfterFailure({ value, id }, failure);
      throw failure;
    }
    return { value, id };
  }

  /** Deletes the API key (which also removes it from its usage plans). Appends to `failure` if that fails too. */
  private async removeAfterFailure(key: UsageKeyRef, failure: Error): Promise<void> {
    try {
      await this.remove(key);
    } catch (cleanup) {
      failure.message += `; ${(cleanup as Error).message}`;
    }
  }

  async remove(key: UsageKeyRef): Promise<void> {
    if (key.id === undefined) return;
    try {
      await this.options.client.send(new DeleteApiKeyCommand({ apiKey: key.id }));
    } catch (error) {
      if (sdkErrorName(error) === 'NotFoundException') return;
      throw new AwsOperationError(
        'incomplete',
        `deleting the hidden API Gateway key ${key.id} failed (${sdkErrorName(error)}): ` +
          `delete it with: aws apigateway delete-api-key --api-key ${key.id}`,
        { cause: error },
      );
    }
  }

  /**
   * GetApiKeys by name (`nameQuery`, every page, with values), then DeleteApiKey for each exact match of name and
   * value. The name is the key id (or `client:<id>`), so the search is narrow; the value makes it exact.
   */
  async removeNamed(name: string, value: string): Promise<number> {
    const ids: string[] = [];
    let position: string | undefined;
    do {
      let page;
      try {
        page = await this.options.client.send(new GetApiKeysCommand({ nameQuery: name, includeValues: true, limit: 500, position }));
      } catch (error) {
        throw apiGatewayFailure(`GetApiKeys (name ${name})`, error);
      }
      for (const item of page?.items ?? []) {
        if (item.name === name && item.value === value && item.id !== undefined) ids.push(item.id);
      }
      position = page?.position;
    } while (position !== undefined);
    for (const id of ids) await this.remove({ value, id });
    return ids.length;
  }

  async disable(key: UsageKeyRef): Promise<'disabled' | 'not_found'> {
    if (key.id === undefined) return 'not_found';
    try {
      await this.options.client.send(
        new UpdateApiKeyCommand({
          apiKey: key.id,
          patchOperations: [{ op: 'replace', path: '/enabled', value: 'false' }],
        }),
      );
      return 'disabled';
    } catch (error) {
      if (sdkErrorName(error) === 'NotFoundException') return 'not_found';
      throw apiGatewayFailure(`UpdateApiKey (disable ${key.id})`, error);
    }
  }

  async flushAuthorizerCache(): Promise<FlushOutcome> {
    const { restApiId, stageName } = this.options;
    if (restApiId === undefined || stageName === undefined) {
      return {
        flushed: false,
        reason: 'the REST API id and stage are unknown (use --stack, or pass --rest-api-id and --stage)',
      };
    }
    try {
      await this.options.client.send(new FlushStageAuthorizersCacheCommand({ restApiId, stageName }));
      return { flushed: true };
    } catch (error) {
      return {
        flushed: false,
        reason: `FlushStageAuthorizersCache on ${restApiId}/${stageName} failed: ${sdkErrorName(error)}`,
      };
    }
  }
}

export interface LocalUsageKeysOptions {
  /** The client and table of the registry: to wait until a table it just created is usable. */
  readonly dynamodb: DynamoDBClient;
  readonly tableName?: string;
  /** The store, for messages. */
  readonly where?: string;
  /** The local gateway (`http://127.0.0.1:${PORT:-3000}`), whose authorizer cache revoke flushes. */
  readonly gatewayUrl?: string;
}

/** The local mode's registry: same contract, in the local store. */
export class LocalUsageKeys implements UsageKeyProvider {
  private tableReady?: Promise<void>;
  private readonly where: string;

  constructor(
    private readonly registry: LocalUsageKeyRegistry,
    private readonly options: LocalUsageKeysOptions,
  ) {
    this.where = options.where ?? 'the local store';
  }

  assertPlanAvailable(): void {
    // Every tier exists in the local mode (it reads USAGE_TIERS).
  }

  /** ensureTable() may have just created the table: CreateTable returns before the table is ACTIVE. */
  private async untilActive(): Promise<void> {
    const TableName = this.options.tableName ?? LOCAL_USAGE_KEY_TABLE;
    for (let attempt = 0; attempt < 200; attempt++) {
      const { Table } = await this.options.dynamodb.send(new DescribeTableCommand({ TableName }));
      if (Table?.TableStatus === 'ACTIVE') return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new AwsOperationError('aws_error', `table ${TableName} did not become ACTIVE within 10 s`);
  }

  private async ready(): Promise<void> {
    this.tableReady ??= this.registry.ensureTable().then(() => this.untilActive());
    try {
      await this.tableReady;
    } catch (error) {
      this.tableReady = undefined;
      throw describeAwsFailure('Preparing the local usage-key registry', error, this.where);
    }
  }

  async create(key: NewUsageKey): Promise<UsageKeyRef> {
    await this.ready();
    const value = key.value ?? newUsageKeyValue();
    try {
      await this.registry.put({ value, plan: key.plan, name: key.name });
    } catch (error) {
      throw describeAwsFailure('Registering the local usage key', error, this.where);
    }
    return { value };
  }

  async remove(key: UsageKeyRef): Promise<void> {
    await this.ready();
    try {
      await this.registry.delete(key.value);
    } catch (error) {
      throw describeAwsFailure('Deleting the local usage key', error, this.where);
    }
  }

  /** The registry is keyed by value: look it up, and delete it if it carries the name. */
  async removeNamed(name: string, value: string): Promise<number> {
    await this.ready();
    try {
      const found = await this.registry.get(value);
      if (found === undefined || found.name !== name) return 0;
      await this.registry.delete(value);
      return 1;
    } catch (error) {
      throw describeAwsFailure('Deleting the local usage key', error, this.where);
    }
  }

  async disable(key: UsageKeyRef): Promise<'disabled' | 'not_found'> {
    await this.ready();
    try {
      await this.registry.setEnabled(key.value, false);
      return 'disabled';
    } catch (error) {
      if (sdkErrorName(error) === 'ConditionalCheckFailedException') return 'not_found';
      throw describeAwsFailure('Disabling the local usage key', error, this.where);
    }
  }

  /** The local gateway's stand-in for FlushStageAuthorizersCache (`DELETE /__portcullis/authorizer-cache`). */
  async flushAuthorizerCache(): Promise<FlushOutcome> {
    const gatewayUrl = this.options.gatewayUrl;
    if (gatewayUrl === undefined) return { flushed: false, reason: 'no local gateway address is known' };
    try {
      const response = await fetch(`${gatewayUrl}${AUTHORIZER_CACHE_CONTROL_PATH}`, {
        method: 'DELETE',
        signal: AbortSignal.timeout(2000),
      });
      if (response.status === 202) return { flushed: true };
      return { flushed: false, reason: `the local gateway at ${gatewayUrl} answered HTTP ${response.status}` };
    } catch {
      return {
        flushed: false,
        reason: `no local gateway answered at ${gatewayUrl} (is "npm start" running? results it cached expire after AUTHORIZER_CACHE_TTL)`,
      };
    }
  }
}
