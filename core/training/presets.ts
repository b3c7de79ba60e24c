import type { TrainingConfig } from './config.ts';

/**
 * What a person's machine can do. A preset changes only what it must; everything else keeps the
 * reference default. `dinoscope train` picks `gpu` on a CUDA backend and `cpu` otherwise.
 */
export interface TrainingPreset {
  description: string;
  settings: Partial<TrainingConfig>;
}

export const TRAINING_PRESETS = {
  reference: {
    description: "The reference's settings unchanged: ViT-S/16, 224/96-px crops, 2 + 8 views, out_dim 65536.",
    settings: {},
  },
  gpu: {
    description:
      'Close to the reference for one consumer GPU: ViT-S/16, 224/96-px crops, 2 + 8 views, batch 32.',
    settings: { batchSize: 32, outDim: 65536 },
  },
  cpu: {
    description:
      'A laptop CPU: ViT-Tiny/16, 64/32-px crops, 2 + 2 views, out_dim 4096, 30 epochs: the configuration measured to learn on 2 CPU cores (bench/README.md).',
    settings: {
      arch: 'vit_tiny',
      globalCropSize: 64,
      localCropSize: 32,
      localCropsNumber: 2,
      outDim: 4096,
      batchSize: 32,
      epochs: 30,
      warmupEpochs: 1,
    },
  },
  quick: {
    description: 'A first look in minutes on any machine: the cpu preset for 5 epochs.',
    settings: {
      arch: 'vit_tiny',
      globalCropSize: 64,
      localCropSize: 32,
      localCropsNumber: 2,
      outDim: 4096,
      batchSize: 32,
      epochs: 5,
      warmupEpochs: 1,
    },
  },
} satisfies Record<string, TrainingPreset>;

/**
 * The guarded recipe for continuing from good weights (`--from-model`, `--from-checkpoint`), laid
 * over the preset; flags still win. Continuing DINO at from-scratch settings wrecks published
 * features (k-NN 80 % -> 10 % reported on the reference's trackers), so: the head learns alone
 * first (backbone frozen for the first epoch, the last layer free since the head starts at
 * random), then everything at a tenth of the reference lr after a one-epoch warm-up, with a
 * teacher that moves very slowly (momentum 0.9995 -> 1); the run measures its features and stops,
 * keeping its best model, when they get worse (guard).
 */
export const ADAPTATION: TrainingPreset = {
  description:
    'Adapting good weights: head first (backbone frozen 1 epoch), lr 5e-5, 1-epoch warm-up, momentum 0.9995, stops when features degrade.',
  settings: {
    epochs: 5,
    lr: 0.00005,
    warmupEpochs: 1,
    momentumTeacher: 0.9995,
    freezeBackboneEpochs: 1,
    freezeLastLayer: 0,
    guard: true,
  },
};

export type TrainingPresetName = keyof typeof TRAINING_PRESETS;
export const TRAINING_PRESET_NAMES = Object.keys(TRAINING_PRESETS) as TrainingPresetName[];

export function trainingPreset(name: string): TrainingPreset {
  const preset = (TRAINING_PRESETS as Record<string, TrainingPreset>)[name];
  if (!preset)
    throw new Error(`No training preset "${name}": choose one of ${TRAINING_PRESET_NAMES.join(', ')}.`);
  return preset;
}

/**
 * The preset that fits the compute backend when the person names none. A software WebGPU adapter
 * (lavapipe, SwiftShader, WARP: `isFallbackAdapter`) computes on the CPU, slower than the CPU
 * backends, so it gets the CPU's preset even when forced with DINOSCOPE_BACKEND=webgpu.
 */
export function presetForBackend(
  backendName: string,
  options: { softwareAdapter?: boolean } = {},
): TrainingPresetName {
  if (options.softwareAdapter) return 'cpu';
  return /gpu|cuda|webgpu|webgl/i.test(backendName) ? 'gpu' : 'cpu';
}
