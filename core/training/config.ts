import { VIT_ARCHS, type VitArch, type VitConfig, vitConfig } from '../model/vit-config.ts';

/**
 * Every training hyperparameter in one place, each with one default and one line saying why. The
 * defaults are the reference's (facebookresearch/dino `main_dino.py` and its `DataAugmentationDINO`);
 * presets (presets.ts) adapt them to what a machine can do, and command-line flags win over both.
 */
interface Parameter<T> {
  default: T;
  why: string;
}
const p = <T>(value: T, why: string): Parameter<T> => ({ default: value, why });

export const TRAINING_PARAMETERS = {
  // Model
  arch: p<VitArch>(
    'vit_small',
    'ViT-S is the reference default: the best accuracy per FLOP among the published DINO models.',
  ),
  patchSize: p<16 | 8>(
    16,
    'Patch 16 is 4x cheaper than 8; patch 8 gives finer attention maps at 4x the tokens.',
  ),
  embedDim: p(0, "Token width; 0 = the arch's (192/384/768). Other widths only for experiments and tests."),
  depth: p(0, "Transformer blocks; 0 = the arch's (12 for every published ViT)."),
  numHeads: p(0, "Attention heads; 0 = the arch's (3/6/12, 64 dimensions each)."),
  imgSize: p(
    0,
    'Input side the position embeddings are made for; 0 = the global crop size. Weights started from keep theirs (other sizes interpolate).',
  ),
  dropPathRate: p(
    0.1,
    'Stochastic depth on the student only, as the reference: regularises without hurting the teacher.',
  ),
  // DINO head and loss
  outDim: p(
    65536,
    'Prototypes in the head output; the reference uses 65536, small data converges faster with 4096-8192.',
  ),
  headHiddenDim: p(2048, 'Width of the head MLP, as the reference DINOHead.'),
  headBottleneckDim: p(256, 'Bottleneck before the weight-normed last layer, as the reference DINOHead.'),
  normLastLayer: p(true, 'Fix the last layer norm to 1: the reference says it stabilises ViT training.'),
  studentTemp: p(0.1, 'Student softmax temperature, fixed in the reference DINOLoss.'),
  warmupTeacherTemp: p(
    0.04,
    'Teacher temperature at the start of the warm-up: sharp targets avoid uniform collapse.',
  ),
  teacherTemp: p(
    0.04,
    'Teacher temperature after warm-up; the reference suggests 0.07 only with a 30-epoch warm-up.',
  ),
  warmupTeacherTempEpochs: p(
    0,
    'Epochs of linear teacher-temperature warm-up (0 in the reference defaults).',
  ),
  centerMomentum: p(0.9, 'EMA momentum of the teacher-output center that prevents one-hot collapse.'),
  momentumTeacher: p(0.996, 'Start of the teacher EMA momentum, cosine-increased to 1 as the reference.'),
  // Optimisation
  epochs: p(100, 'The reference default; the published models trained 100-800 epochs on ImageNet.'),
  batchSize: p(64, 'Images per step (the reference per-GPU default); lr scales linearly with it.'),
  lr: p(
    0.0005,
    'Peak learning rate at batch 256; the actual peak is lr x batch / 256 (linear scaling rule).',
  ),
  minLr: p(1e-6, 'Learning rate at the end of the cosine schedule.'),
  warmupEpochs: p(10, 'Epochs of linear learning-rate warm-up: large lr on a random ViT diverges.'),
  weightDecay: p(0.04, 'Weight decay at the start, cosine-increased as the reference.'),
  weightDecayEnd: p(0.4, 'Weight decay at the end of training.'),
  clipGrad: p(3.0, 'Per-parameter gradient norm clip (0 = off); the reference found it helps ViT stability.'),
  freezeLastLayer: p(
    1,
    'Epochs during which the head last layer is frozen: the reference says it helps early training.',
  ),
  // Multi-crop augmentation
  globalCropSize: p(224, 'Side of the 2 global crops, seen by teacher and student.'),
  localCropSize: p(96, 'Side of the local crops, seen by the student only.'),
  localCropsNumber: p(8, 'Local crops per image: more local-to-global correspondences per step.'),
  globalCropsScale: p<[number, number]>([0.4, 1], 'Area range of global crops (fraction of the image).'),
  localCropsScale: p<[number, number]>(
    [0.05, 0.4],
    'Area range of local crops: small parts that must match the whole.',
  ),
  // Running it
  seed: p(0, 'Seed of the one random generator (crops, order, drop-path): same seed, same run.'),
  checkpointEveryMinutes: p(
    10,
    'A checkpoint at least this often (and at each epoch end) so a crash loses little.',
  ),
  keepCheckpoints: p(
    2,
    'Checkpoint files kept per run (the newest); each holds student, teacher and Adam moments.',
  ),
  replicas: p(
    0,
    'Data-parallel replicas of the step (worker threads); 0 = one per core on wasm/cpu, 1 on native TensorFlow.',
  ),
  microBatchSize: p(
    0,
    "Images per student forward/backward (gradients summed over the batch, same step); 0 = automatic: the largest that fits the GPU's memory (step-memory.ts).",
  ),
  prefetchBatches: p(
    2,
    'Batches loaded and augmented ahead, in a worker thread, while the current step runs.',
  ),
  collapseWindowSteps: p(
    200,
    'Steps a collapse sign must persist before the warning (noise does not trigger it).',
  ),
  // Feature health (label-free) and the guard of an adaptation
  healthEverySteps: p(
    50,
    "Steps between measurements of the teacher's features on a fixed photo sample (and at epoch ends at most as often); 0 = off.",
  ),
  healthSampleSize: p(
    256,
    'Photos in that sample: enough for a stable effective rank, a few seconds of inference at CPU preset sizes.',
  ),
  healthPatienceSteps: p(
    300,
    'Steps without a better effective rank or k-NN before the "not learning" warning (a run of ~45 CPU-minutes).',
  ),
  knnSampleSize: p(
    1000,
    'Photos scored by weighted k-NN at each epoch end when folders are class-named (leave-one-out); 0 = off.',
  ),
  freezeBackboneEpochs: p(
    0,
    'Epochs during which only the head learns (backbone frozen): lets a new head settle on good weights first.',
  ),
  guard: p(
    false,
    'Stop when the features get worse than their best and keep the best model (on for --from-model adaptation).',
  ),
  guardKnnDrop: p(1, 'Points of k-NN top-1 below the best that stop a guarded run.'),
  guardRetrievalDrop: p(3, 'Points of view retrieval (label-free) below the best that stop a guarded run.'),
} as const;

