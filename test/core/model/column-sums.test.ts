import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../core/engine/backend.ts';
import { columnSums, columnSumsKernel } from '../../../core/model/column-sums.ts';
import { maxAbsDifference, take } from './reference-fixtures.ts';

describe('column sums', () => {
  beforeAll(async () => {
    await initBackend({ prefer: 'wasm' });
  });
  afterAll(() => {
    columnSumsKernel.enabled = true;
  });

  // Whole vectors only, a 1–3 column tail, a single column, the MLP's width.
  for (const [rows, cols] of [
    [37, 64],
    [37, 7],
    [5, 1],
    [1184, 192],
  ]) {
    it(`of [${rows}, ${cols}]: each column's sum, and its gradient`, () => {
      const values = Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i) * 3);
      const x = tf.tensor2d(values, [rows, cols]);
      const expected = Array.from({ length: cols }, (_, j) => {
        let sum = 0;
        for (let i = 0; i < rows; i++) sum += values[i * cols + j];
        return sum;
      });
      const before = tf.memory().numTensors;
      const sums = take(columnSums(x));
      expect(tf.memory().numTensors).toBe(before);
      expect(maxAbsDifference(sums, expected)).toBeLessThan(1e-6 * rows * 3);
      const dy = tf.tensor1d(Float32Array.from({ length: cols }, (_, j) => j - 2));
      const dx = take(tf.grad((t: tf.Tensor) => tf.sum(tf.mul(columnSums(t as tf.Tensor2D), dy)))(x));
      expect(dx.slice(0, cols)).toEqual(Float32Array.from({ length: cols }, (_, j) => j - 2));
      expect(dx.slice(-cols)).toEqual(dx.slice(0, cols));
      tf.dispose([x, dy]);
    });
  }

  it('gives tf.sum’s result on the op path', () => {
    const x = tf.randomNormal([50, 30], 0, 1, 'float32', 3) as tf.Tensor2D;
    const kernel = take(columnSums(x));
    columnSumsKernel.enabled = false;
    const stock = take(columnSums(x));
    columnSumsKernel.enabled = true;
    expect(maxAbsDifference(kernel, stock)).toBeLessThan(1e-5);
    x.dispose();
  });
});
