import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TRAINING_CONFIG,
  describeTrainingConfig,
  peakLearningRate,
  resolveTrainingConfig,
  TRAINING_PARAMETERS,
} from '../../../core/training/config.ts';
import {
  presetForBackend,
  TRAINING_PRESET_NAMES,
  TRAINING_PRESETS,
  trainingPreset,
} from '../../../core/training/presets.ts';

describe('training config', () => {
  it("defaults to the reference's hyperparameters, each with a reason", () => {
    expect(DEFAULT_TRAINING_CONFIG).toMatchObject({
      arch: 'vit_small',
      patchSize: 16,
      outDim: 65536,
      normLastLayer: true,
      momentumTeacher: 0.996,
      warmupTeacherTemp: 0.04,
      teacherTemp: 0.04,
      warmupTeacherTempEpochs: 0,
      studentTemp: 0.1,
      centerMomentum: 0.9,
      weightDecay: 0.04,
      weightDecayEnd: 0.4,
      clipGrad: 3,
      batchSize: 64,
      epochs: 100,
      freezeLastLayer: 1,
      lr: 0.0005,
      warmupEpochs: 10,
      minLr: 1e-6,
      dropPathRate: 0.1,
      globalCropsScale: [0.4, 1],
      localCropsScale: [0.05, 0.4],
      localCropsNumber: 8,
      globalCropSize: 224,
      localCropSize: 96,
    });
    for (const parameter of Object.values(TRAINING_PARAMETERS))
      expect(parameter.why.length).toBeGreaterThan(20);
    expect(peakLearningRate(DEFAULT_TRAINING_CONFIG)).toBeCloseTo(0.000125);
  });

  it('layers presets and flags over the defaults and validates every preset', () => {
    for (const name of TRAINING_PRESET_NAMES)
      expect(() => resolveTrainingConfig(trainingPreset(name).settings)).not.toThrow();
    const config = resolveTrainingConfig(TRAINING_PRESETS.cpu.settings, { epochs: 3, batchSize: undefined });
    expect(config).toMatchObject({
      arch: 'vit_tiny',
      outDim: 4096,
      globalCropSize: 64,
      epochs: 3,
      batchSize: 32,
    });
    expect(presetForBackend('tensorflow-gpu')).toBe('gpu');
    expect(presetForBackend('wasm')).toBe('cpu');
    expect(presetForBackend('webgpu')).toBe('gpu');
    // A software WebGPU adapter (lavapipe, SwiftShader) computes on the CPU, slower than wasm.
    expect(presetForBackend('webgpu', { softwareAdapter: true })).toBe('cpu');
    expect(presetForBackend('webgpu', { softwareAdapter: false })).toBe('gpu');
    expect(() => trainingPreset('huge')).toThrow(/choose one of reference, gpu, cpu, quick/);
  });

  it('names every wrong setting and its accepted range', () => {
    expect(() => resolveTrainingConfig({ globalCropSize: 100, epochs: 0, warmupEpochs: 10 })).toThrow(
      /epochs must be an integer >= 1[\s\S]*globalCropSize must be a positive multiple of the patch size 16[\s\S]*warmupEpochs \(10\) cannot exceed epochs/,
    );
    // Unless given, the warm-up keeps the reference's 1:10 share of a short run.
    expect(resolveTrainingConfig({ epochs: 5 }).warmupEpochs).toBe(1);
    expect(resolveTrainingConfig({ epochs: 300 }).warmupEpochs).toBe(10);
    expect(() => resolveTrainingConfig({ bogus: 1 } as never)).toThrow(/Unknown training setting "bogus"/);
  });

  it('prints one line per setting, marking what differs from the defaults', () => {
    const text = describeTrainingConfig(resolveTrainingConfig({ epochs: 5 }), new Set(['epochs']));
    expect(text.split('\n')).toHaveLength(Object.keys(TRAINING_PARAMETERS).length);
    expect(text).toMatch(/^\* epochs +5 +The reference default/m);
  });
});