type ParameterTable = typeof TRAINING_PARAMETERS;
export type TrainingConfig = { [K in keyof ParameterTable]: ParameterTable[K]['default'] };
export type TrainingConfigKey = keyof TrainingConfig;

export const DEFAULT_TRAINING_CONFIG: TrainingConfig = Object.fromEntries(
  Object.entries(TRAINING_PARAMETERS).map(([key, parameter]) => [key, parameter.default]),
) as TrainingConfig;

/** The backbone a config trains; its `imgSize` is the global crop size the position embeddings are made for. */
export function backboneConfig(config: TrainingConfig): VitConfig {
  const shape = vitConfig(config.arch, config.patchSize, config.imgSize || config.globalCropSize);
  return {
    ...shape,
    embedDim: config.embedDim || shape.embedDim,
    depth: config.depth || shape.depth,
    numHeads: config.numHeads || shape.numHeads,
  };
}

/** The peak learning rate after the linear scaling rule of the reference. */
export function peakLearningRate(config: TrainingConfig): number {
  return (config.lr * config.batchSize) / 256;
}

/**
 * Merges overrides onto defaults and checks every value, so that a wrong setting fails before
 * anything is loaded, with a message naming the setting and the accepted range.
 */
export function resolveTrainingConfig(...layers: Partial<TrainingConfig>[]): TrainingConfig {
  const config = { ...DEFAULT_TRAINING_CONFIG };
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) {
      if (value === undefined) continue;
      if (!(key in TRAINING_PARAMETERS)) throw new Error(`Unknown training setting "${key}".`);
      (config as Record<string, unknown>)[key] = value;
    }
  }
  // A shorter run than its preset's keeps the reference's warm-up share (10 of 100 epochs), unless
  // the last layer (the person's own settings) gives the warm-up too.
  const given = layers.at(-1) ?? {};
  if (given.warmupEpochs === undefined && config.warmupEpochs > config.epochs / 10) {
    config.warmupEpochs = Math.min(config.warmupEpochs, Math.max(1, Math.round(config.epochs / 10)));
  }
  validateTrainingConfig(config);
  return config;
}

