import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../cli/keys/duration';
import { InputError } from '../../cli/keys/errors';

describe('Function: parseDuration', () => {
  it.each([
    ['90s', 90],
    ['15m', 900],
    ['1h', 3600],
    ['30d', 2_592_000],
    [' 2h ', 7200],
  ])('reads %j as %i seconds', (text, seconds) => {
    expect(parseDuration('--grace', text)).toBe(seconds);
  });

  it.each(['', '1', 'h', '1.5h', '-1h', '1w', '1 h', '1h30m', '30D', '0x10s', '1e3s'])('refuses %j, naming the flag and the accepted form', (text) => {
    expect(() => parseDuration('--expires-in', text)).toThrow(InputError);
    expect(() => parseDuration('--expires-in', text)).toThrow(/^--expires-in: .* is not a duration: write a whole number and a unit, e\.g\. 90s, 15m, 1h, 30d$/);
  });

  it('enforces the bounds it is given, and by default refuses 0 and more than ten years', () => {
    expect(() => parseDuration('--expires-in', '0s')).toThrow('--expires-in: 0s is out of range: must be between 1s and 3650d');
    expect(() => parseDuration('--expires-in', '3651d')).toThrow(/out of range/);
    expect(parseDuration('--grace', '0s', { minSeconds: 0, maxSeconds: 30 * 86_400 })).toBe(0);
    expect(() => parseDuration('--grace', '31d', { minSeconds: 0, maxSeconds: 30 * 86_400 })).toThrow('--grace: 31d is out of range: must be between 0s and 30d');
  });
});

describe('Function: formatDuration', () => {
  it('writes the largest exact unit', () => {
    expect([formatDuration(0), formatDuration(90), formatDuration(900), formatDuration(7200), formatDuration(86_400 * 30)]).toEqual([
      '0s',
      '90s',
      '15m',
      '2h',
      '30d',
    ]);
  });
});
