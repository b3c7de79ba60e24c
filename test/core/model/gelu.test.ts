import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../core/engine/backend.ts';
import { type GeluCache, geluBackward, geluForward, geluKernel } from '../../../core/model/gelu.ts';
import { maxAbsDifference, take } from './reference-fixtures.ts';

function run(enabled: boolean, values: Float32Array) {
  geluKernel.enabled = enabled;
  const x = tf.tensor1d(values);
  let cache: GeluCache | undefined;
  const y = take(geluForward(x, (c) => (cache = c)));
  const dy = tf.onesLike(x);
  const dx = take(geluBackward(x, dy, cache));
  const c = cache as GeluCache;
  const out = { y, dx, cdf: take(c.cdf), pdf: take(c.pdf) };
  tf.dispose([x, dy]);
  return out;
}

describe('GELU', () => {
  beforeAll(async () => {
    await initBackend();
  });
  afterAll(() => {
    geluKernel.enabled = true;
  });

  it('x·Φ(x) with Φ, φ and the gradient as erf gives them, across the range', () => {
    const values = Float32Array.from({ length: 4001 }, (_, i) => (i - 2000) / 200);
    values[0] = -1e-30;
    values[1] = 1e-30;
    const withErf = run(false, values);
    const before = tf.memory().numTensors;
    const kernel = run(true, values);
    expect(tf.memory().numTensors).toBe(before);
    // Abramowitz–Stegun 7.1.26 is within 1.5e-7 of erf; Φ = (1 + erf)/2.
    expect(maxAbsDifference(kernel.cdf, withErf.cdf)).toBeLessThan(2e-7);
    expect(maxAbsDifference(kernel.pdf, withErf.pdf)).toBeLessThan(1e-7);
    expect(maxAbsDifference(kernel.y, withErf.y)).toBeLessThan(2e-6);
    expect(maxAbsDifference(kernel.dx, withErf.dx)).toBeLessThan(2e-6);
    // Spot values: GELU(1) = Φ(1) = 0.8413447, GELU(−1) = −0.1586553.
    expect(kernel.y[2200]).toBeCloseTo(0.8413447, 6);
    expect(kernel.y[1800]).toBeCloseTo(-0.1586553, 6);
  });
});