export function validateTrainingConfig(config: TrainingConfig): void {
  const problems: string[] = [];
  const need = (ok: boolean, message: string) => {
    if (!ok) problems.push(message);
  };
  const isInt = (v: number, min: number) => Number.isInteger(v) && v >= min;
  need(VIT_ARCHS.includes(config.arch), `arch must be one of ${VIT_ARCHS.join(', ')} (got ${config.arch})`);
  need(
    config.patchSize === 16 || config.patchSize === 8,
    `patchSize must be 16 or 8 (got ${config.patchSize})`,
  );
  for (const key of ['embedDim', 'depth', 'numHeads', 'imgSize'] as const) {
    need(isInt(config[key], 0), `${key} must be an integer >= 0 (got ${config[key]})`);
  }
  const { embedDim, numHeads } = backboneConfig(config);
  need(embedDim % numHeads === 0, `embedDim ${embedDim} must be a multiple of numHeads ${numHeads}`);
  need(isInt(config.outDim, 2), `outDim must be an integer >= 2 (got ${config.outDim})`);
  need(isInt(config.epochs, 1), `epochs must be an integer >= 1 (got ${config.epochs})`);
  need(isInt(config.batchSize, 1), `batchSize must be an integer >= 1 (got ${config.batchSize})`);
  need(
    isInt(config.localCropsNumber, 0),
    `localCropsNumber must be an integer >= 0 (got ${config.localCropsNumber})`,
  );
  for (const key of ['globalCropSize', 'localCropSize'] as const) {
    need(
      isInt(config[key], config.patchSize) && config[key] % config.patchSize === 0,
      `${key} must be a positive multiple of the patch size ${config.patchSize} (got ${config[key]})`,
    );
  }
  for (const key of ['globalCropsScale', 'localCropsScale'] as const) {
    const [low, high] = config[key];
    need(0 < low && low <= high && high <= 1, `${key} must be [low, high] with 0 < low <= high <= 1`);
  }
  for (const key of ['lr', 'minLr', 'weightDecay', 'weightDecayEnd', 'clipGrad', 'dropPathRate'] as const) {
    need(
      Number.isFinite(config[key]) && config[key] >= 0,
      `${key} must be a number >= 0 (got ${config[key]})`,
    );
  }
  for (const key of ['studentTemp', 'teacherTemp', 'warmupTeacherTemp'] as const) {
    need(config[key] > 0, `${key} must be > 0 (got ${config[key]})`);
  }
  for (const key of ['momentumTeacher', 'centerMomentum'] as const) {
    need(config[key] >= 0 && config[key] <= 1, `${key} must be within [0, 1] (got ${config[key]})`);
  }
  need(config.dropPathRate < 1, `dropPathRate must be < 1 (got ${config.dropPathRate})`);
  for (const key of ['warmupEpochs', 'warmupTeacherTempEpochs', 'freezeLastLayer'] as const) {
    need(isInt(config[key], 0), `${key} must be an integer >= 0 (got ${config[key]})`);
  }
  need(
    config.warmupEpochs <= config.epochs,
    `warmupEpochs (${config.warmupEpochs}) cannot exceed epochs (${config.epochs})`,
  );
  need(
    config.warmupTeacherTempEpochs <= config.epochs,
    `warmupTeacherTempEpochs (${config.warmupTeacherTempEpochs}) cannot exceed epochs (${config.epochs})`,
  );
  need(isInt(config.seed, 0), `seed must be an integer >= 0 (got ${config.seed})`);
  need(config.checkpointEveryMinutes > 0, 'checkpointEveryMinutes must be > 0');
  need(isInt(config.keepCheckpoints, 1), 'keepCheckpoints must be an integer >= 1');
  need(isInt(config.prefetchBatches, 0), 'prefetchBatches must be an integer >= 0');
  need(isInt(config.replicas, 0), 'replicas must be an integer >= 0');
  need(isInt(config.microBatchSize, 0), 'microBatchSize must be an integer >= 0 (0 = automatic)');
  need(isInt(config.collapseWindowSteps, 1), 'collapseWindowSteps must be an integer >= 1');
  for (const key of [
    'healthEverySteps',
    'healthSampleSize',
    'healthPatienceSteps',
    'knnSampleSize',
    'freezeBackboneEpochs',
  ] as const) {
    need(isInt(config[key], 0), `${key} must be an integer >= 0 (got ${config[key]})`);
  }
  need(config.guardKnnDrop >= 0, `guardKnnDrop must be >= 0 (got ${config.guardKnnDrop})`);
  need(config.guardRetrievalDrop >= 0, `guardRetrievalDrop must be >= 0 (got ${config.guardRetrievalDrop})`);
  if (problems.length > 0) throw new Error(`Invalid training config:\n  - ${problems.join('\n  - ')}`);
}

/** The resolved config as aligned `name value  why` lines, for the start of `dinoscope train`. */
export function describeTrainingConfig(
  config: TrainingConfig,
  changed: ReadonlySet<string> = new Set(),
): string {
  const width = Math.max(...Object.keys(config).map((key) => key.length));
  return Object.entries(TRAINING_PARAMETERS)
    .map(([key, parameter]) => {
      const value = JSON.stringify((config as Record<string, unknown>)[key]);
      const mark = changed.has(key) ? '*' : ' ';
      return `${mark} ${key.padEnd(width)}  ${value.padEnd(10)}  ${parameter.why}`;
    })
    .join('\n');
}
