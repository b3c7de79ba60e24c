import type { WebGpuLimits } from '../engine/webgpu-adapter.ts';
import { backboneConfig, type TrainingConfig } from './config.ts';

/**
 * The largest batch whose biggest tensor a WebGPU adapter can bind. Every tfjs WebGPU kernel binds
 * its tensors whole as storage buffers, so one tensor over `maxStorageBufferBindingSize` (often
 * 128 MiB to 4 GiB; lavapipe: 128 MiB) fails the step however much memory the GPU has. The
 * biggest tensors of a DINO step grow linearly with the batch: attention scores and the MLP's
 * hidden activations of each crop size's group (views of one size run through the backbone
 * together), and the head's logits over every view. The trainer keeps the batch and lowers the
 * student's micro-batch instead (step-memory.ts), so that the step stays the whole batch's.
 */
export interface BatchFit {
  /** The largest batch that fits, at most the requested one; 0 when not even one image fits. */
  batch: number;
  /** Bytes per image of the step's largest tensor. */
  bytesPerImage: number;
  /** Which tensor that is. */
  largest: string;
  /** The binding limit used (the smaller of the storage-binding and buffer limits). */
  limitBytes: number;
}

export function largestTensorPerImage(config: TrainingConfig): { bytes: number; name: string } {
  const vit = backboneConfig(config);
  const tokens = (size: number) => 1 + (size / vit.patchSize) ** 2;
  const hidden = vit.embedDim * vit.mlpRatio;
  const views = 2 + config.localCropsNumber;
  const groups = [
    { label: `${config.globalCropSize}-px`, images: 2, n: tokens(config.globalCropSize) },
    ...(config.localCropsNumber > 0
      ? [
          {
            label: `${config.localCropSize}-px`,
            images: config.localCropsNumber,
            n: tokens(config.localCropSize),
          },
        ]
      : []),
  ];
  const candidates = [
    ...groups.flatMap((g) => [
      { name: `attention scores of the ${g.label} views`, floats: g.images * vit.numHeads * g.n * g.n },
      { name: `MLP activations of the ${g.label} views`, floats: g.images * g.n * hidden },
    ]),
    { name: 'head logits of every view', floats: views * config.outDim },
  ];
  const largest = candidates.reduce((a, b) => (b.floats > a.floats ? b : a));
  return { bytes: 4 * largest.floats, name: largest.name };
}

export function batchThatFits(config: TrainingConfig, limits: WebGpuLimits): BatchFit {
  const { bytes, name } = largestTensorPerImage(config);
  const limitBytes = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  return {
    batch: Math.min(config.batchSize, Math.floor(limitBytes / bytes)),
    bytesPerImage: bytes,
    largest: name,
    limitBytes,
  };
}
