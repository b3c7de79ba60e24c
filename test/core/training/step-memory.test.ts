import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { dinoHeadConfig } from '../../../core/model/dino-head.ts';
import { DEFAULT_TRAINING_CONFIG, type TrainingConfig } from '../../../core/training/config.ts';
import { TRAINING_PRESETS } from '../../../core/training/presets.ts';
import {
  chooseMicroBatch,
  estimateStepMemory,
  memoryBudget,
  type StepShape,
  studentParameterCount,
} from '../../../core/training/step-memory.ts';
import { DinoTrainingState } from '../../../core/training/train-step.ts';
import { lcg } from './tiny-dino.ts';

/** Small steps whose peak the CPU backend measures in a second or two; they differ in what dominates. */
const CASES: (Omit<StepShape, 'vit' | 'activationMemoryBytes'> & {
  label: string;
  width: number;
  depth: number;
  activationMemoryBytes?: number;
})[] = [
  {
    label: 'out_dim dominates',
    width: 48,
    depth: 3,
    outDim: 4096,
    headHiddenDim: 64,
    headBottleneckDim: 32,
    globalCropSize: 32,
    localCropSize: 16,
    localCrops: 6,
    batch: 8,
    microBatch: 3,
  },
  {
    label: 'blocks dominate, all kept',
    width: 96,
    depth: 4,
    outDim: 64,
    headHiddenDim: 64,
    headBottleneckDim: 32,
    globalCropSize: 40,
    localCropSize: 16,
    localCrops: 2,
    batch: 6,
    microBatch: 0,
  },
  {
    label: 'blocks recomputed',
    width: 96,
    depth: 4,
    outDim: 64,
    headHiddenDim: 64,
    headBottleneckDim: 32,
    globalCropSize: 40,
    localCropSize: 16,
    localCrops: 2,
    batch: 6,
    microBatch: 0,
    activationMemoryBytes: 1,
  },
  {
    label: 'micro-batches of 4',
    width: 96,
    depth: 4,
    outDim: 2048,
    headHiddenDim: 128,
    headBottleneckDim: 32,
    globalCropSize: 40,
    localCropSize: 16,
    localCrops: 2,
    batch: 6,
    microBatch: 4,
  },
];
// The estimate counts live tensors' bytes as tfjs does; it is fitted on other shapes than these
// (see step-memory.ts), and must land within 15 % of the measured peak.
const TOLERANCE = 0.15;

const gpuPreset: TrainingConfig = { ...DEFAULT_TRAINING_CONFIG, ...TRAINING_PRESETS.gpu.settings };

