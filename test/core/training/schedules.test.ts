import { describe, expect, it } from 'vitest';
import { cosineScheduler } from '../../../core/training/schedules.ts';
import { hasShared, skipWithoutShared } from '../../shared-fixtures.ts';
import { referenceFixture, tensorNamed } from '../model/reference-fixtures.ts';

describe.skipIf(!hasShared)(`cosine schedules against the reference ${skipWithoutShared}`, () => {
  // schedules.safetensors: 10 epochs x 7 iterations, stored as float32.
  const cases = {
    lr: () => cosineScheduler((0.0005 * 64) / 256, 1e-6, 10, 7, 2),
    wd: () => cosineScheduler(0.04, 0.4, 10, 7),
    momentum: () => cosineScheduler(0.996, 1, 10, 7),
  };
  for (const [name, make] of Object.entries(cases)) {
    it(`gives all 70 ${name} values`, () => {
      const expected = tensorNamed(referenceFixture('schedules'), name).data;
      const ours = make();
      expect(ours.length).toBe(70);
      // Ours are float64 as NumPy's; the fixture rounded them to float32.
      expect(Array.from(ours, Math.fround)).toEqual(Array.from(expected));
    });
  }
});

describe('cosine scheduler', () => {
  it('warms up linearly from the start value and ends at the final value', () => {
    const s = cosineScheduler(1, 0, 4, 5, 1, 0.5);
    expect(s[0]).toBe(0.5);
    expect(s[4]).toBe(1);
    expect(s[5]).toBe(1);
    expect(s[19]).toBeCloseTo(0.5 * (1 + Math.cos((Math.PI * 14) / 15)), 15);
  });
  it('refuses a warm-up longer than the run', () => {
    expect(() => cosineScheduler(1, 0, 2, 5, 3)).toThrow(/longer/);
  });
});
