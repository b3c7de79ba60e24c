import { describe, expect, it } from 'vitest';
import { Random } from '../../../core/training/random.ts';

describe('Random', () => {
  it('replays the same stream from the same seed and from a saved state', () => {
    const a = new Random(42);
    const b = new Random(42);
    const first = Array.from({ length: 5 }, () => a.nextUint32());
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(first);
    const saved = a.getState();
    const next = Array.from({ length: 5 }, () => a.random());
    const resumed = new Random(saved);
    expect(Array.from({ length: 5 }, () => resumed.random())).toEqual(next);
    expect(new Random(43).nextUint32()).not.toBe(first[0]);
  });

  it('draws uniform, integer, normal and permutations with the right statistics', () => {
    const random = new Random(7);
    const n = 20_000;
    let sum = 0;
    let sumSquares = 0;
    const counts = new Array(6).fill(0);
    for (let i = 0; i < n; i++) {
      const u = random.random();
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
      counts[random.integer(0, 6)]++;
      const z = random.normal();
      sum += z;
      sumSquares += z * z;
    }
    for (const count of counts) expect(Math.abs(count - n / 6)).toBeLessThan(5 * Math.sqrt(n / 6));
    expect(Math.abs(sum / n)).toBeLessThan(0.05);
    expect(Math.abs(sumSquares / n - 1)).toBeLessThan(0.05);
    const order = Array.from(random.permutation(100));
    expect([...order].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(order).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('refuses a state that is not four words or is all zero', () => {
    expect(() => new Random([0, 0, 0, 0])).toThrow(/Invalid random state/);
    expect(() => new Random([1, 2, 3] as unknown as [number, number, number, number])).toThrow(/Invalid/);
  });
});
