import { describe, expect, it } from 'vitest';
import { LruCache } from '../../lambda/lru-cache';

describe('LruCache', () => {
  it('returns a value until its TTL passes', () => {
    const cache = new LruCache<string, number>(10);
    cache.set('a', 1, 1000, 0);
    expect(cache.get('a', 999)).toBe(1);
    expect(cache.get('a', 1000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('never holds more than maxEntries, evicting the least recently used', () => {
    const cache = new LruCache<number, number>(3);
    for (let i = 0; i < 3; i++) cache.set(i, i, 1000, 0);
    cache.get(0, 1); // 0 becomes most recent
    cache.set(3, 3, 1000, 1);
    expect(cache.size).toBe(3);
    expect(cache.get(1, 2)).toBeUndefined();
    expect(cache.get(0, 2)).toBe(0);
    for (let i = 10; i < 10_000; i++) cache.set(i, i, 1000, 2);
    expect(cache.size).toBe(3);
  });

  it('does not store entries with a TTL of zero', () => {
    const cache = new LruCache<string, number>(3);
    cache.set('a', 1, 0, 0);
    expect(cache.get('a', 0)).toBeUndefined();
  });
});
