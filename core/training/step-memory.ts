import type { WebGpuLimits } from '../engine/webgpu-adapter.ts';
import { blockCacheBytes } from '../model/transformer-block.ts';
import { describeVit, type VitConfig } from '../model/vit-config.ts';
import { backboneConfig, type TrainingConfig } from './config.ts';
import { largestTensorPerImage } from './gpu-batch.ts';

/**
 * How much memory one DINO step holds at its peak, from the shapes alone, and the micro-batch
 * (train-step.ts: the student's forward/backward in parts, gradients summed) that brings it under a
 * budget. The peak is in the student's backward: the weights (student, teacher, AdamW's two
 * moments), the summed gradients plus the ones being made, the teacher's outputs for the whole
 * batch, and what the autograd tape keeps for one micro-batch: every block's input, the caches of
 * the blocks that keep them (the rest recompute, see `keptBlocks`), the block in flight, the head's
 * activations and the loss's [rows, out_dim] tensors (softmaxes and the per-pair products).
 * Checked against tf.profile's peak bytes on the CPU backend (test/core/training/step-memory.test.ts).
 */
export interface StepShape {
  vit: VitConfig;
  outDim: number;
  headHiddenDim: number;
  headBottleneckDim: number;
  globalCropSize: number;
  localCropSize: number;
  localCrops: number;
  batch: number;
  /** Images per student forward/backward (0 = the whole batch). */
  microBatch: number;
  /** The activation budget of train-step.ts (blocks beyond it recompute their forward). */
  activationMemoryBytes: number;
}

export interface StepMemory {
  totalBytes: number;
  /** Bytes by part, for the plan's explanation. */
  parts: {
    weights: number;
    gradients: number;
    inputs: number;
    teacher: number;
    blocks: number;
    head: number;
    loss: number;
  };
  keptBlocks: number;
}

const FLOAT = 4;

export function stepShape(config: TrainingConfig, microBatch = config.microBatchSize): StepShape {
  return {
    vit: backboneConfig(config),
    outDim: config.outDim,
    headHiddenDim: config.headHiddenDim,
    headBottleneckDim: config.headBottleneckDim,
    globalCropSize: config.globalCropSize,
    localCropSize: config.localCropSize,
    localCrops: config.localCropsNumber,
    batch: config.batchSize,
    microBatch,
    activationMemoryBytes: 2.5e9,
  };
}

/** Trainable values of the student: backbone and DINO head (the teacher has as many). */
export function studentParameterCount(
  s: Pick<StepShape, 'vit' | 'outDim' | 'headHiddenDim' | 'headBottleneckDim'>,
): number {
  const { patchSize: p, embedDim: d, depth, mlpRatio, imgSize } = s.vit;
  const hidden = d * mlpRatio;
  const block = 4 * d + 3 * d * d + 3 * d + d * d + d + d * hidden + hidden + hidden * d + d;
  const backbone = 3 * p * p * d + d + d + (1 + (imgSize / p) ** 2) * d + depth * block + 2 * d;
  const { headHiddenDim: h, headBottleneckDim: b, outDim: k } = s;
  const head = d * h + h + h * h + h + h * b + b + k * b + k;
  return backbone + head;
}

/** Bytes one transformer block keeps for its backward. */
function blockCache(images: number, tokens: number, vit: VitConfig): number {
  return blockCacheBytes({ images, tokens, heads: vit.numHeads, headDim: vit.embedDim / vit.numHeads });
}

/**
 * How many blocks keep their activations within the budget; the rest recompute them in the
 * backward. The budget also holds every block's input and the block in flight (twice its cache).
 */
export function keptBlocks(
  vit: VitConfig,
  groups: { images: number; tokens: number }[],
  activationMemoryBytes: number,
): number {
  let perBlock = 0;
  let tokens = 0;
  for (const g of groups) {
    perBlock += blockCache(g.images, g.tokens, vit);
    tokens += g.images * g.tokens;
  }
  const available = activationMemoryBytes - vit.depth * tokens * vit.embedDim * FLOAT - 2 * perBlock;
  return Math.max(0, Math.min(vit.depth, Math.floor(available / perBlock)));
}

