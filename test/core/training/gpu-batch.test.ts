import { describe, expect, it } from 'vitest';
import { DEFAULT_TRAINING_CONFIG, type TrainingConfig } from '../../../core/training/config.ts';
import { batchThatFits, largestTensorPerImage } from '../../../core/training/gpu-batch.ts';

const MIB = 2 ** 20;
const limits = (binding: number, buffer = 4096 * MIB) => ({
  maxStorageBufferBindingSize: binding,
  maxBufferSize: buffer,
  maxComputeWorkgroupStorageSize: 32768,
  maxComputeInvocationsPerWorkgroup: 256,
});
// The `gpu` preset: ViT-S/16, 2 × 224 + 8 × 96 px, out_dim 65536, batch 32.
const GPU_PRESET: TrainingConfig = {
  ...DEFAULT_TRAINING_CONFIG,
  arch: 'vit_small',
  patchSize: 16,
  globalCropSize: 224,
  localCropSize: 96,
  localCropsNumber: 8,
  outDim: 65536,
  batchSize: 32,
};

describe('the batch a WebGPU adapter can bind', () => {
  it('keeps the gpu preset’s 32 under the common 128 MiB binding limit: its largest tensor is the head’s logits', () => {
    const largest = largestTensorPerImage(GPU_PRESET);
    expect(largest.name).toBe('head logits of every view');
    expect(largest.bytes).toBe(4 * 10 * 65536);
    const fit = batchThatFits(GPU_PRESET, limits(128 * MIB));
    expect(fit.batch).toBe(32);
    expect(fit.limitBytes).toBe(128 * MIB);
  });

  it('lowers the batch to what the smaller of the two limits holds', () => {
    // 64 MiB / 2.5 MiB per image = 25.6.
    expect(batchThatFits(GPU_PRESET, limits(128 * MIB, 64 * MIB)).batch).toBe(25);
  });

  it('finds attention scores as the largest tensor at patch 8, and says when not one image fits', () => {
    const patch8 = { ...GPU_PRESET, patchSize: 8 as const };
    const n = 1 + (224 / 8) ** 2;
    const largest = largestTensorPerImage(patch8);
    expect(largest.name).toBe('attention scores of the 224-px views');
    expect(largest.bytes).toBe(4 * 2 * 6 * n * n);
    expect(batchThatFits(patch8, limits(128 * MIB)).batch).toBe(Math.floor((128 * MIB) / largest.bytes));
    expect(batchThatFits(patch8, limits(16 * MIB)).batch).toBe(0);
  });
});
