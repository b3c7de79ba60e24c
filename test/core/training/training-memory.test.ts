import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../../../core/engine/backend.ts';
import type { HostTensor } from '../../../core/engine/host-tensor.ts';
import { DataParallelTraining } from '../../../core/training/data-parallel-training.ts';
import { DinoTrainingState } from '../../../core/training/train-step.ts';
import { lcg, TINY_DINO, tinySchedule } from './tiny-dino.ts';

/** 2 global 16-px and 2 local 8-px views of 4 images. */
function views(seed: number): HostTensor[] {
  const random = lcg(seed);
  return [16, 16, 8, 8].map((size) => {
    const data = new Float32Array(4 * size * size * 3);
    for (let i = 0; i < data.length; i++) data[i] = random() * 2 - 1;
    return { shape: [4, size, size, 3], data };
  });
}

/** The WebGPU backend's buffer pool (tfjs-backend-webgpu's BufferManager), when that backend runs. */
interface WebGpuBuffers {
  bufferManager?: { getNumUsedBuffers(): number; numBytesUsed: number; numBytesAllocated: number };
}

function usage() {
  const memory = tf.memory();
  const buffers = (tf.backend() as WebGpuBuffers).bufferManager;
  return {
    numTensors: memory.numTensors,
    numBytes: memory.numBytes,
    gpuBuffersInUse: buffers?.getNumUsedBuffers() ?? 0,
    gpuBytesInUse: buffers?.numBytesUsed ?? 0,
    gpuBytesAllocated: buffers?.numBytesAllocated ?? 0,
  };
}

describe('training memory', () => {
  // Micro-batch 0: the whole batch of 4 at once; 3: the student in micro-batches of 3 + 1.
  it.each([0, 3])(
    'leaks no tensor and no GPU buffer over 50 steps (one replica, as on a GPU; micro-batch %i)',
    async (microBatchSize) => {
      const backend = await initBackend();
      const state = DinoTrainingState.create(
        TINY_DINO,
        { dropPathRate: 0.1, microBatchSize },
        { random: lcg(3) },
      );
      const training = await DataParallelTraining.start(state, { replicas: 1, backend: backend.kind });
      // The first steps create the optimiser's moments and fill the buffer pool.
      for (let step = 0; step < 3; step++) await training.step(views(step), tinySchedule(1), step);
      const before = usage();
      let loss = 0;
      for (let step = 3; step < 50; step++) {
        loss = (await training.step(views(step), tinySchedule(1), step)).loss;
      }
      const after = usage();
      expect(Number.isFinite(loss)).toBe(true);
      expect(after.numTensors).toBe(before.numTensors);
      expect(after.numBytes).toBe(before.numBytes);
      expect(after.gpuBuffersInUse).toBe(before.gpuBuffersInUse);
      expect(after.gpuBytesInUse).toBe(before.gpuBytesInUse);
      // The pool keeps freed buffers for reuse; it must not keep growing once the shapes repeat.
      expect(after.gpuBytesAllocated).toBeLessThanOrEqual(before.gpuBytesAllocated);
      if (backend.kind === 'webgpu') expect(before.gpuBuffersInUse).toBeGreaterThan(0);
      await training.dispose();
      const disposed = usage();
      expect(disposed.numTensors).toBeLessThan(before.numTensors);
    },
  );
});
