import { describe, expect, it } from 'vitest';
import { ClockCache } from '../../lambda/clock-cache';

describe('ClockCache', () => {
  it('returns a value until its TTL passes', () => {
    const cache = new ClockCache<string, number>(10);
    cache.set('a', 1, 1000, 0);
    expect(cache.get('a', 999)).toBe(1);
    expect(cache.get('a', 1000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('never holds more than maxEntries, evicting the least recently used', () => {
    const cache = new ClockCache<number, number>(3);
    for (let i = 0; i < 3; i++) cache.set(i, i, 1000, 0);
    cache.get(0, 1); // 0 becomes most recent
    cache.set(3, 3, 1000, 1);
    expect(cache.size).toBe(3);
    expect(cache.get(1, 2)).toBeUndefined();
    expect(cache.get(0, 2)).toBe(0);
    for (let i = 10; i < 10_000; i++) cache.set(i, i, 1000, 2);
    expect(cache.size).toBe(3);
  });

  it('still evicts (and stays bounded) when every entry has been used', () => {
    const cache = new ClockCache<number, number>(100);
    for (let i = 0; i < 100; i++) cache.set(i, i, 1000, 0);
    for (let i = 0; i < 100; i++) cache.get(i, 1);
    cache.set(100, 100, 1000, 1);
    expect(cache.size).toBe(100);
    expect(cache.get(100, 2)).toBe(100);
  });

  it('evicts an idle entry before a busy one, whatever their age', () => {
    const cache = new ClockCache<string, number>(2);
    cache.set('busy', 1, 1000, 0);
    cache.set('idle', 2, 1000, 0);
    cache.get('busy', 1);
    cache.set('new', 3, 1000, 2);
    expect(cache.get('busy', 3)).toBe(1);
    expect(cache.get('idle', 3)).toBeUndefined();
  });

  it('resumes the eviction walk where it stopped, sparing entries used since it passed', () => {
    const cache = new ClockCache<string, number>(3);
    for (const key of ['a', 'b', 'c']) cache.set(key, 0, 1000, 0);
    cache.set('d', 0, 1000, 0); // evicts a, the oldest idle entry
    cache.get('b', 1);
    cache.set('e', 0, 1000, 1); // the walk resumes at b (used: spared), then evicts c
    expect(cache.get('a', 2)).toBeUndefined();
    expect(cache.get('c', 2)).toBeUndefined();
    expect(cache.get('b', 2)).toBe(0);
    expect(cache.get('d', 2)).toBe(0);
    expect(cache.get('e', 2)).toBe(0);
  });

  it('evicts expired entries before live ones even when they were used', () => {
    const cache = new ClockCache<string, number>(2);
    cache.set('short', 1, 10, 0);
    cache.set('long', 2, 1000, 0);
    cache.get('short', 5);
    cache.get('long', 5);
    cache.set('new', 3, 1000, 20); // short expired at 10: it goes, long (used) stays
    expect(cache.get('long', 21)).toBe(2);
    expect(cache.get('new', 21)).toBe(3);
  });

  it('does not store entries with a TTL of zero', () => {
    const cache = new ClockCache<string, number>(3);
    cache.set('a', 1, 0, 0);
    expect(cache.get('a', 0)).toBeUndefined();
  });
});
