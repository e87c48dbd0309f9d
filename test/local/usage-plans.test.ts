import { describe, expect, it } from 'vitest';
import { quotaPeriodStart, UsagePlanMeter } from '../../local/usage-plans';
import { USAGE_TIERS } from '../../infra/usage-tiers';

describe('Class: UsagePlanMeter', () => {
  it('admits a burst of burstLimit requests, then throttles until the bucket refills at rateLimit per second', () => {
    let now = Date.UTC(2026, 0, 7, 12);
    const meter = new UsagePlanMeter(USAGE_TIERS, () => now);
    const { burstLimit, rateLimit } = USAGE_TIERS.free;
    for (let i = 0; i < burstLimit; i++) expect(meter.admit('k', 'free')).toBe('admitted');
    expect(meter.admit('k', 'free')).toBe('throttled');
    now += 1000 / rateLimit; // one token
    expect(meter.admit('k', 'free')).toBe('admitted');
    expect(meter.admit('k', 'free')).toBe('throttled');
    now += 60_000; // refill is capped at the burst
    for (let i = 0; i < burstLimit; i++) expect(meter.admit('k', 'free')).toBe('admitted');
    expect(meter.admit('k', 'free')).toBe('throttled');
  });

  it('keeps one bucket per usage key', () => {
    const meter = new UsagePlanMeter({ tiny: { rateLimit: 1, burstLimit: 1, quota: { limit: 100, period: 'DAY' }, description: '' } }, () => 0);
    expect(meter.admit('a', 'tiny')).toBe('admitted');
    expect(meter.admit('a', 'tiny')).toBe('throttled');
    expect(meter.admit('b', 'tiny')).toBe('admitted');
  });

  it('answers quota-exceeded once the period quota is used, and resets at the next period; throttled requests use no quota', () => {
    let now = Date.UTC(2026, 0, 7, 23, 59);
    const meter = new UsagePlanMeter({ q: { rateLimit: 1, burstLimit: 2, quota: { limit: 3, period: 'DAY' }, description: '' } }, () => now);
    expect(meter.admit('k', 'q')).toBe('admitted');
    expect(meter.admit('k', 'q')).toBe('admitted');
    expect(meter.admit('k', 'q')).toBe('throttled');
    expect(meter.used('k', 'q')).toBe(2);
    now += 1000;
    expect(meter.admit('k', 'q')).toBe('admitted');
    now += 5000;
    expect(meter.admit('k', 'q')).toBe('quota-exceeded');
    now = Date.UTC(2026, 0, 8, 0, 0, 1);
    expect(meter.admit('k', 'q')).toBe('admitted');
  });

  it('starts quota periods at UTC midnight, on Sunday for weeks, on the 1st for months', () => {
    const wednesday = Date.UTC(2026, 0, 7, 15, 30);
    expect(quotaPeriodStart('DAY', wednesday)).toBe(Date.UTC(2026, 0, 7));
    expect(quotaPeriodStart('WEEK', wednesday)).toBe(Date.UTC(2026, 0, 4));
    expect(new Date(Date.UTC(2026, 0, 4)).getUTCDay()).toBe(0);
    expect(quotaPeriodStart('MONTH', wednesday)).toBe(Date.UTC(2026, 0, 1));
  });
});
