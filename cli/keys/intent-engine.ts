/**
 * The steps that make create, rotate and clients bind crash-safe (the design is in intents.ts): write the intent,
 * hand the secret over, commit, and, when something fails, abort (undo this run's own intent) or roll back (undo
 * an interrupted run's intent: claim it, undo its external step, delete it); reconcile finds and rolls back the
 * intents of interrupted runs. Every step is conditional and idempotent, so an interrupted undo is finished by the
 * next one.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Item } from '../../lambda/key-table-schema';
import { abandonIntent, commitIntent, deleteIntent, restoreSuperseded } from './conditional-updates';
import { AwsOperationError, KeyCliError, describeAwsFailure, sdkErrorName } from './errors';
import {
  ABANDONED_STATUS,
  COMMIT_DEADLINE_SECONDS,
  isStale,
  PENDING_STATUS,
  type Checkpoint,
  type CrashPoint,
  type Intent,
  type IntentHolder,
} from './intents';
import type { ReconcileEntry, ReconcileReport, RollbackOutcome } from './key-model';
import type { KeyRecords } from './key-records';
import { incompleteChange } from './summaries';
import type { UsageKeyProvider } from './usage-keys';

/** Appended to a failure after the secret was printed. */
const VOID_SECRET = 'the secret shown above was never activated and does not work';

export interface IntentEngineOptions {
  readonly records: KeyRecords;
  readonly now: () => number;
  /** Needed to undo a create or a bind (their hidden usage key). */
  readonly usageKeys: () => UsageKeyProvider;
  readonly holderGone: (holder: IntentHolder) => boolean;
  readonly where?: string;
  readonly checkpoint?: Checkpoint;
}

export class IntentEngine {
  constructor(private readonly options: IntentEngineOptions) {}

  /** The test-only fault hook (intents.ts): a no-op in production. */
  async at(point: CrashPoint): Promise<void> {
    await this.options.checkpoint?.(point);
  }

  /** Writes a create/rotate intent (the pending record). A put that may have landed is undone. */
  async write(item: Item, intent: Intent, operation: string): Promise<void> {
    let written: boolean;
    try {
      written = await this.options.records.putNew(operation, item);
    } catch (error) {
      throw await this.abort(intent, error, false);
    }
    if (!written) throw new AwsOperationError('concurrent_change', `${operation} of key ${intent.subject}: the record exists already; run the command again`);
  }

  /** Hands the secret to the caller (the CLI prints it) before the commit. Returns whether it did. */
  async deliver<T>(intent: Intent, issued: T, deliver: ((issued: T) => void | Promise<void>) | undefined, point: CrashPoint): Promise<boolean> {
    if (deliver === undefined) return false;
    try {
      await deliver(issued);
    } catch (error) {
      throw await this.abort(intent, error, true);
    }
    await this.at(point);
    return true;
  }

  /** Refuses to commit (and undoes the work) once another run may judge the intent stale. */
  async checkDeadline(intent: Intent, delivered: boolean): Promise<void> {
    const elapsed = this.options.now() - intent.startedAt;
    if (elapsed < COMMIT_DEADLINE_SECONDS) return;
    throw await this.abort(
      intent,
      new AwsOperationError(
        'incomplete',
        `the ${intent.operation} of ${intent.subject} took ${elapsed}s, longer than ${COMMIT_DEADLINE_SECONDS}s: it was stopped before completing; run it again`,
      ),
      delivered,
    );
  }

  /** The commit of create and rotate (conditional-updates.ts: commitIntent). */
  async commit(intent: Intent, set: ReadonlyArray<[string, AttributeValue]>, delivered: boolean): Promise<void> {
    await this.checkDeadline(intent, delivered);
    let committed: boolean;
    try {
      committed = await this.options.records.updateIf(`UpdateItem (complete the ${intent.operation})`, intent.pk, commitIntent(intent, set));
    } catch (error) {
      // A timeout may hide a commit that landed: the rollback finds out (and then leaves it be).
      const failure = error as KeyCliError;
      let outcome: RollbackOutcome;
      try {
        outcome = await this.rollback(intent);
      } catch (cleanup) {
        failure.message += `; undoing it also failed (${cleanup instanceof Error ? cleanup.message : String(cleanup)}): ${this.leftoverHint(intent, delivered)}`;
        throw failure;
      }
      if (outcome === 'committed') return;
      if (delivered) failure.message += `; ${VOID_SECRET}`;
      throw failure;
    }
    if (committed) return;
    throw await this.abort(
      intent,
      new AwsOperationError(
        'concurrent_change',
        `key ${intent.subject} was revoked, or this unfinished ${intent.operation} was undone by another run, before it completed: nothing was changed`,
      ),
      delivered,
    );
  }

