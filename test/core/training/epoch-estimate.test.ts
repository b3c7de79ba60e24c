import { describe, expect, it } from 'vitest';
import { describeEstimate, estimateEpoch, formatDuration } from '../../../core/training/epoch-estimate.ts';

describe('the speed estimate from the first steps', () => {
  it('leaves out the first (compiling) step and averages the next three', () => {
    expect(estimateEpoch([30, 2, 2], 32, 100, 1000)).toBeNull();
    const estimate = estimateEpoch([30, 1.5, 2, 2.5, 9], 32, 100, 1000);
    expect(estimate?.imagesPerSecond).toBeCloseTo(16, 10);
    expect(estimate?.epochSeconds).toBeCloseTo(200, 10);
    expect(estimate?.remainingSeconds).toBeCloseTo(2000, 10);
  });

  it('says it in units a person plans with', () => {
    expect(formatDuration(45)).toBe('45 s');
    expect(formatDuration(600)).toBe('10 min');
    expect(formatDuration(3.5 * 3600)).toBe('3.5 h');
    const line = describeEstimate({
      imagesPerSecond: 0.4,
      epochSeconds: 12_500,
      remainingSeconds: 1_250_000,
    });
    expect(line).toBe(
      'Speed on this machine: 0.4 images/s; an epoch takes about 3.5 h, the rest of the run about 347.2 h.',
    );
  });
});
