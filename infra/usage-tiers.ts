/**
 * Usage-plan tiers: the one typed place that defines them, read by the CDK stack (API Gateway usage plans), the key
 * CLI (`--plan`) and the local gateway (its throttle and quota). Pure data: no CDK import, so any part may use it.
 */
export type QuotaPeriod = 'DAY' | 'WEEK' | 'MONTH';

export interface UsageTier {
  /** Steady-state requests per second (token bucket refill). */
  readonly rateLimit: number;
  /** Bucket size: requests allowed in a burst. */
  readonly burstLimit: number;
  readonly quota: { readonly limit: number; readonly period: QuotaPeriod };
  readonly description: string;
}

export const USAGE_TIERS = {
  free: {
    rateLimit: 5,
    burstLimit: 10,
    quota: { limit: 1_000, period: 'DAY' },
    description: 'Free tier: 5 requests/s (burst 10), 1,000 requests a day',
  },
  pro: {
    rateLimit: 100,
    burstLimit: 200,
    quota: { limit: 1_000_000, period: 'MONTH' },
    description: 'Pro tier: 100 requests/s (burst 200), 1,000,000 requests a month',
  },
} as const satisfies Record<string, UsageTier>;

export type TierName = keyof typeof USAGE_TIERS;

export const TIER_NAMES = Object.keys(USAGE_TIERS) as TierName[];

export function isTierName(value: string): value is TierName {
  return Object.prototype.hasOwnProperty.call(USAGE_TIERS, value);
}
