import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../core/engine/backend.ts';
import { DinoTrainingState } from '../../../core/training/train-step.ts';
import { lcg, TINY_DINO, tinySchedule } from './tiny-dino.ts';

/** 2 global 16-px and 2 local 8-px views of 4 images. */
function crops(seed: number): tf.Tensor4D[] {
  const random = lcg(seed);
  return [16, 16, 8, 8].map((size) =>
    tf.tidy(() =>
      tf.tensor4d(
        Array.from({ length: 4 * size * size * 3 }, () => random() * 2 - 1),
        [4, size, size, 3],
      ),
    ),
  );
}

function create(microBatchSize: number): DinoTrainingState {
  return DinoTrainingState.create(TINY_DINO, { dropPathRate: 0, microBatchSize }, { random: lcg(5) });
}

async function run(state: DinoTrainingState, steps: number): Promise<number[]> {
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const views = crops(step);
    losses.push((await state.stepAsync(views, tinySchedule(1))).loss);
    tf.dispose(views);
  }
  return losses;
}

async function studentWeights(state: DinoTrainingState): Promise<Float32Array> {
  const tensors = await state.toNamedTensorsAsync();
  const values = [...tensors].filter(([name]) => name.startsWith('student.')).flatMap(([, t]) => [...t.data]);
  return Float32Array.from(values);
}

describe('micro-batches of the student', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('retries a step that runs out of memory with halved micro-batches, and lands where micro-batches of 1 do', async () => {
    const reference = create(1);
    const expectedLosses = await run(reference, 3);
    const expected = await studentWeights(reference);
    reference.dispose();

    const state = create(0);
    const notices: string[] = [];
    state.onNotice = (message) => notices.push(message);
    // A forced failure: more than one image at once "does not fit".
    state.beforeMicroBatch = (images) => {
      if (images > 1) throw new Error(`Out of memory: forced by the test for a micro-batch of ${images}`);
    };
    const before = tf.memory().numTensors;
    const losses = await run(state, 3);
    expect(state.microBatchSize).toBe(1);
    expect(notices).toHaveLength(2);
    expect(notices[0]).toMatch(/micro-batches of 4 images .*2 micro-batches of 2/);
    expect(notices[1]).toMatch(/micro-batches of 2 images .*4 micro-batches of 1/);
    for (const [i, loss] of losses.entries()) expect(loss).toBeCloseTo(expectedLosses[i], 5);
    const ours = await studentWeights(state);
    let worst = 0;
    for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i] - expected[i]));
    expect(worst).toBeLessThan(1e-5);
    // The failed attempts left no tensor behind (the moments were created by the first good step).
    const moments = 2 * state.trainableNames.length;
    expect(tf.memory().numTensors - before).toBe(moments);
    state.dispose();
  });

  it('lets any other error through without retrying, and changes nothing', async () => {
    const state = create(0);
    const notices: string[] = [];
    state.onNotice = (message) => notices.push(message);
    state.beforeMicroBatch = () => {
      throw new Error('a bug, not memory');
    };
    const views = crops(0);
    const before = tf.memory().numTensors;
    await expect(state.stepAsync(views, tinySchedule(1))).rejects.toThrow('a bug, not memory');
    expect(tf.memory().numTensors).toBe(before);
    expect(notices).toEqual([]);
    expect(state.microBatchSize).toBe(0);
    tf.dispose(views);
    state.dispose();
  });
});
