import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../core/engine/backend.ts';
import type { SafetensorsFile } from '../../../core/engine/safetensors.ts';
import { dinoLoss, teacherTemperatureSchedule, updatedCenter } from '../../../core/training/dino-loss.ts';
import { hasShared, skipWithoutShared } from '../../shared-fixtures.ts';
import { maxAbsDifference, read, referenceFixture, tensorNamed } from '../model/reference-fixtures.ts';

describe.skipIf(!hasShared)(`DINO loss against the reference ${skipWithoutShared}`, () => {
  let fixture: SafetensorsFile;
  beforeAll(async () => {
    await initBackend();
    fixture = referenceFixture('dino_loss');
  });

  for (const epoch of [0, 2, 7]) {
    it(`matches the loss and the updated center at epoch ${epoch}`, async () => {
      const m = fixture.metadata;
      const config = {
        outDim: Number(m.out_dim),
        ncrops: Number(m.ncrops),
        warmupTeacherTemp: Number(m.warmup_teacher_temp),
        teacherTemp: Number(m.teacher_temp),
        warmupTeacherTempEpochs: Number(m.warmup_teacher_temp_epochs),
        nepochs: Number(m.nepochs),
        studentTemp: Number(m.student_temp),
        centerMomentum: Number(m.center_momentum),
      };
      const temperature = teacherTemperatureSchedule(config)[epoch];
      const tensor2d = (name: string) => {
        const t = tensorNamed(fixture, name);
        return tf.tensor2d(t.data, t.shape as [number, number]);
      };
      const [student, teacher, center] = ['input.student', 'input.teacher', 'input.center'].map(tensor2d);
      const before = tf.memory().numTensors;
      const terms = dinoLoss(student, teacher, center, temperature, config);
      expect((await read(terms.loss))[0]).toBeCloseTo(Number(m[`loss.epoch${epoch}`]), 5);
      expect((await read(terms.teacherEntropy))[0]).toBeGreaterThan(0);
      const mean = tf.tidy(() => tf.div(tf.sum(teacher, 0, true), teacher.shape[0]) as tf.Tensor2D);
      const next = updatedCenter(center, mean, config.centerMomentum);
      mean.dispose();
      expect(
        maxAbsDifference(await read(next), tensorNamed(fixture, `output.center_after.epoch${epoch}`).data),
      ).toBeLessThan(1e-6);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([student, teacher, center]);
    });
  }
});

describe('teacher temperature schedule', () => {
  it('warms up linearly over its epochs, then stays', async () => {
    const schedule = teacherTemperatureSchedule({
      outDim: 8,
      ncrops: 2,
      warmupTeacherTemp: 0.04,
      teacherTemp: 0.07,
      warmupTeacherTempEpochs: 30,
      nepochs: 100,
      studentTemp: 0.1,
      centerMomentum: 0.9,
    });
    expect(schedule.length).toBe(100);
    expect(schedule[0]).toBe(0.04);
    expect(schedule[29]).toBe(0.07);
    expect(schedule[15]).toBeCloseTo(0.04 + (15 * 0.03) / 29, 12);
    expect(schedule[99]).toBe(0.07);
  });
});
