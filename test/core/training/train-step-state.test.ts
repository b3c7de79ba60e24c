import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../core/engine/backend.ts';
import { DinoTrainingState, NonFiniteLossError } from '../../../core/training/train-step.ts';
import { maxAbsDifference } from '../model/reference-fixtures.ts';
import { lcg, TINY_DINO, tinySchedule } from './tiny-dino.ts';

/** 2 global 16-px + 2 local 8-px views of 4 images. */
function crops(seed: number): tf.Tensor4D[] {
  return [16, 16, 8, 8].map(
    (size, i) => tf.randomNormal([4, size, size, 3], 0, 1, 'float32', seed + i) as tf.Tensor4D,
  );
}

describe('DINO training state', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('holds the same number of tensors after step 2 and after step 50', () => {
    const state = DinoTrainingState.create(TINY_DINO, {}, { random: lcg(1) });
    const views = crops(10);
    const random = lcg(2);
    let afterStep2 = 0;
    for (let step = 1; step <= 50; step++) {
      // Epoch 1: past the frozen first epoch, so every parameter's AdamW state exists from step 1.
      state.step(views, tinySchedule(1), random);
      if (step === 2) afterStep2 = tf.memory().numTensors;
    }
    expect(tf.memory().numTensors).toBe(afterStep2);
    tf.dispose(views);
    state.dispose();
  });

  it('continues exactly from its NamedTensors (a checkpoint): same next loss and tensors', () => {
    const first = DinoTrainingState.create(TINY_DINO, {}, { random: lcg(3) });
    const views = crops(20);
    first.step(views, tinySchedule(0), lcg(4));
    first.step(views, tinySchedule(1), lcg(5));
    const saved = first.toNamedTensors();
    for (const prefix of ['student.backbone.', 'student.head.', 'teacher.backbone.', 'teacher.head.']) {
      expect([...saved.keys()].some((n) => n.startsWith(prefix))).toBe(true);
    }
    expect(saved.get('optimizer.step.head.last_layer.weight_v')?.data[0]).toBe(1);
    expect(saved.get('optimizer.step.backbone.cls_token')?.data[0]).toBe(2);
    expect(saved.has('optimizer.exp_avg.head.last_layer.weight_g')).toBe(false);
    const resumed = DinoTrainingState.fromNamedTensors(TINY_DINO, saved);
    const a = first.step(views, tinySchedule(1), lcg(6));
    const b = resumed.step(views, tinySchedule(1), lcg(6));
    expect(b.loss).toBe(a.loss);
    const afterA = first.toNamedTensors();
    const afterB = resumed.toNamedTensors();
    expect([...afterB.keys()].sort()).toEqual([...afterA.keys()].sort());
    for (const [name, t] of afterA) expect(afterB.get(name)?.data, name).toEqual(t.data);
    tf.dispose(views);
    first.dispose();
    resumed.dispose();
  });

  it('recomputing activations (a tiny memory budget) gives the step that keeps them', () => {
    const start = DinoTrainingState.create(TINY_DINO, { dropPathRate: 0 }, { random: lcg(11) });
    const saved = start.toNamedTensors();
    const recomputing = DinoTrainingState.fromNamedTensors(TINY_DINO, saved, {
      dropPathRate: 0,
      activationMemoryBytes: 1,
    });
    const views = crops(50);
    const kept = start.step(views, tinySchedule(1));
    const recomputed = recomputing.step(views, tinySchedule(1));
    expect(Math.abs(recomputed.loss - kept.loss)).toBeLessThan(1e-6);
    const a = start.toNamedTensors();
    for (const [name, t] of recomputing.toNamedTensors()) {
      expect(maxAbsDifference(t.data, a.get(name)?.data ?? []), name).toBeLessThan(1e-6);
    }
    tf.dispose(views);
    start.dispose();
    recomputing.dispose();
  });

  it('refuses a non-finite loss before changing anything', () => {
    const state = DinoTrainingState.create(TINY_DINO, {}, { random: lcg(7) });
    const views = crops(30);
    const before = state.toNamedTensors();
    const poisoned = [tf.fill([4, 16, 16, 3], Number.NaN) as tf.Tensor4D, ...views.slice(1)];
    expect(() => state.step(poisoned, tinySchedule(0))).toThrow(NonFiniteLossError);
    const after = state.toNamedTensors();
    for (const [name, t] of before) expect(after.get(name)?.data, name).toEqual(t.data);
    tf.dispose([...views, poisoned[0]]);
    state.dispose();
  });

  it('keeps the last layer frozen in the first epoch and trains it after', () => {
    const state = DinoTrainingState.create(TINY_DINO, { freezeLastLayerEpochs: 1 }, { random: lcg(8) });
    const views = crops(40);
    const v0 = state.student.head.getWeights().get('last_layer.weight_v')?.data.slice();
    state.step(views, tinySchedule(0), lcg(9));
    expect(state.student.head.getWeights().get('last_layer.weight_v')?.data).toEqual(v0);
    state.step(views, tinySchedule(1), lcg(10));
    expect(state.student.head.getWeights().get('last_layer.weight_v')?.data).not.toEqual(v0);
    tf.dispose(views);
    state.dispose();
  });
});
