import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../core/engine/backend.ts';
import { AdamW } from '../../../core/training/adamw.ts';
import { updateTeacher } from '../../../core/training/teacher-ema.ts';
import { fusedUpdateKernels } from '../../../core/training/wasm-update-kernels.ts';
import { maxAbsDifference } from '../model/reference-fixtures.ts';

/** Runs three AdamW steps (clipping on, one parameter decayed, one not) and an EMA, fused or op by op. */
function update(fused: boolean, clip = 3): Float32Array[] {
  fusedUpdateKernels.enabled = fused;
  return tf.tidy(() => {
    const parameters = new Map([
      ['w', tf.variable(tf.randomNormal([40, 30], 0, 1, 'float32', 1))],
      ['b', tf.variable(tf.randomNormal([30], 0, 1, 'float32', 2))],
    ]);
    const teacher = new Map([...parameters].map(([name, v]) => [name, tf.variable(tf.mul(v, 0.5))]));
    const optimizer = new AdamW(parameters, (name) => name === 'w');
    for (let step = 0; step < 3; step++) {
      const gradients = new Map([
        ['w', tf.randomNormal([40, 30], 0, 2, 'float32', 10 + step)],
        ['b', tf.randomNormal([30], 0, 0.01, 'float32', 20 + step)],
      ]);
      optimizer.step(gradients, 1e-2, 0.04, clip);
      updateTeacher(teacher, parameters, 0.9);
    }
    const state = optimizer.exportState().get('w');
    const out = [
      ...[...parameters.values(), ...teacher.values()].map((v) => v.dataSync() as Float32Array),
      state?.expAvg.dataSync() as Float32Array,
      state?.expAvgSq.dataSync() as Float32Array,
    ];
    optimizer.dispose();
    tf.dispose([...parameters.values(), ...teacher.values()]);
    return out;
  });
}

describe('fused update kernels (wasm)', () => {
  beforeAll(async () => {
    await initBackend({ prefer: 'wasm' });
  });
  afterAll(() => {
    fusedUpdateKernels.enabled = true;
  });

  it('give the op-by-op AdamW (with clipping and the no-decay group) and EMA, within float32 rounding', () => {
    const opByOp = update(false);
    const before = tf.memory().numTensors;
    const fused = update(true);
    expect(tf.memory().numTensors).toBe(before);
    fused.forEach((values, i) => {
      expect(maxAbsDifference(values, opByOp[i]), `tensor ${i}`).toBeLessThan(2e-6);
    });
    // The gradients of w are large: clipping changes its update, in both paths alike.
    expect(maxAbsDifference(update(true, 0)[0], fused[0])).toBeGreaterThan(1e-4);
  });
});
