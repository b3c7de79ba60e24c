import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../core/engine/backend.ts';
import type { SafetensorsFile } from '../../../core/engine/safetensors.ts';
import { VisionTransformer } from '../../../core/model/vision-transformer.ts';
import type { VitConfig } from '../../../core/model/vit-config.ts';
import { hasShared, skipWithoutShared } from '../../shared-fixtures.ts';
import {
  maxAbsDifference,
  nchwToNhwc,
  prefetch,
  read,
  referenceFixture,
  tensorNamed,
  withPrefix,
} from './reference-fixtures.ts';

// vit_forward.safetensors: VisionTransformer(img_size=32, patch 8, dim 48, depth 3, 4 heads).
const FIXTURE_CONFIG: VitConfig = {
  patchSize: 8,
  embedDim: 48,
  depth: 3,
  numHeads: 4,
  mlpRatio: 4,
  imgSize: 32,
};
// float32 forward of a 3-block model; observed differences are ~1e-6.
const TOLERANCE = 1e-5;

describe.skipIf(!hasShared)(`ViT against the reference ${skipWithoutShared}`, () => {
  let fixture: SafetensorsFile;
  let model: VisionTransformer;
  beforeAll(async () => {
    await initBackend();
    fixture = referenceFixture('vit_forward');
    model = new VisionTransformer(FIXTURE_CONFIG, withPrefix(fixture.tensors, 'weights.'));
  });

  for (const size of ['x32', 'x16', 'x24x40']) {
    it(`matches the final-norm CLS embedding at ${size}`, async () => {
      const images = nchwToNhwc(tensorNamed(fixture, `input.${size}`));
      const cls = model.forward(images);
      const expected = tensorNamed(fixture, `output.cls.${size}`);
      expect(cls.shape).toEqual(expected.shape);
      expect(maxAbsDifference(await read(cls), expected.data)).toBeLessThan(TOLERANCE);
      images.dispose();
    });
  }

  for (const size of ['x32', 'x24x40']) {
    it(`matches the last self-attention at ${size}`, async () => {
      const images = nchwToNhwc(tensorNamed(fixture, `input.${size}`));
      const attention = model.lastSelfAttention(images);
      const expected = tensorNamed(fixture, `output.lastattn.${size}`);
      expect(attention.shape).toEqual(expected.shape);
      expect(maxAbsDifference(await read(attention), expected.data)).toBeLessThan(TOLERANCE);
      images.dispose();
    });
  }

  it('matches the last two blocks’ normalised tokens', async () => {
    const images = nchwToNhwc(tensorNamed(fixture, 'input.x32'));
    const layers = model.intermediateLayers(images, 2);
    for (const [i, layer] of layers.entries()) {
      const expected = tensorNamed(fixture, `output.intermediate2.x32.${i}`);
      expect(layer.shape).toEqual(expected.shape);
      expect(maxAbsDifference(await read(layer), expected.data)).toBeLessThan(TOLERANCE);
    }
    images.dispose();
  });

  it('round-trips its weights with the reference names and shapes', async () => {
    await prefetch(model.parameters.variables.values());
    const weights = model.getWeights();
    const reference = withPrefix(fixture.tensors, 'weights.');
    expect([...weights.keys()].sort()).toEqual([...reference.keys()].sort());
    for (const [name, tensor] of reference) {
      const exported = weights.get(name);
      expect(exported?.shape).toEqual(tensor.shape);
      expect(maxAbsDifference(exported?.data ?? [], tensor.data)).toBe(0);
    }
  });

  it('leaves no tensor behind', async () => {
    const images = nchwToNhwc(tensorNamed(fixture, 'input.x24x40'));
    model.forward(images).dispose();
    const before = tf.memory().numTensors;
    model.forward(images).dispose();
    model.lastSelfAttention(images).dispose();
    for (const t of model.intermediateLayers(images, 2)) t.dispose();
    expect(tf.memory().numTensors).toBe(before);
    images.dispose();
  });
});