export function estimateStepMemory(s: StepShape): StepMemory {
  const { vit, outDim: k } = s;
  const tokensOf = (size: number) => 1 + Math.floor(size / vit.patchSize) ** 2;
  const m = Math.max(1, Math.min(s.microBatch || s.batch, s.batch));
  const views = 2 + s.localCrops;
  const groups = [
    { images: 2 * m, tokens: tokensOf(s.globalCropSize) },
    ...(s.localCrops > 0 ? [{ images: s.localCrops * m, tokens: tokensOf(s.localCropSize) }] : []),
  ];
  const tokens = groups.reduce((n, g) => n + g.images * g.tokens, 0);
  const perBlock = groups.reduce((n, g) => n + blockCache(g.images, g.tokens, vit), 0);
  const kept = keptBlocks(vit, groups, s.activationMemoryBytes);
  const parameters = studentParameterCount(s);
  const rows = views * m;
  const parts = {
    // Student, teacher and AdamW's two moments; the center.
    weights: FLOAT * (4 * parameters + k),
    // The sums over micro-batches and the micro-batch's own (one set when the batch is whole).
    gradients: FLOAT * parameters * (m < s.batch ? 2 : 1),
    inputs: FLOAT * 3 * s.batch * (2 * s.globalCropSize ** 2 + s.localCrops * s.localCropSize ** 2),
    // The teacher's logits for the whole batch (its forward's own temporaries are gone by then).
    teacher: FLOAT * 2 * s.batch * k,
    // Block inputs, patch embedding (patches of 3·p² values), the kept caches and the block in
    // flight: its backward's temporaries (about 2 caches), and its recomputed cache when it recomputes.
    blocks:
      FLOAT * tokens * (vit.depth * vit.embedDim + 3 * vit.patchSize ** 2 + 3 * vit.embedDim) +
      (kept + (kept < vit.depth ? 4 : 2)) * perBlock,
    // The MLP's activations per row, and the weight-normed last layer: g·v/‖v‖ and its
    // gradients make about 9 tensors of [out_dim, bottleneck] (measured).
    head:
      FLOAT * rows * (vit.embedDim + 4 * s.headHiddenDim + 2 * s.headBottleneckDim) +
      FLOAT * 9 * k * s.headBottleneckDim,
    // Tensors of [images, out_dim] on the tape and in the backward: the student's logits, scaled,
    // log-softmax and their gradients per view; the teacher's rows (centred, scaled, softmaxes);
    // each of the 2·(views−1) pairs' −q·log p and gradient. Fitted: 17.5 per view + 9 (measured
    // with 4 and 8 views at out_dim 4096).
    loss: FLOAT * m * k * (17.5 * views + 9),
  };
  return {
    totalBytes: Object.values(parts).reduce((a, b) => a + b, 0),
    parts,
    keptBlocks: kept,
  };
}

/** Where the memory a step may take comes from: DINOSCOPE_GPU_MEMORY_GB, or the 8 GB a GPU is assumed to have. */
export interface MemoryBudget {
  bytes: number;
  source: string;
}

/** A laptop or desktop GPU people train on has at least this; WebGPU does not expose the total. */
export const DEFAULT_GPU_MEMORY_GB = 8;

/**
 * Part of the budget a step's estimate may fill: the rest is headroom for what the estimate does
 * not count (tfjs-webgpu's pool of freed buffers, the driver, other programs' windows).
 */
export const BUDGET_FILL = 0.8;

/**
 * The memory budget on this backend: DINOSCOPE_GPU_MEMORY_GB when set (any backend), else 8 GB on
 * a GPU backend (WebGPU reports buffer-size limits but not how much memory the GPU has), else
 * none: on the CPU backends the whole batch runs at once and activation checkpointing bounds it.
 */
