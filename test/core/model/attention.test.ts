import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../core/engine/backend.ts';
import {
  type AttentionCache,
  attentionBackward,
  attentionForward,
  disposeAttentionCache,
} from '../../../core/model/attention.ts';
import { smallProductsKernel } from '../../../core/model/small-products.ts';
import { maxAbsDifference, take } from './reference-fixtures.ts';

describe('attention products', () => {
  beforeAll(async () => {
    await initBackend();
  });
  afterAll(() => {
    smallProductsKernel.enabled = true;
  });

  it('on the SIMD kernel give the stock batched products’ output and gradient', () => {
    const s = { images: 3, tokens: 7, heads: 2, headDim: 4 };
    const x = tf.randomNormal([21, 8]) as tf.Tensor2D;
    const w = tf.randomNormal([8, 24], 0, 0.5) as tf.Tensor2D;
    const b = tf.randomNormal([24]) as tf.Tensor1D;
    const dOut = tf.randomNormal([21, 8]) as tf.Tensor2D;
    const run = (kernel: boolean) => {
      smallProductsKernel.enabled = kernel;
      let cache: AttentionCache | undefined;
      const out = take(attentionForward(x, w, b, s, (c) => (cache = c)));
      const dQkv = take(attentionBackward(cache as AttentionCache, dOut, s));
      disposeAttentionCache(cache as AttentionCache);
      return { out, dQkv };
    };
    const stock = run(false);
    const before = tf.memory().numTensors;
    const kernel = run(true);
    expect(tf.memory().numTensors).toBe(before);
    expect(maxAbsDifference(kernel.out, stock.out)).toBeLessThan(1e-5);
    expect(maxAbsDifference(kernel.dQkv, stock.dQkv)).toBeLessThan(1e-5);
    tf.dispose([x, w, b, dOut]);
  });
});
