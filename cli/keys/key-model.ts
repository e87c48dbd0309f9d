/**
 * The key CLI's vocabulary: what commands take and return (summaries, results, options) and the constants they
 * share. Types only, plus a few constants: no I/O.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ClientBindingRecord } from '../../lambda/key-table-schema';
import type { TierName } from '../../infra/usage-tiers';
import type { Checkpoint, IntentHolder, IntentOperation } from './intents';
import type { FlushOutcome, UsageKeyProvider } from './usage-keys';

/** Attribute set on a record when a rotation supersedes it (the CLI's own marker; the authorizer ignores it). */
export const ROTATED_AT_ATTRIBUTE = 'rotatedAt';
/** A superseded record is purged (TTL) this long after its grace period ends. */
export const SUPERSEDED_RETENTION_SECONDS = 30 * 86_400;
export const DEFAULT_PLAN: TierName = 'free';
export const DEFAULT_GRACE_SECONDS = 3600;
export const MAX_GRACE_SECONDS = 30 * 86_400;

export type KeyState = 'active' | 'revoked' | 'expired' | 'not_yet_active';
export const KEY_STATES: readonly KeyState[] = ['active', 'revoked', 'expired', 'not_yet_active'];

/** One secret of a key (never its value or hash). */
export interface SecretSummary {
  readonly createdAt: number;
  readonly expiresAt?: number;
  readonly revokedAt?: number;
  readonly lastUsedAt?: number;
  readonly state: KeyState;
  /** The secret `rotate` would replace. */
  readonly current: boolean;
}

/** What `list` and `show` report about a key: metadata only, never a secret, hash or usage key value. */
export interface KeySummary {
  readonly keyId: string;
  readonly owner: string;
  readonly name?: string;
  readonly scopes: readonly string[];
  readonly plan?: string;
  readonly status: KeyState;
  /** When the key (its first secret) was created. */
  readonly createdAt: number;
  /** When the current secret was created, if the key was rotated. */
  readonly rotatedAt?: number;
  readonly expiresAt?: number;
  readonly revokedAt?: number;
  /** Latest use of any of its secrets, as recorded by the authorizer (at most every LAST_USED_INTERVAL). */
  readonly lastUsedAt?: number;
  /** The hidden API Gateway key's id (not its value). */
  readonly usageKeyId?: string;
  readonly secrets: readonly SecretSummary[];
  /** Unfinished rotations of this key (interrupted or running): their secrets cannot authenticate. */
  readonly incomplete?: readonly IncompleteChange[];
}

/** An unfinished create, rotate or clients bind, as `list` and `show` report it. */
export interface IncompleteChange {
  readonly operation: IntentOperation;
  /** The key id (create, rotate) or client id (bind). */
  readonly subject: string;
  readonly startedAt: number;
  /** True when the next write command will undo it (interrupted); false while it may still be running. */
  readonly stale: boolean;
}

export type RollbackOutcome = 'rolled_back' | 'committed' | 'gone';

export interface ReconcileEntry {
  readonly intent: IncompleteChange;
  readonly outcome: RollbackOutcome | 'failed';
  readonly reason?: string;
}

export interface ReconcileReport {
  /** Stale intents found, and what became of each. */
  readonly entries: readonly ReconcileEntry[];
  /** Intents that may still be running (left alone). */
  readonly inProgress: number;
}

export interface CreateKeyInput {
  readonly owner: string;
  readonly scopes: readonly string[];
  /** @default 'free' */
  readonly plan?: string;
  readonly name?: string;
  /** Seconds from now; none = never expires. */
  readonly expiresInSeconds?: number;
}

export interface IssuedKey {
  /** The secret: shown once, stored only as its hash. */
  readonly key: string;
  readonly keyId: string;
  readonly summary: KeySummary;
}