export function memoryBudget(
  backendKind: string,
  env: Record<string, string | undefined> = process.env,
): MemoryBudget | null {
  const given = env.DINOSCOPE_GPU_MEMORY_GB;
  if (given !== undefined && given !== '') {
    const gb = Number(given);
    if (!(gb > 0)) throw new Error(`DINOSCOPE_GPU_MEMORY_GB must be a number of GB > 0 (got "${given}").`);
    return { bytes: gb * 1e9, source: `DINOSCOPE_GPU_MEMORY_GB=${given}` };
  }
  if (backendKind === 'webgpu' || backendKind === 'tensorflow-gpu') {
    return {
      bytes: DEFAULT_GPU_MEMORY_GB * 1e9,
      source: `assumed: ${backendKind === 'webgpu' ? 'WebGPU does not report how much memory a GPU has' : 'the smallest GPU this targets'}; DINOSCOPE_GPU_MEMORY_GB to change`,
    };
  }
  return null;
}

export interface MicroBatchChoice {
  /** Images per student forward/backward. */
  microBatch: number;
  /** Micro-batches per step. */
  parts: number;
  /** The estimate with the whole batch at once, and with the chosen micro-batch. */
  wholeBytes: number;
  chosenBytes: number;
  /** Whether the chosen micro-batch fits the budget and the adapter's buffer limits. */
  fits: boolean;
  /** One line for the training plan and doctor. */
  description: string;
}

const gb = (bytes: number) => `${(bytes / 1e9).toFixed(1)} GB`;
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/**
 * The micro-batch a step runs with: `microBatchSize` when set; else the fewest micro-batches whose
 * estimate fits `BUDGET_FILL` of the budget and whose largest tensor the adapter can bind (every
 * tfjs-webgpu kernel binds its tensors whole, see gpu-batch.ts); the whole batch when there is no
 * budget and no limit. The batch itself never changes, so the step stays the reference's.
 */
export function chooseMicroBatch(
  config: TrainingConfig,
  budget: MemoryBudget | null,
  limits: WebGpuLimits | null = null,
): MicroBatchChoice {
  const batch = config.batchSize;
  const estimate = (m: number) => estimateStepMemory(stepShape(config, m)).totalBytes;
  const largest = largestTensorPerImage(config);
  const limitBytes = limits ? Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize) : Infinity;
  const budgetBytes = budget ? budget.bytes * BUDGET_FILL : Infinity;
  const fitsMemory = (m: number) => estimate(m) <= budgetBytes;
  const fitsLimits = (m: number) => m * largest.bytes <= limitBytes;
  const wholeBytes = estimate(batch);
  const what = `${describeVit(backboneConfig(config))} ${config.globalCropSize}/${config.localCropSize} px, 2 + ${config.localCropsNumber} views, out_dim ${config.outDim}, batch ${batch}`;
  let microBatch = Math.min(config.microBatchSize || batch, batch);
  let why = config.microBatchSize > 0 ? 'microBatchSize set' : '';
  if (config.microBatchSize === 0) {
    microBatch = 1;
    for (let parts = 1; parts <= batch; parts++) {
      const m = Math.ceil(batch / parts);
      if (fitsMemory(m) && fitsLimits(m)) {
        microBatch = m;
        break;
      }
    }
  }
  const parts = Math.ceil(batch / microBatch);
  const chosenBytes = estimate(microBatch);
  const fits = fitsMemory(microBatch) && fitsLimits(microBatch);
  const budgetText = budget
    ? `${gb(budget.bytes)} with ${Math.round(100 * (1 - BUDGET_FILL))} % headroom (${budget.source})`
    : 'no memory budget on this backend';
  const limitText = limits
    ? `; its ${largest.name} take ${mib(microBatch * largest.bytes)} of the ${mib(limitBytes)} the adapter binds`
    : '';
  if (!why) why = fits ? `fits ${budgetText}` : `does NOT fit ${budgetText}`;
  else why = `${why}; ${fits ? 'fits' : 'does NOT fit'} ${budgetText}`;
  const description =
    parts === 1
      ? `${what}: estimated ${gb(wholeBytes)} at once, the whole batch in one pass, ${why}${limitText}.`
      : `${what}: estimated ${gb(wholeBytes)} at once; ${parts} micro-batches of ${microBatch} -> ${gb(chosenBytes)}, ${why}${limitText} (gradients summed over the batch: the same step).`;
  return { microBatch, parts, wholeBytes, chosenBytes, fits, description };
}
