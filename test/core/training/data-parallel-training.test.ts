import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../core/engine/backend.ts';
import type { HostTensor } from '../../../core/engine/host-tensor.ts';
import {
  cropTensors,
  DataParallelTraining,
  replicaRandom,
  splitBatch,
} from '../../../core/training/data-parallel-training.ts';
import { DinoTrainingState, NonFiniteLossError } from '../../../core/training/train-step.ts';
import { maxAbsDifference } from '../model/reference-fixtures.ts';
import { lcg, TINY_DINO, tinySchedule } from './tiny-dino.ts';

// Drop-path off so that the parallel step can be compared with the plain full-batch step.
const SETTINGS = { dropPathRate: 0 };

/** 2 global 16-px and 2 local 8-px views of 6 images. */
function views(seed: number): HostTensor[] {
  const random = lcg(seed);
  return [16, 16, 8, 8].map((size) => {
    const shape = [6, size, size, 3];
    const data = new Float32Array(6 * size * size * 3);
    for (let i = 0; i < data.length; i++) data[i] = random() * 2 - 1;
    return { shape, data };
  });
}

describe('data-parallel training', () => {
  let parallel: DataParallelTraining;
  let single: DinoTrainingState;
  beforeAll(async () => {
    await initBackend();
    single = DinoTrainingState.create(TINY_DINO, SETTINGS, { random: lcg(1) });
    const local = DinoTrainingState.fromNamedTensors(TINY_DINO, single.toNamedTensors(), SETTINGS);
    parallel = await DataParallelTraining.start(local, { replicas: 2 });
  }, 120_000);
  afterAll(async () => {
    await parallel?.dispose();
    single?.dispose();
  });

  it('splits a batch into near-even shares that cover it', () => {
    const shares = splitBatch(views(1), 4);
    expect(shares.map((s) => s[0].shape[0])).toEqual([2, 2, 1, 1]);
    expect(shares[2][3].data.length).toBe(8 * 8 * 3);
    expect(shares[3][0].data[0]).toBe(views(1)[0].data[5 * 16 * 16 * 3]);
  });

  it('takes the full-batch step across replicas, which stay identical', async () => {
    let tensorsAfterFirst = 0;
    for (let step = 0; step < 4; step++) {
      const batch = views(10 + step);
      const result = await parallel.step(batch, tinySchedule(step), 100 + step);
      const crops = cropTensors(batch);
      const expected = single.step(crops, tinySchedule(step));
      tf.dispose(crops);
      expect(Math.abs(result.loss - expected.loss)).toBeLessThan(1e-5);
      if (step === 1) tensorsAfterFirst = tf.memory().numTensors;
    }
    expect(tf.memory().numTensors).toBe(tensorsAfterFirst);
    const main = parallel.local.toNamedTensors();
    const reference = single.toNamedTensors();
    const worker = await parallel.workerState(0);
    for (const [name, tensor] of main) {
      expect(worker.get(name)?.data, name).toEqual(tensor.data);
      expect(maxAbsDifference(tensor.data, reference.get(name)?.data ?? []), name).toBeLessThan(1e-4);
    }
  });

  it('with one replica takes exactly the plain step, and holds no more tensors step after step', async () => {
    const plain = DinoTrainingState.create(TINY_DINO, SETTINGS, { random: lcg(2) });
    const local = DinoTrainingState.fromNamedTensors(TINY_DINO, plain.toNamedTensors(), SETTINGS);
    const alone = await DataParallelTraining.start(local, { replicas: 1 });
    try {
      let tensorsAfterFirst = 0;
      for (let step = 0; step < 4; step++) {
        const batch = views(20 + step);
        const result = await alone.step(batch, tinySchedule(step), 200 + step);
        const crops = cropTensors(batch);
        // The drop-path masks come from the replica's own generator, as the wrapper seeds it.
        const expected = plain.step(crops, tinySchedule(step), replicaRandom(200 + step, 0));
        tf.dispose(crops);
        expect(result).toEqual(expected);
        if (step === 1) tensorsAfterFirst = tf.memory().numTensors;
      }
      expect(tf.memory().numTensors).toBe(tensorsAfterFirst);
      const reference = plain.toNamedTensors();
      for (const [name, tensor] of alone.local.toNamedTensors()) {
        expect(tensor.data, name).toEqual(reference.get(name)?.data);
      }
    } finally {
      await alone.dispose();
      plain.dispose();
    }
  });

  it('takes a batch smaller than the replicas (one image) and still updates every replica', async () => {
    const one = views(60).map((v) => ({
      shape: [1, ...v.shape.slice(1)],
      data: v.data.slice(0, v.data.length / 6),
    }));
    await parallel.step(one, tinySchedule(4), 9);
    const crops = cropTensors(one);
    single.step(crops, tinySchedule(4));
    tf.dispose(crops);
    const worker = await parallel.workerState(0);
    for (const [name, tensor] of parallel.local.toNamedTensors())
      expect(worker.get(name)?.data, name).toEqual(tensor.data);
  });

  it('refuses a non-finite loss and leaves every replica as it was', async () => {
    const batch = views(50);
    batch[0].data.fill(Number.NaN);
    const before = parallel.local.toNamedTensors();
    await expect(parallel.step(batch, tinySchedule(3), 7)).rejects.toThrow(NonFiniteLossError);
    const worker = await parallel.workerState(0);
    for (const [name, tensor] of before) {
      expect(parallel.local.toNamedTensors().get(name)?.data, name).toEqual(tensor.data);
      expect(worker.get(name)?.data, name).toEqual(tensor.data);
    }
  });
});
