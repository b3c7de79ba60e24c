import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../core/engine/backend.ts';
import { blockDropRate, dropPathMasks, VisionTransformer } from '../../../core/model/vision-transformer.ts';
import { lcg, TINY_VIT } from '../training/tiny-dino.ts';
import { maxAbsDifference, take } from './reference-fixtures.ts';

describe('drop-path (stochastic depth)', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('rates rise linearly over the blocks from 0 to the rate, as torch.linspace(0, rate, depth)', () => {
    const rates = Array.from({ length: 12 }, (_, i) => blockDropRate(0.1, i, 12));
    expect(rates[0]).toBe(0);
    expect(rates[11]).toBeCloseTo(0.1, 15);
    expect(rates[5]).toBeCloseTo(0.1 * (5 / 11), 15);
    expect(blockDropRate(0.1, 0, 1)).toBe(0);
  });

  it('drops a fraction `rate` of the images per branch and rescales the rest by 1/keep', () => {
    const rate = 0.3;
    const images = 20000;
    const masks = dropPathMasks(rate, images, lcg(7));
    expect(masks).not.toBeNull();
    for (const mask of [masks?.attention, masks?.mlp]) {
      const values = take(mask as tf.Tensor);
      const dropped = values.filter((v) => v === 0).length / images;
      // Binomial: 3 standard deviations of the fraction.
      expect(Math.abs(dropped - rate)).toBeLessThan(3 * Math.sqrt((rate * (1 - rate)) / images));
      expect(values.every((v) => v === 0 || Math.abs(v - 1 / (1 - rate)) < 1e-6)).toBe(true);
      const mean = values.reduce((a, b) => a + b, 0) / images;
      expect(Math.abs(mean - 1)).toBeLessThan(0.03);
    }
    expect(dropPathMasks(0, 10, lcg(1))).toBeNull();
  });

  it('gives each image one of the four outcomes of a depth-2 model, each about a quarter of the time', () => {
    const model = new VisionTransformer(TINY_VIT, undefined, { random: lcg(3) });
    const copies = 400;
    const image = tf.randomNormal([1, 16, 16, 3]);
    const images = tf.tile(image, [copies, 1, 1, 1]) as tf.Tensor4D;
    const reference = take(model.forward(images));
    // Off, the training forward is the inference forward.
    expect(maxAbsDifference(take(model.forwardForTraining(images)), reference)).toBeLessThan(1e-5);
    // Block 0 has rate 0 and block 1 rate 0.5: its two branches are each dropped or doubled, so the
    // same image comes out in one of 4 ways, each with probability 1/4.
    const out = take(model.forwardForTraining(images, { dropPath: { rate: 0.5, random: lcg(11) } }));
    const outcomes = new Map<string, number>();
    for (let i = 0; i < copies; i++) {
      const key = Array.from(out.subarray(i * 16, i * 16 + 4), (v) => v.toFixed(3)).join(',');
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    }
    expect(outcomes.size).toBe(4);
    const sd = Math.sqrt(copies * 0.25 * 0.75);
    for (const count of outcomes.values()) expect(Math.abs(count - copies / 4)).toBeLessThan(4 * sd);
    tf.dispose([image, images]);
    model.dispose();
  });
});
