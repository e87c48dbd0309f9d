/** `rotate`: a new secret for the same key, crash-safely (intents.ts). */
import { generateApiKey, hashApiKey } from '../../../lambda/api-key-format';
import { apiKeyItem, apiKeyPartitionKey, type ApiKeyRecord } from '../../../lambda/key-table-schema';
import { supersedeSecret } from '../conditional-updates';
import { AwsOperationError, InputError } from '../errors';
import { pendingAttributes, PENDING_STATUS, type Intent } from '../intents';
import { DEFAULT_GRACE_SECONDS, MAX_GRACE_SECONDS, type RotatedKey, type RotateOptions } from '../key-model';
import type { FlushOutcome } from '../usage-keys';
import { pickCurrent, stateOf, summarize } from '../summaries';
import { validateKeyId } from '../validation';
import type { CommandContext } from './context';

/**
 * Issues a new secret for the key: same key id, owner, name, scopes, plan, expiry and usage identifier (so usage
 * plan counters carry on). The previous secret keeps working for `graceSeconds`, then is refused.
 *
 * Steps (crash safety: see intents.ts): the new record, `pending` (the intent, naming the previous secret and its
 * expiry); `deliver` (the CLI prints the secret); the previous secret superseded (its expiry cut to the grace
 * end, on condition that it is still active and not superseded); the commit (the new record made `active`,
 * on condition that it is still pending: a revoke meanwhile abandons it). A failure or a crash before the commit
 * is undone: the previous secret is restored and stays the only current one.
 *
 * Then the stage's authorizer cache is flushed, as revoke does, and with `waitForKeyCacheSeconds` flushed again
 * once the grace has ended and every authorizer's key cache has expired (see {@link finishWithFlushes}).
 */
export async function rotateKey(
  ctx: CommandContext,
  keyId: string,
  graceSeconds: number = DEFAULT_GRACE_SECONDS,
  deliver?: (rotated: RotatedKey) => void | Promise<void>,
  options: RotateOptions = {},
): Promise<RotatedKey> {
  validateKeyId(keyId);
  if (!(Number.isInteger(graceSeconds) && graceSeconds >= 0 && graceSeconds <= MAX_GRACE_SECONDS)) {
    throw new InputError('invalid_duration', `--grace must be between 0s and 30d`);
  }
  const records = await ctx.records.requireRecords(keyId);
  const now = ctx.now();
  const current = pickCurrent(records);
  const state = current === undefined ? 'revoked' : stateOf(current.record, now);
  if (current === undefined || state === 'revoked' || state === 'expired') {
    throw new InputError('key_not_usable', `key ${keyId} is ${state === 'revoked' ? 'revoked' : 'expired'}: it cannot be rotated; create a new key`);
  }
  const old = current.record;
  const key = generateApiKey(ctx.keyPrefix);
  const keyHash = hashApiKey(key);
  const pk = apiKeyPartitionKey(keyHash);
  const next: ApiKeyRecord = {
    keyId: old.keyId,
    owner: old.owner,
    name: old.name,
    scopes: old.scopes,
    plan: old.plan,
    status: 'active',
    createdAt: now,
    notBefore: old.notBefore,
    expiresAt: old.expiresAt,
    usageIdentifierKey: old.usageIdentifierKey,
    usageKeyId: old.usageKeyId,
  };
  const intent: Intent = {
    operation: 'rotate',
    pk,
    subject: keyId,
    status: PENDING_STATUS,
    startedAt: now,
    holder: ctx.holder,
    plan: old.plan,
    owner: old.owner,
    supersedes: current.pk,
    supersedesExpiresAt: old.expiresAt,
  };
  await ctx.engine.write(
    {
      ...apiKeyItem(keyHash, next),
      ...pendingAttributes({ operation: 'rotate', keyId, holder: ctx.holder, supersedes: current.pk, supersedesExpiresAt: old.expiresAt }),
    },
    intent,
    'PutItem (new secret, pending)',
  );
  await ctx.engine.at('rotate:intent-written');

  const graceEnd = now + graceSeconds;
  const validUntil = old.expiresAt === undefined ? graceEnd : Math.min(old.expiresAt, graceEnd);
  const projected = [
    ...records.map((r) => (r.pk === current.pk ? { ...r, rotatedAt: now, record: { ...r.record, expiresAt: validUntil } } : r)),
    { pk, record: next },
  ];
  const rotated: RotatedKey = { key, keyId, previousValidUntil: validUntil, summary: summarize(projected, now) };
  const delivered = await ctx.engine.deliver(intent, rotated, deliver, 'rotate:secret-shown');

  let superseded: boolean;
  try {
    superseded = await ctx.records.updateIf('UpdateItem (supersede previous secret)', current.pk, supersedeSecret(now, validUntil, pk, old.expiresAt));
  } catch (error) {
    throw await ctx.engine.abort(intent, error, delivered);
  }
  if (!superseded) {
    throw await ctx.engine.abort(
      intent,
      new AwsOperationError(
        'concurrent_change',
        `key ${keyId} was rotated or revoked by someone else while rotating; nothing was changed: run "show ${keyId}" and try again`,
      ),
      delivered,
    );
  }
  await ctx.engine.at('rotate:previous-superseded');

  await ctx.engine.commit(intent, [], delivered);
  await ctx.engine.at('rotate:committed');
  const flushes = await finishWithFlushes(ctx, validUntil, options);
  if (delivered) return { ...rotated, ...flushes };
  const after = await ctx.records.loadRecords(keyId);
  return { ...rotated, ...flushes, summary: summarize(after.length > 0 ? after : projected, ctx.now()) };
}

/**
 * Why two flushes: the gateway caches an Allow for the old secret for its result cache TTL (G), and an authorizer
 * that read the old record before the rotation keeps it for its key cache TTL (K) without the new expiry. A flush
 * right after the commit empties the gateway's cache, but such an authorizer may answer Allow again, which the
 * gateway caches for G. Once the grace has ended and K has passed since the commit, no authorizer can allow the old
 * secret: a flush then is the last one needed, and the old secret is refused everywhere when rotate returns.
 */
async function finishWithFlushes(
  ctx: CommandContext,
  validUntil: number,
  options: RotateOptions,
): Promise<{ cacheFlush: FlushOutcome; lateCacheFlush?: FlushOutcome }> {
  const cacheFlush = await ctx.flushAuthorizerCache();
  if (options.waitForKeyCacheSeconds === undefined || !cacheFlush.flushed) return { cacheFlush };
  const seconds = Math.max(validUntil - ctx.now(), options.waitForKeyCacheSeconds);
  options.onWait?.(seconds);
  if (seconds > 0) await ctx.sleep(seconds * 1000);
  return { cacheFlush, lateCacheFlush: await ctx.flushAuthorizerCache() };
}