  /** Undoes this process's own intent after `error`; returns the error to throw, its message completed. */
  async abort(intent: Intent, error: unknown, delivered: boolean): Promise<KeyCliError> {
    const failure =
      error instanceof KeyCliError ? error : describeAwsFailure(`the ${intent.operation} of ${intent.subject}`, error, this.options.where);
    try {
      await this.rollback(intent);
      if (delivered) failure.message += `; ${VOID_SECRET}`;
    } catch (cleanup) {
      const reason =
        cleanup instanceof Error && cleanup.message.includes('delete-api-key')
          ? cleanup.message
          : sdkErrorName(cleanup instanceof AwsOperationError ? cleanup.cause ?? cleanup : cleanup);
      failure.message += `; undoing it also failed (${reason}): ${this.leftoverHint(intent, delivered)}`;
    }
    return failure;
  }

  /**
   * Finds the intents of interrupted commands (stale: see intents.ts) and undoes them, so no enabled usage key
   * without an active record and no pending record survives. Cheap (one Query of the intent partition). A failure
   * to undo one is reported, not thrown: the next run retries it.
   */
  async reconcile(): Promise<ReconcileReport> {
    const intents = await this.options.records.queryIntents();
    const now = this.options.now();
    const entries: ReconcileEntry[] = [];
    let inProgress = 0;
    for (const intent of intents) {
      if (!isStale(intent, now, this.options.holderGone)) {
        inProgress++;
        continue;
      }
      try {
        entries.push({ intent: incompleteChange(intent, true), outcome: await this.rollback(intent) });
      } catch (error) {
        entries.push({ intent: incompleteChange(intent, true), outcome: 'failed', reason: error instanceof Error ? error.message : String(error) });
      }
    }
    return { entries, inProgress };
  }

  /** Revoke's share: pending changes of a key can no longer commit. Returns how many it abandoned. */
  async abandonPending(intents: readonly Intent[]): Promise<number> {
    let abandoned = 0;
    for (const intent of intents) {
      if (intent.status !== PENDING_STATUS) continue;
      // A failed condition: committed or undone meanwhile; a committed secret is revoked by the recheck.
      if (await this.options.records.updateIf('UpdateItem (abandon an unfinished change)', intent.pk, abandonIntent(intent, false))) abandoned++;
    }
    return abandoned;
  }

  /** Deletes an intent item if it is still this intent in `status`. */
  async deleteIntent(intent: Intent, status: string): Promise<void> {
    await this.options.records.deleteIf(`DeleteItem (unfinished ${intent.operation})`, intent.pk, deleteIntent(intent, status));
  }

  /** Undoes an intent: claim it, undo the external step, delete it. 'committed' when it turns out complete. */
  private async rollback(intent: Intent): Promise<RollbackOutcome> {
    if (intent.operation === 'bind') {
      const binding = await this.options.records.get('client binding', intent.bindingPk ?? '');
      if (binding?.usageIdentifierKey?.S !== undefined && binding.usageIdentifierKey.S === intent.usageValue) {
        await this.deleteIntent(intent, intent.status);
        return 'committed';
      }
    }
    const claim = await this.claim(intent);
    if (claim !== 'claimed') return claim;
    await this.at('reconcile:claimed');
    if (intent.operation === 'rotate') {
      // Not superseded by this rotation (it never got that far): nothing to restore.
      if (intent.supersedes !== undefined) {
        await this.options.records.updateIf('UpdateItem (restore the previous secret)', intent.supersedes, restoreSuperseded(intent));
      }
    } else if (intent.usageValue !== undefined) {
      const usageKeys = this.options.usageKeys();
      if (intent.usageKeyId !== undefined) await usageKeys.remove({ value: intent.usageValue, id: intent.usageKeyId });
      else if (intent.usageKeyName !== undefined) await usageKeys.removeNamed(intent.usageKeyName, intent.usageValue);
    }
    await this.at('reconcile:usage-key-removed');
    await this.deleteIntent(intent, ABANDONED_STATUS);
    return 'rolled_back';
  }

  /** pending -> abandoned, so that its own process can no longer commit it. */
  private async claim(intent: Intent): Promise<'claimed' | 'committed' | 'gone'> {
    if (await this.options.records.updateIf(`UpdateItem (claim the unfinished ${intent.operation})`, intent.pk, abandonIntent(intent, true))) {
      return 'claimed';
    }
    const item = await this.options.records.get('unfinished change', intent.pk);
    if (item === undefined) return 'gone';
    if (item.keyId?.S === intent.subject && item.status?.S === 'active') return 'committed';
    throw new AwsOperationError(
      'incomplete',
      `the unfinished ${intent.operation} of ${intent.subject} is in an unexpected state; leaving it for inspection (${intent.pk})`,
    );
  }

  private leftoverHint(intent: Intent, delivered: boolean): string {
    return (
      `${intent.operation === 'bind' ? `the binding of ${intent.subject} is unchanged` : `the unfinished ${intent.operation} of ${intent.subject} cannot authenticate`}` +
      `${delivered ? ' (the secret shown above does not work)' : ''}, and the next keys command undoes it`
    );
  }
}
