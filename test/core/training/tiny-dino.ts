import { dinoHeadConfig } from '../../../core/model/dino-head.ts';
import type { VitConfig } from '../../../core/model/vit-config.ts';
import type { TrainingConfig } from '../../../core/training/config.ts';
import type { DinoModelConfig, StepSchedule } from '../../../core/training/train-step.ts';

/** A ViT small enough for a test to run many DINO steps in a second: 16-px images, 4 patches. */
export const TINY_VIT: VitConfig = {
  patchSize: 8,
  embedDim: 16,
  depth: 2,
  numHeads: 2,
  mlpRatio: 2,
  imgSize: 16,
};

export const TINY_DINO: DinoModelConfig = {
  vit: TINY_VIT,
  head: dinoHeadConfig(16, 32, { hiddenDim: 16, bottleneckDim: 8 }),
};

/** A step's schedule values for epoch `epoch` (the last layer is frozen in epoch 0). */
export const tinySchedule = (epoch: number): StepSchedule => ({
  epoch,
  lr: 1e-3,
  weightDecay: 0.04,
  teacherMomentum: 0.99,
  teacherTemp: 0.04,
});

/** A seeded generator of uniforms in [0, 1), so that a failure can be replayed. */
export function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * The backbone of the tests that run the whole trainer on the synthetic library: a ViT small
 * enough that a hundred DINO steps take about a minute on wasm.
 */
export const TINY_TRAINING_VIT: Partial<TrainingConfig> = {
  arch: 'vit_tiny',
  patchSize: 8,
  embedDim: 48,
  depth: 2,
  numHeads: 3,
};

/** Their head, crops (32-px globals of the 256-px synthetic photos) and batch, used when adapting too. */
export const TINY_TRAINING_HEAD: Partial<TrainingConfig> = {
  outDim: 64,
  headHiddenDim: 96,
  headBottleneckDim: 48,
  globalCropSize: 32,
  localCropSize: 16,
  localCropsNumber: 2,
  batchSize: 25,
  dropPathRate: 0,
};
