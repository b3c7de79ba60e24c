import { describe, expect, it } from 'vitest';
import { inferno, massMask } from '../../renderer/map/attention-colors.ts';

describe('the 0.6-mass attention mask', () => {
  it('keeps the smallest set of patches that holds 60 % of the attention', () => {
    const weights = [0.05, 0.4, 0.1, 0.25, 0.2];
    const kept = massMask(weights, 0.6);
    // 0.4 + 0.25 = 0.65 ≥ 0.6: the two largest, nothing else.
    expect(kept).toEqual([false, true, false, true, false]);
    const mass = weights.reduce((sum, w, i) => sum + (kept[i] ? w : 0), 0);
    expect(mass).toBeGreaterThanOrEqual(0.6);
  });

  it('normalises weights that do not sum to one', () => {
    expect(massMask([2, 2, 2, 2, 2], 0.6).filter(Boolean)).toHaveLength(3);
  });

  it('keeps everything of a uniform map at mass 1 and nothing at mass 0', () => {
    expect(massMask([1, 1, 1, 1], 1).every(Boolean)).toBe(true);
    expect(massMask([1, 1, 1, 1], 0).some(Boolean)).toBe(false);
  });
});

describe('inferno colormap', () => {
  it('runs from near black to pale yellow and clamps outside [0, 1]', () => {
    expect(inferno(0)).toEqual([0, 0, 4]);
    expect(inferno(1)).toEqual([252, 255, 164]);
    expect(inferno(-3)).toEqual(inferno(0));
    expect(inferno(7)).toEqual(inferno(1));
    const brightness = (t: number) => inferno(t).reduce((a, b) => a + b, 0);
    for (let t = 0.1; t <= 1; t += 0.1) expect(brightness(t)).toBeGreaterThan(brightness(t - 0.1));
  });
});
