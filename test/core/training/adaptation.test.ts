import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../core/engine/backend.ts';
import type { NamedTensors } from '../../../core/engine/host-tensor.ts';
import { readSafetensors } from '../../../core/engine/safetensors.ts';
import type { Db } from '../../../core/store/database.ts';
import { getModel } from '../../../core/store/models.ts';
import type { TrainingConfig } from '../../../core/training/config.ts';
import type { LearnerFactory } from '../../../core/training/dino-learner.ts';
import type { HealthMeasurement } from '../../../core/training/health-watch.ts';
import { createTfjsLearner } from '../../../core/training/tfjs-learner.ts';
import { runTraining } from '../../../core/training/trainer.ts';
import { resolveTraining } from '../../../core/training/training-plan.ts';
import { openSyntheticLibrary } from './synthetic-classes.ts';
import { TINY_TRAINING_HEAD, TINY_TRAINING_VIT } from './tiny-dino.ts';

/**
 * Adapting a good model (`train --from-model`): a tiny ViT first learns the synthetic shapes, then
 * is continued with the guarded recipe — the backbone stays exactly as it was while the head warms
 * up, and the run measures its features; a destructive continuation (huge lr, no centering) is
 * stopped by the guard, which keeps the best model and says so.
 */
const folder = mkdtempSync(join(tmpdir(), 'dinoscope-adapt-'));
const libraryFile = join(folder, 'library.sqlite');
let db: Db;
let modelId: number;

const head: Partial<TrainingConfig> = {
  ...TINY_TRAINING_HEAD,
  replicas: 1,
  healthSampleSize: 150,
  knnSampleSize: 150,
  healthEverySteps: 6,
};

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' });
  db = await openSyntheticLibrary(join(folder, 'photos'), libraryFile);
  // The "good" model: 120 steps of the configuration that learns (k-NN rises ~5 points).
  const { plan } = await resolveTraining(db, {
    settings: {
      ...head,
      ...TINY_TRAINING_VIT,
      epochs: 20,
      warmupEpochs: 2,
      lr: 0.01,
      momentumTeacher: 0.996,
      teacherTemp: 0.01,
      warmupTeacherTemp: 0.01,
      healthEverySteps: 0,
    },
    backendKind: 'wasm',
  });
  const outcome = await runTraining(db, libraryFile, plan, createTfjsLearner);
  modelId = outcome.modelId as number;
}, 300_000);

afterAll(() => {
  db?.close();
  rmSync(folder, { recursive: true, force: true });
});

/** Equal up to the float32 rounding of the teacher's EMA of an unchanged student (m·w + (1 − m)·w). */
function expectSame(a: NamedTensors, b: NamedTensors, tolerance = 0) {
  expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
  for (const [name, tensor] of a) {
    const other = (b.get(name) as typeof tensor).data;
    let worst = 0;
    tensor.data.forEach((value, i) => {
      worst = Math.max(worst, Math.abs(value - other[i]));
    });
    expect(worst, name).toBeLessThanOrEqual(tolerance);
  }
}

describe('guarded adaptation', () => {
  it('uses the guarded recipe, keeps the backbone frozen while the head warms up, and measures', async () => {
    const start = readSafetensors(getModel(db, modelId).weightsPath).tensors;
    const resolved = await resolveTraining(db, {
      settings: { ...head, epochs: 3, teacherTemp: 0.01, warmupTeacherTemp: 0.01 },
      fromModel: modelId,
      backendKind: 'wasm',
    });
    const { config } = resolved.plan;
    expect(config).toMatchObject({
      guard: true,
      lr: 0.00005,
      warmupEpochs: 1,
      momentumTeacher: 0.9995,
      freezeBackboneEpochs: 1,
      freezeLastLayer: 0,
      embedDim: 48,
      depth: 2,
    });
    expect(resolved.notes.join(' ')).toMatch(/Adapting library model \d+.*Guarded adaptation/);
    // The real learner, watched: its teacher backbone at the end of the first (frozen) epoch.
    let afterHeadWarmUp: NamedTensors | null = null;
    let learner: Awaited<ReturnType<LearnerFactory>> | null = null;
    const watched: LearnerFactory = async (request) => {
      learner = await createTfjsLearner(request);
      return learner;
    };
    const measurements: HealthMeasurement[] = [];
    const outcome = await runTraining(db, libraryFile, resolved.plan, watched, {
      onHealth: (m) => measurements.push(m),
      onStep: (record) => {
        if (record.step === 6)
          afterHeadWarmUp = (learner as unknown as { teacherBackbone(): NamedTensors }).teacherBackbone();
      },
    });
    expect(afterHeadWarmUp).not.toBeNull();
    expectSame(afterHeadWarmUp as unknown as NamedTensors, start, 1e-6);
    expect(['finished']).toContain(outcome.status);
    expect(measurements[0].step).toBe(0);
    expect(measurements.every((m) => m.knnTop1 !== null)).toBe(true);
    // The kept model is the best measured: never below the start.
    expect(outcome.best).not.toBeNull();
    const best = measurements.find((m) => m.step === outcome.best?.step) as HealthMeasurement;
    expect(best.knnTop1 as number).toBeGreaterThanOrEqual(measurements[0].knnTop1 as number);
  }, 300_000);

  it('stops a continuation that wrecks the features and keeps the best model', async () => {
    const start = readSafetensors(getModel(db, modelId).weightsPath).tensors;
    const resolved = await resolveTraining(db, {
      settings: {
        ...head,
        epochs: 10,
        lr: 0.5,
        clipGrad: 0,
        centerMomentum: 1,
        freezeBackboneEpochs: 0,
        warmupEpochs: 1,
        momentumTeacher: 0.9,
      },
      fromModel: modelId,
      backendKind: 'wasm',
    });
    const warnings: string[] = [];
    const outcome = await runTraining(db, libraryFile, resolved.plan, createTfjsLearner, {
      onWarning: (w) => warnings.push(w),
    });
    expect(outcome.status).toBe('finished');
    expect(outcome.step).toBeLessThan(60);
    expect(outcome.message).toMatch(
      /Stopped at step \d+ to protect the features: .*below its best.*The best model \(step \d+\) is kept as library model \d+; its checkpoint: .*best.checkpoint-\d+\.json/,
    );
    expect(warnings).toContain(outcome.message);
    if (outcome.best?.step === 0)
      expectSame(readSafetensors(getModel(db, outcome.modelId as number).weightsPath).tensors, start);
  }, 300_000);
});
