/**
 * The key CLI's core, as one front: create, list, show, rotate and revoke API keys, bind JWT clients to usage
 * plans, and reconcile what interrupted runs left. Collaborators are passed in (a DynamoDB client, a
 * {@link UsageKeyProvider}, a clock), so tests drive it against a real local DynamoDB and the CLI only parses
 * arguments and prints.
 *
 * Where the work is done:
 * - commands/: one file per command;
 * - intent-engine.ts: crash safety (write, deliver, commit, abort, rollback, claim, reconcile; design in intents.ts);
 * - key-records.ts and conditional-updates.ts: every read and write of the key table, each conditional write built once;
 * - summaries.ts: what list and show report.
 *
 * Records follow the shared schema (lambda/key-table-schema.ts). All records of one key share its public key id; each
 * secret has its own record (partition key = hash of the secret). The *current* record is the newest active,
 * non-superseded one. Every write is conditional, bad input is refused before anything is written
 * ({@link InputError}), and a multi-step change that fails or is killed half way is undone.
 */
import { KEY_PREFIX_PATTERN } from '../../lambda/api-key-format';
import { bindClient } from './commands/bind-client';
import type { CommandContext } from './commands/context';
import { createKey } from './commands/create';
import { listKeys, showKey } from './commands/read';
import { revokeKey } from './commands/revoke';
import { rotateKey } from './commands/rotate';
import { InputError } from './errors';
import { IntentEngine } from './intent-engine';
import { holderIsGone, thisProcess } from './intents';
import type {
  BindClientInput,
  BindClientResult,
  CreateKeyInput,
  IssuedKey,
  KeyManagerOptions,
  KeySummary,
  ListFilter,
  ListResult,
  ReconcileReport,
  RevokeOptions,
  RevokeResult,
  RotatedKey,
  RotateOptions,
} from './key-model';
import { KeyRecords } from './key-records';
import type { UsageKeyProvider } from './usage-keys';

export * from './key-model';
export { pickCurrent } from './summaries';

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class KeyManager {
  private readonly ctx: CommandContext;

  constructor(options: KeyManagerOptions) {
    if (!KEY_PREFIX_PATTERN.test(options.keyPrefix)) {
      throw new InputError('missing_target', `key prefix ${JSON.stringify(options.keyPrefix)} is not "<product>_<environment>_"`);
    }
    const now = options.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
    const holder = options.holder ?? thisProcess();
    const holderGone = options.holderIsGone ?? ((other) => holderIsGone(other, holder));
    const usageKeys = (): UsageKeyProvider => {
      if (options.usageKeys === undefined) {
        throw new InputError('missing_target', 'this command needs the usage plans of the target (use --stack or --usage-plan-id, or --local)');
      }
      return options.usageKeys;
    };
    const records = new KeyRecords({ dynamodb: options.dynamodb, tableName: options.tableName, pageSize: options.pageSize, where: options.where });
    const engine = new IntentEngine({ records, now, usageKeys, holderGone, where: options.where, checkpoint: options.checkpoint });
    this.ctx = {
      records,
      engine,
      keyPrefix: options.keyPrefix,
      holder,
      holderGone,
      now,
      sleep: options.sleep ?? realSleep,
      revokeRecheckMs: options.revokeRecheckMs ?? 0,
      usageKeys,
      flushAuthorizerCache: async () =>
        options.usageKeys === undefined ? { flushed: false, reason: 'the target has no stage to flush' } : options.usageKeys.flushAuthorizerCache(),
    };
  }

  /** Issues a key; `deliver` gets the secret before the commit (see commands/create.ts). */
  create(input: CreateKeyInput, deliver?: (issued: IssuedKey) => void | Promise<void>): Promise<IssuedKey> {
    return createKey(this.ctx, input, deliver);
  }

  list(filter: ListFilter = {}): Promise<ListResult> {
    return listKeys(this.ctx, filter);
  }

  show(keyId: string): Promise<KeySummary> {
    return showKey(this.ctx, keyId);
  }

  /** A new secret for the key; the previous one works `graceSeconds` more (see commands/rotate.ts). */
  rotate(
    keyId: string,
    graceSeconds?: number,
    deliver?: (rotated: RotatedKey) => void | Promise<void>,
    options: RotateOptions = {},
  ): Promise<RotatedKey> {
    return rotateKey(this.ctx, keyId, graceSeconds, deliver, options);
  }

  revoke(keyId: string, options: RevokeOptions = {}): Promise<RevokeResult> {
    return revokeKey(this.ctx, keyId, options);
  }

  bindClient(input: BindClientInput): Promise<BindClientResult> {
    return bindClient(this.ctx, input);
  }

  /** Undoes the intents of interrupted runs (intent-engine.ts); every write command runs it first. */
  reconcile(): Promise<ReconcileReport> {
    return this.ctx.engine.reconcile();
  }
}
