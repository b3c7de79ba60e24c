import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../core/engine/backend.ts';
import { smallProducts, smallProductsKernel } from '../../../core/model/small-products.ts';
import { maxAbsDifference, take } from './reference-fixtures.ts';

describe('small batched products', () => {
  beforeAll(async () => {
    await initBackend({ prefer: 'wasm' });
  });
  afterAll(() => {
    smallProductsKernel.enabled = true;
  });

  // n = 37 and 22 run the 16-, 4- and 1-column paths of the kernel; 64 only the widest; 3 only the last.
  const sizes: [number, number, number][] = [
    [37, 64, 37],
    [37, 37, 64],
    [10, 13, 22],
    [5, 7, 3],
  ];
  for (const [m, k, n] of sizes) {
    for (const [transposeA, transposeB] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ]) {
      it(`[${m}, ${k}]·[${k}, ${n}]${transposeA ? ', a transposed' : ''}${transposeB ? ', b transposed' : ''}: tf.matMul's product and gradients`, () => {
        const a = tf.randomNormal(transposeA ? [3, k, m] : [3, m, k], 0, 1, 'float32', m) as tf.Tensor3D;
        const b = tf.randomNormal(transposeB ? [3, n, k] : [3, k, n], 0, 1, 'float32', n) as tf.Tensor3D;
        const dy = tf.randomNormal([3, m, n], 0, 1, 'float32', k) as tf.Tensor3D;
        const run = (kernel: boolean) => {
          smallProductsKernel.enabled = kernel;
          const [da, db] = tf.grads((x: tf.Tensor, y: tf.Tensor) =>
            smallProducts(x as tf.Tensor3D, y as tf.Tensor3D, transposeA, transposeB),
          )([a, b], dy);
          return [take(smallProducts(a, b, transposeA, transposeB)), take(da), take(db)];
        };
        const stock = run(false);
        const before = tf.memory().numTensors;
        const kernel = run(true);
        expect(tf.memory().numTensors).toBe(before);
        // float32 sums in other orders (tfjs blocks k in some forms): rounding, relative to the largest value.
        kernel.forEach((values, i) => {
          const largest = stock[i].reduce((most, v) => Math.max(most, Math.abs(v)), 0);
          expect(maxAbsDifference(values, stock[i]) / largest, `output ${i}`).toBeLessThan(4e-6);
        });
        tf.dispose([a, b, dy]);
      });
    }
  }
});
