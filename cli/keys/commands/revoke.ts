/** `revoke`: refuse every secret of a key, then flush the stage's authorizer cache and disable the usage key. */
import { revokeSecret } from '../conditional-updates';
import { AwsOperationError } from '../errors';
import type { RevokeOptions, RevokeResult } from '../key-model';
import { maxOf, usageKeyOf, type StoredRecord } from '../summaries';
import type { FlushOutcome } from '../usage-keys';
import { validateKeyId } from '../validation';
import type { CommandContext } from './context';

/**
 * Revokes every secret of the key (the current one and any still in a rotation grace period): a conditional
 * update per record, so a revoked record is never rewritten and running it again is a no-op for the table.
 * Then flushes the stage's authorizer cache and disables the hidden usage key; those two are idempotent and are
 * re-applied when the command is repeated, so a revoke interrupted after the table write can be finished.
 */
export async function revokeKey(ctx: CommandContext, keyId: string, options: RevokeOptions = {}): Promise<RevokeResult> {
  validateKeyId(keyId);
  const usageKeys = ctx.usageKeys();
  // Unfinished creates and rotations of the key first (they can no longer commit), then its records; then both
  // again, so a rotation that was between its steps meanwhile cannot leave a live secret behind.
  let cancelledChanges = await ctx.engine.abandonPending(await ctx.records.queryIntents(keyId));
  let records = await ctx.records.loadRecords(keyId);
  if (records.length === 0 && cancelledChanges === 0) throw ctx.records.unknownKey(keyId);
  const now = ctx.now();
  let revokedSecrets = await revokeActive(ctx, records, now);
  if (ctx.revokeRecheckMs > 0) await ctx.sleep(ctx.revokeRecheckMs);
  cancelledChanges += await ctx.engine.abandonPending(await ctx.records.queryIntents(keyId));
  const again = await ctx.records.loadRecords(keyId);
  if (again.length > 0) records = again;
  revokedSecrets += await revokeActive(ctx, records, now);
  const alreadyRevoked = revokedSecrets === 0 && cancelledChanges === 0;
  const revokedAt = alreadyRevoked ? maxOf(records.map((r) => r.record.revokedAt)) : now;

  const cacheFlush = await usageKeys.flushAuthorizerCache();
  const usageRef = usageKeyOf(records.map((r) => r.record));
  let usageKey: RevokeResult['usageKey'] = 'none';
  if (usageRef !== undefined) {
    try {
      usageKey = await usageKeys.disable(usageRef);
    } catch (error) {
      const cause = error instanceof Error ? error.message : String(error);
      throw new AwsOperationError(
        'incomplete',
        `key ${keyId} is revoked in the key table, but its hidden usage key could not be disabled (${cause}); run "revoke ${keyId}" again to finish`,
        { cause: error },
      );
    }
  }
  let lateCacheFlush: FlushOutcome | undefined;
  const wait = options.waitForKeyCacheSeconds ?? 0;
  if (wait > 0 && cacheFlush.flushed) {
    await ctx.sleep(wait * 1000);
    lateCacheFlush = await usageKeys.flushAuthorizerCache();
  }
  return { keyId, alreadyRevoked, revokedSecrets, cancelledChanges, revokedAt, usageKey, cacheFlush, lateCacheFlush };
}

/** Revokes each active record; one revoked (or purged) meanwhile by someone else has reached the goal. */
async function revokeActive(ctx: CommandContext, records: readonly StoredRecord[], now: number): Promise<number> {
  let revoked = 0;
  for (const { pk, record } of records) {
    if (record.status !== 'active') continue;
    if (await ctx.records.updateIf('UpdateItem (revoke)', pk, revokeSecret(now))) revoked++;
  }
  return revoked;
}
