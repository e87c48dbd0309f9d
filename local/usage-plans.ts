/**
 * Usage-plan metering as API Gateway applies it per API key: a token bucket (refilled at `rateLimit` per second,
 * holding at most `burstLimit`) answers 429 "Too Many Requests" when empty, and a request count per quota period
 * (UTC day; week from Sunday, API Gateway's offset 0; calendar month) answers 429 "Limit Exceeded" once the limit is
 * reached. Only admitted requests use quota. State is in memory: a restart refills buckets and resets quotas.
 */
import type { QuotaPeriod, UsageTier } from '../infra/usage-tiers';

export type MeterVerdict = 'admitted' | 'throttled' | 'quota-exceeded';

interface KeyState {
  tokens: number;
  refilledAtMs: number;
  periodStartMs: number;
  used: number;
}

/** Start (epoch ms, UTC) of the quota period containing `nowMs`. */
export function quotaPeriodStart(period: QuotaPeriod, nowMs: number): number {
  const d = new Date(nowMs);
  const day = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  switch (period) {
    case 'DAY':
      return day;
    case 'WEEK':
      return day - d.getUTCDay() * 86_400_000;
    case 'MONTH':
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  }
}

export class UsagePlanMeter {
  private readonly state = new Map<string, KeyState>();

  constructor(
    private readonly tiers: Readonly<Record<string, UsageTier>>,
    private readonly nowMs: () => number = Date.now,
  ) {}

  hasPlan(plan: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.tiers, plan);
  }

  /** Meters one request of `usageKey` under `plan` (which must exist). */
  admit(usageKey: string, plan: string): MeterVerdict {
    const tier = this.tiers[plan];
    if (!tier) throw new Error(`Unknown usage plan ${plan}`);
    const now = this.nowMs();
    const stateKey = `${plan}\u0000${usageKey}`;
    let state = this.state.get(stateKey);
    if (!state) {
      state = { tokens: tier.burstLimit, refilledAtMs: now, periodStartMs: quotaPeriodStart(tier.quota.period, now), used: 0 };
      this.state.set(stateKey, state);
    }
    const periodStart = quotaPeriodStart(tier.quota.period, now);
    if (periodStart !== state.periodStartMs) {
      state.periodStartMs = periodStart;
      state.used = 0;
    }
    if (state.used >= tier.quota.limit) return 'quota-exceeded';

    const elapsedSeconds = Math.max(0, now - state.refilledAtMs) / 1000;
    state.tokens = Math.min(tier.burstLimit, state.tokens + elapsedSeconds * tier.rateLimit);
    state.refilledAtMs = now;
    if (state.tokens < 1) return 'throttled';
    state.tokens -= 1;
    state.used += 1;
    return 'admitted';
  }

  /** Requests used in the current quota period (for tests and diagnostics). */
  used(usageKey: string, plan: string): number {
    return this.state.get(`${plan}\u0000${usageKey}`)?.used ?? 0;
  }
}