describe('step memory estimate', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it.each(CASES)(
    'is within 15 % of the peak bytes tf.profile measures on the CPU backend: $label',
    async (c) => {
      const shape: StepShape = {
        ...c,
        vit: {
          patchSize: 8,
          embedDim: c.width,
          depth: c.depth,
          numHeads: 4,
          mlpRatio: 4,
          imgSize: c.globalCropSize,
        },
        activationMemoryBytes: c.activationMemoryBytes ?? 2.5e9,
      };
      const model = {
        vit: shape.vit,
        head: dinoHeadConfig(c.width, c.outDim, {
          hiddenDim: c.headHiddenDim,
          bottleneckDim: c.headBottleneckDim,
        }),
      };
      const state = DinoTrainingState.create(
        model,
        {
          dropPathRate: 0.1,
          microBatchSize: c.microBatch,
          activationMemoryBytes: shape.activationMemoryBytes,
        },
        { random: lcg(1) },
      );
      const random = lcg(2);
      const sizes = [
        c.globalCropSize,
        c.globalCropSize,
        ...Array<number>(c.localCrops).fill(c.localCropSize),
      ];
      const crops = sizes.map(
        (s) => tf.randomUniform([c.batch, s, s, 3], -1, 1, 'float32', 7) as tf.Tensor4D,
      );
      const schedule = { epoch: 1, lr: 1e-3, weightDecay: 0.04, teacherMomentum: 0.99, teacherTemp: 0.04 };
      // The first step creates AdamW's moments; the second is a step of a run under way.
      await state.stepAsync(crops, schedule, random);
      const trainable = state.trainableNames.reduce(
        (n, name) => n + (state.trainableShapes().get(name) as number[]).reduce((a, b) => a * b, 1),
        0,
      );
      const profile = await tf.profile(async () => {
        await state.stepAsync(crops, schedule, random);
      });
      const estimate = estimateStepMemory(shape).totalBytes;
      tf.dispose(crops);
      state.dispose();
      // The weight-normed last layer's g is fixed (normLastLayer), so it is not trainable.
      expect(studentParameterCount(shape)).toBe(trainable + c.outDim);
      console.log(
        `step memory, ${c.label}: estimate ${estimate} B, measured peak ${profile.peakBytes} B (ratio ${(estimate / profile.peakBytes).toFixed(3)})`,
      );
      expect(Math.abs(estimate / profile.peakBytes - 1)).toBeLessThan(TOLERANCE);
    },
  );

  it('fits the gpu preset at batch 32 into 8 GB with micro-batches, the batch unchanged', () => {
    const whole = estimateStepMemory({ ...shapeOf(gpuPreset), microBatch: 0 }).totalBytes;
    const choice = chooseMicroBatch(gpuPreset, memoryBudget('webgpu', {}));
    expect(gpuPreset.batchSize).toBe(32);
    expect(choice.wholeBytes).toBe(whole);
    expect(choice.wholeBytes).toBeGreaterThan(0.8 * 8e9);
    expect(choice.chosenBytes).toBeLessThanOrEqual(0.8 * 8e9);
    expect(choice.fits).toBe(true);
    expect(choice.parts).toBeGreaterThan(1);
    expect(choice.microBatch * choice.parts).toBeGreaterThanOrEqual(32);
    expect(choice.description).toMatch(
      /batch 32: estimated \d+\.\d GB at once; \d+ micro-batches of \d+ -> \d+\.\d GB, fits 8\.0 GB/,
    );
  });

  it('takes more micro-batches for a smaller budget or a small binding limit, and the setting when given', () => {
    const eight = chooseMicroBatch(gpuPreset, memoryBudget('webgpu', {}));
    const four = chooseMicroBatch(gpuPreset, memoryBudget('webgpu', { DINOSCOPE_GPU_MEMORY_GB: '4' }));
    expect(four.microBatch).toBeLessThan(eight.microBatch);
    expect(four.chosenBytes).toBeLessThanOrEqual(0.8 * 4e9);
    const MIB = 2 ** 20;
    const limits = {
      maxStorageBufferBindingSize: 16 * MIB,
      maxBufferSize: 256 * MIB,
      maxComputeWorkgroupStorageSize: 16384,
      maxComputeInvocationsPerWorkgroup: 256,
    };
    const bound = chooseMicroBatch(gpuPreset, null, limits);
    // The 65536-wide logits of 10 views take 2.5 MiB per image: 6 images bind within 16 MiB.
    expect(bound.microBatch).toBe(6);
    expect(bound.description).toMatch(/adapter binds/);
    const given = chooseMicroBatch({ ...gpuPreset, microBatchSize: 4 }, memoryBudget('webgpu', {}));
    expect(given.microBatch).toBe(4);
    expect(given.parts).toBe(8);
    const tiny = chooseMicroBatch(gpuPreset, { bytes: 1e6, source: 'test' });
    expect(tiny.fits).toBe(false);
    expect(tiny.microBatch).toBe(1);
    expect(tiny.description).toMatch(/does NOT fit/);
  });

  it('has a budget on GPU backends and from DINOSCOPE_GPU_MEMORY_GB only', () => {
    expect(memoryBudget('wasm', {})).toBeNull();
    expect(memoryBudget('webgpu', {})?.bytes).toBe(8e9);
    expect(memoryBudget('tensorflow-gpu', {})?.bytes).toBe(8e9);
    expect(memoryBudget('wasm', { DINOSCOPE_GPU_MEMORY_GB: '12' })?.bytes).toBe(12e9);
    expect(() => memoryBudget('webgpu', { DINOSCOPE_GPU_MEMORY_GB: 'lots' })).toThrow(
      /DINOSCOPE_GPU_MEMORY_GB/,
    );
    expect(chooseMicroBatch(gpuPreset, null).parts).toBe(1);
  });
});

function shapeOf(config: TrainingConfig): StepShape {
  return {
    vit: { patchSize: 16, embedDim: 384, depth: 12, numHeads: 6, mlpRatio: 4, imgSize: 224 },
    outDim: config.outDim,
    headHiddenDim: config.headHiddenDim,
    headBottleneckDim: config.headBottleneckDim,
    globalCropSize: config.globalCropSize,
    localCropSize: config.localCropSize,
    localCrops: config.localCropsNumber,
    batch: config.batchSize,
    microBatch: 0,
    activationMemoryBytes: 2.5e9,
  };
}
