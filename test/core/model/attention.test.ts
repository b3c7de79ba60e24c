import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../core/engine/backend.ts';
import {
  type AttentionCache,
  attentionBackward,
  attentionForward,
  attentionProducts,
  disposeAttentionCache,
} from '../../../core/model/attention.ts';
import { maxAbsDifference, take } from './reference-fixtures.ts';

describe('attention products', () => {
  const threshold = attentionProducts.pairsFromTokens;
  beforeAll(async () => {
    await initBackend();
  });
  afterAll(() => {
    attentionProducts.pairsFromTokens = threshold;
  });

  it('per (head, image) 2-D products give the batched products’ output and gradient', () => {
    const s = { images: 3, tokens: 7, heads: 2, headDim: 4 };
    const x = tf.randomNormal([21, 8]) as tf.Tensor2D;
    const w = tf.randomNormal([8, 24], 0, 0.5) as tf.Tensor2D;
    const b = tf.randomNormal([24]) as tf.Tensor1D;
    const dOut = tf.randomNormal([21, 8]) as tf.Tensor2D;
    const run = (pairsFromTokens: number) => {
      attentionProducts.pairsFromTokens = pairsFromTokens;
      let cache: AttentionCache | undefined;
      const out = take(attentionForward(x, w, b, s, (c) => (cache = c)));
      const dQkv = take(attentionBackward(cache as AttentionCache, dOut, s));
      disposeAttentionCache(cache as AttentionCache);
      return { out, dQkv };
    };
    const batched = run(Number.POSITIVE_INFINITY);
    const before = tf.memory().numTensors;
    const pairs = run(0);
    expect(tf.memory().numTensors).toBe(before);
    expect(maxAbsDifference(pairs.out, batched.out)).toBeLessThan(1e-5);
    expect(maxAbsDifference(pairs.dQkv, batched.dQkv)).toBeLessThan(1e-5);
    tf.dispose([x, w, b, dOut]);
  });
});