export interface RotatedKey extends IssuedKey {
  /** When the previous secret stops working. */
  readonly previousValidUntil: number;
  /** The flush of the stage's authorizer cache right after the commit (absent in what `deliver` receives). */
  readonly cacheFlush?: FlushOutcome;
  /** The second flush, once the grace and the authorizer's key cache have both run out (with `waitForKeyCacheSeconds`). */
  readonly lateCacheFlush?: FlushOutcome;
}

export interface RotateOptions {
  /**
   * Wait until the grace has ended and this long (the authorizer's KEY_CACHE_TTL) has passed since the commit, then
   * flush the stage's authorizer cache again: when rotate returns, the previous secret is refused everywhere.
   * @default undefined (no wait: one flush right after the commit)
   */
  readonly waitForKeyCacheSeconds?: number;
  /** Told how long the wait will be, before it starts (the CLI says so on stderr). */
  readonly onWait?: (seconds: number) => void;
}

export interface ListFilter {
  readonly owner?: string;
  readonly plan?: string;
  readonly status?: KeyState;
}

export interface ListResult {
  readonly keys: readonly KeySummary[];
  /** Records that could not be read (malformed); left out of `keys`. */
  readonly unreadable: number;
  /** Unfinished creates and rotations (pending records): never keys, they cannot authenticate. */
  readonly incomplete: readonly IncompleteChange[];
}

export interface RevokeResult {
  readonly keyId: string;
  /** True when every secret was already revoked: nothing was written to the key table. */
  readonly alreadyRevoked: boolean;
  /** Secrets this call revoked. */
  readonly revokedSecrets: number;
  /** Unfinished creates or rotations of the key this call stopped from ever completing. */
  readonly cancelledChanges: number;
  readonly revokedAt?: number;
  readonly usageKey: 'disabled' | 'not_found' | 'none';
  readonly cacheFlush: FlushOutcome;
  /** Present when a second flush was made after waiting out the authorizer's key cache. */
  readonly lateCacheFlush?: FlushOutcome;
}

export interface RevokeOptions {
  /**
   * Wait this long (the authorizer's KEY_CACHE_TTL) and flush the stage's authorizer cache again, so no result the
   * gateway cached from a stale in-function lookup survives. @default 0 (no second flush)
   */
  readonly waitForKeyCacheSeconds?: number;
}

export interface BindClientInput {
  readonly issuer: string;
  readonly clientId: string;
  readonly plan: string;
}

export interface BindClientResult {
  readonly binding: Omit<ClientBindingRecord, 'usageIdentifierKey'>;
  readonly outcome: 'created' | 'unchanged' | 'rebound';
  /** After a rebind: the hidden key of the previous plan, no longer used by this client. */
  readonly previous?: { readonly plan: string; readonly usageKeyId?: string };
}

export interface KeyManagerOptions {
  readonly dynamodb: DynamoDBClient;
  readonly tableName: string;
  /** This deployment's key prefix, e.g. `ptc_live_`. */
  readonly keyPrefix: string;
  /** Needed by create, revoke and clients bind. */
  readonly usageKeys?: UsageKeyProvider;
  /** Epoch seconds. @default the system clock */
  readonly nowSeconds?: () => number;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /**
   * Revoke reads the key's records a second time after this delay and revokes any it had not seen (a secret made by
   * a rotation moments before may not be visible in the byKeyId index yet). @default 0 (no second read)
   */
  readonly revokeRecheckMs?: number;
  /** Page size of list/show reads (tests use a small one to exercise pagination). @default DynamoDB's 1 MB pages */
  readonly pageSize?: number;
  /** The store, for messages ("the local store at http://127.0.0.1:8000"). */
  readonly where?: string;
  /** Called between the steps of multi-step commands: the test-only fault hook (intents.ts). @default none */
  readonly checkpoint?: Checkpoint;
  /** Who this process is, recorded in its intents. @default this host and pid */
  readonly holder?: IntentHolder;
  /** Whether an intent's holder is certainly gone. @default a process of this host that no longer exists */
  readonly holderIsGone?: (holder: IntentHolder) => boolean;
}
