import { describe, expect, it } from 'vitest';
import { formatDuration, formatNumber } from '../../renderer/format.ts';
import { href, parseRoute } from '../../renderer/router.ts';

describe('routes in the hash', () => {
  it('round-trips every view', () => {
    for (const route of [
      { view: 'library' },
      { view: 'training' },
      { view: 'map' },
      { view: 'photo', imageId: 42 },
      { view: 'duplicates' },
      { view: 'export' },
    ] as const) {
      expect(parseRoute(href(route))).toEqual(route);
    }
  });

  it('falls back to the library for anything unknown, and to no photo for a bad id', () => {
    expect(parseRoute('')).toEqual({ view: 'library' });
    expect(parseRoute('#/nowhere')).toEqual({ view: 'library' });
    expect(parseRoute('#/photo/abc')).toEqual({ view: 'photo', imageId: null });
  });
});

describe('numbers a person reads', () => {
  it('says durations in words', () => {
    expect(formatDuration(null)).toBe('—');
    expect(formatDuration(42)).toBe('42 s');
    expect(formatDuration(125)).toBe('2 min 05 s');
    expect(formatDuration(3 * 3600 + 7 * 60)).toBe('3 h 07 min');
  });

  it('keeps three significant digits', () => {
    expect(formatNumber(7.95612)).toBe('7.96');
    expect(formatNumber(0.0000312)).toBe('3.12e-5');
  });
});
