import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../core/engine/backend.ts';
import { linear, transpose2d } from '../../../core/model/linear.ts';
import { maxAbsDifference, take } from './reference-fixtures.ts';

describe('dense layer', () => {
  beforeAll(async () => {
    await initBackend();
  });

  for (const shape of [
    [96, 2048],
    [64, 256],
    [37, 48],
  ] as [number, number][]) {
    it(`transposes [${shape}] (tiled where rows alias in the cache)`, () => {
      const x = tf.randomNormal(shape) as tf.Tensor2D;
      const t = transpose2d(x);
      expect(t.shape).toEqual([shape[1], shape[0]]);
      const values = x.dataSync();
      const transposed = take(t);
      let mismatches = 0;
      for (let r = 0; r < shape[0]; r++)
        for (let c = 0; c < shape[1]; c++)
          if (transposed[c * shape[0] + r] !== values[r * shape[1] + c]) mismatches++;
      expect(mismatches).toBe(0);
      x.dispose();
    });
  }

  it('has the gradients autograd gives the plain matMul', () => {
    // Seeded, and weights at the scale of a ViT's (initialised with σ 0.02): with σ 1, dx's entries
    // reach ~90 and the two float32 summation orders over 512 terms differed by up to 1.1e-4.
    const x = tf.randomNormal([64, 256], 0, 1, 'float32', 1) as tf.Tensor2D;
    const w = tf.randomNormal([256, 512], 0, 0.05, 'float32', 2) as tf.Tensor2D;
    const b = tf.randomNormal([512], 0, 1, 'float32', 3) as tf.Tensor1D;
    const r = tf.randomNormal([64, 512], 0, 1, 'float32', 4);
    const loss = (f: typeof linear) => (xs: tf.Tensor, ws: tf.Tensor, bs: tf.Tensor) =>
      tf.sum(tf.mul(f(xs as tf.Tensor2D, ws as tf.Tensor2D, bs as tf.Tensor1D), r));
    const plain = (xs: tf.Tensor2D, ws: tf.Tensor2D, bs: tf.Tensor1D | null) =>
      tf.add(tf.matMul(xs, ws), bs ?? 0) as tf.Tensor2D;
    const ours = tf.grads(loss(linear))([x, w, b]);
    const reference = tf.grads(loss(plain))([x, w, b]);
    for (const [i, g] of ours.entries())
      expect(maxAbsDifference(take(g), take(reference[i]))).toBeLessThan(1e-4);
    tf.dispose([x, w, b, r]);
  });
});
