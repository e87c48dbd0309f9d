/** What every key command works with: the table, the intent engine, the usage keys, the clock. */
import type { IntentEngine } from '../intent-engine';
import type { IntentHolder } from '../intents';
import type { KeyRecords } from '../key-records';
import type { FlushOutcome, UsageKeyProvider } from '../usage-keys';

export interface CommandContext {
  readonly records: KeyRecords;
  readonly engine: IntentEngine;
  /** This deployment's key prefix, e.g. `ptc_live_`. */
  readonly keyPrefix: string;
  /** Who this process is, recorded in its intents. */
  readonly holder: IntentHolder;
  readonly holderGone: (holder: IntentHolder) => boolean;
  /** Epoch seconds. */
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** See KeyManagerOptions.revokeRecheckMs. */
  readonly revokeRecheckMs: number;
  /** The target's usage keys; an InputError when the target has none. */
  readonly usageKeys: () => UsageKeyProvider;
  /** Flushes the stage's authorizer cache where the target can (not flushed when it has no usage keys). */
  readonly flushAuthorizerCache: () => Promise<FlushOutcome>;
}
