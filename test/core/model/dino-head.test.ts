import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../core/engine/backend.ts';
import { DinoHead, dinoHeadConfig } from '../../../core/model/dino-head.ts';
import { hasShared, skipWithoutShared } from '../../shared-fixtures.ts';
import {
  maxAbsDifference,
  prefetch,
  read,
  referenceFixture,
  tensorNamed,
  withPrefix,
} from './reference-fixtures.ts';

describe.skipIf(!hasShared)(`DINO head against the reference ${skipWithoutShared}`, () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('matches DINOHead(48 → 64, hidden 32, bottleneck 16) with its weight-normed last layer', async () => {
    const fixture = referenceFixture('dino_head');
    const m = fixture.metadata;
    const config = dinoHeadConfig(Number(m.in_dim), Number(m.out_dim), {
      nlayers: Number(m.nlayers),
      hiddenDim: Number(m.hidden_dim),
      bottleneckDim: Number(m.bottleneck_dim),
      normLastLayer: m.norm_last_layer === 'True',
    });
    const head = new DinoHead(config, withPrefix(fixture.tensors, 'weights.'));
    const input = tensorNamed(fixture, 'input.x');
    const x = tf.tensor2d(input.data, input.shape as [number, number]);
    const before = tf.memory().numTensors;
    const y = head.forward(x);
    expect(y.shape).toEqual(tensorNamed(fixture, 'output.y').shape);
    expect(maxAbsDifference(await read(y), tensorNamed(fixture, 'output.y').data)).toBeLessThan(1e-5);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    head.dispose();
  });
});

describe('DINO head initialisation', () => {
  it('is the reference’s: trunc-normal 0.02 dense weights, zero biases, g = 1, v ~ U(±1/√in)', async () => {
    await initBackend();
    const head = new DinoHead(dinoHeadConfig(64, 512, { hiddenDim: 256, bottleneckDim: 128 }));
    await prefetch(head.parameters.variables.values());
    const w = head.getWeights();
    const std = (a: Float32Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);
    for (const name of ['mlp.0.weight', 'mlp.2.weight', 'mlp.4.weight']) {
      expect(std(w.get(name)?.data ?? new Float32Array(1))).toBeCloseTo(0.02, 3);
    }
    for (const name of ['mlp.0.bias', 'mlp.2.bias', 'mlp.4.bias'])
      expect(w.get(name)?.data.every((v) => v === 0)).toBe(true);
    expect(w.get('last_layer.weight_g')?.data.every((v) => v === 1)).toBe(true);
    const v = w.get('last_layer.weight_v')?.data ?? new Float32Array(1);
    const bound = 1 / Math.sqrt(128);
    expect(v.reduce((a, b) => Math.max(a, b), 0)).toBeLessThanOrEqual(bound);
    expect(v.reduce((a, b) => Math.max(a, b), 0)).toBeGreaterThan(0.95 * bound);
    expect(v.reduce((a, b) => Math.min(a, b), 0)).toBeGreaterThanOrEqual(-bound);
    expect(v.reduce((a, b) => Math.min(a, b), 0)).toBeLessThan(-0.95 * bound);
    // Uniform on ±b has std b/√3.
    expect(std(v)).toBeCloseTo(bound / Math.sqrt(3), 3);
    expect(head.parameters.trainableNames()).not.toContain('last_layer.weight_g');
    head.dispose();
  });
});
