import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { knnClassify } from '../../../core/analysis/knn-classifier.ts';
import { initBackend } from '../../../core/engine/backend.ts';
import type { NamedTensors } from '../../../core/engine/host-tensor.ts';
import { readSafetensors } from '../../../core/engine/safetensors.ts';
import { listTrainableImages } from '../../../core/library/training-copy.ts';
import { VisionTransformer } from '../../../core/model/vision-transformer.ts';
import type { Db } from '../../../core/store/database.ts';
import { getModel } from '../../../core/store/models.ts';
import { getRun, listCheckpoints } from '../../../core/store/runs.ts';
import { type RgbPixels, resizeCrop } from '../../../core/training/augmentation/bicubic-resize.ts';
import { normalizeImagenet } from '../../../core/training/augmentation/normalize.ts';
import { backboneConfig, type TrainingConfig } from '../../../core/training/config.ts';
import { readRunLog, type StepRecord } from '../../../core/training/run-log.ts';
import { createTfjsLearner } from '../../../core/training/tfjs-learner.ts';
import { runTraining } from '../../../core/training/trainer.ts';
import { resolveTraining } from '../../../core/training/training-plan.ts';
import { openSyntheticLibrary, SYNTHETIC_CLASSES, writeSyntheticSet } from './synthetic-classes.ts';
import { TINY_TRAINING_HEAD, TINY_TRAINING_VIT } from './tiny-dino.ts';

/**
 * The trainer end to end on a real library: synthetic photos in class folders (the folder names
 * are labels the training never sees), indexed by the library, trained with DINO through the
 * crop worker; then pause/resume exactness and, above all, that it learns: the weighted k-NN
 * accuracy (k = 20, T = 0.07) of the teacher's CLS embeddings on held-out images must be clearly
 * above the same network at initialisation.
 */
const folder = mkdtempSync(join(tmpdir(), 'dinoscope-trainer-'));
const libraryFile = join(folder, 'library.sqlite');
let db: Db;
let heldOut: { images: RgbPixels[]; labels: number[] };

/**
 * A tiny ViT and head so that a hundred DINO steps take a minute on wasm; lr and teacher momentum
 * suit a run of a few hundred steps (the reference's are made for 100 epochs of ImageNet).
 */
const tiny: Partial<TrainingConfig> = {
  ...TINY_TRAINING_VIT,
  ...TINY_TRAINING_HEAD,
  lr: 0.01,
  warmupEpochs: 2,
  momentumTeacher: 0.99,
  prefetchBatches: 2,
  // One replica: quicker to start for these short runs (the CLI test runs the default, one per core).
  replicas: 1,
};

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' });
  heldOut = await writeSyntheticSet(join(folder, 'held-out'), 20, 256, 2);
  db = await openSyntheticLibrary(join(folder, 'photos'), libraryFile);
}, 120_000);

afterAll(() => {
  db?.close();
  rmSync(folder, { recursive: true, force: true });
});

async function plan(settings: Partial<TrainingConfig>) {
  return (await resolveTraining(db, { settings: { ...tiny, ...settings }, backendKind: 'wasm' })).plan;
}

/** Final-norm CLS embeddings of whole images resized to the global crop size, L2-normalised. */
function embed(backbone: NamedTensors, config: TrainingConfig, images: RgbPixels[]): Float32Array {
  const size = config.globalCropSize;
  const pixels = new Float32Array(images.length * size * size * 3);
  images.forEach((image, i) => {
    const view = pixels.subarray(i * size * size * 3, (i + 1) * size * size * 3);
    resizeCrop(image, { top: 0, left: 0, width: image.width, height: image.height }, size, view);
    normalizeImagenet(view);
  });
  const vit = new VisionTransformer(backboneConfig(config), backbone);
  const features = tf.tidy(() => {
    const cls = vit.forward(tf.tensor4d(pixels, [images.length, size, size, 3]));
    return tf.div(cls, tf.norm(cls, 2, 1, true));
  });
  const data = features.dataSync() as Float32Array;
  features.dispose();
  vit.dispose();
  return data;
}

async function knnAccuracy(backbone: NamedTensors, config: TrainingConfig): Promise<number> {
  const trainImages: RgbPixels[] = [];
  const trainLabels: number[] = [];
  const { readTrainingCopy } = await import('../../../core/library/training-copy.ts');
  for (const image of listTrainableImages(db)) {
    trainImages.push(await readTrainingCopy(db, image.id));
    trainLabels.push(
      SYNTHETIC_CLASSES.indexOf(image.relPath.split('/')[0] as (typeof SYNTHETIC_CLASSES)[number]),
    );
  }
  const result = await knnClassify(
    { features: embed(backbone, config, trainImages), labels: Int32Array.from(trainLabels) },
    { features: embed(backbone, config, heldOut.images), labels: Int32Array.from(heldOut.labels) },
    { k: 20, temperature: 0.07, numClasses: SYNTHETIC_CLASSES.length },
  );
  return result.top1;
}

describe('trainer', () => {
  it('pauses with a checkpoint and resumes exactly: the same losses as an uninterrupted run', async () => {
    const settings = { epochs: 2, seed: 3 };
    const straight = await runTraining(db, libraryFile, await plan(settings), createTfjsLearner);
    expect(straight.status).toBe('finished');
    const expected = readRunLog(getRun(db, straight.runId).dir).map((r) => r.loss);
    expect(expected).toHaveLength(12);

    const pause = new AbortController();
    const tensorCounts: number[] = [];
    const first = await runTraining(db, libraryFile, await plan(settings), createTfjsLearner, {
      pause: pause.signal,
      onStep: (record: StepRecord) => {
        tensorCounts.push(tf.memory().numTensors);
        if (record.step === 8) pause.abort();
      },
    });
    expect(first.status).toBe('paused');
    expect(first.step).toBe(8);
    expect(getRun(db, first.runId).status).toBe('paused');
    expect(listCheckpoints(db, first.runId).at(-1)?.step).toBe(8);
    // No tensor leaks: the count stays the same from step to step. It grows once, when the head's
    // last layer unfreezes after epoch 1 (6 steps) and AdamW creates its moments.
    expect(new Set(tensorCounts.slice(1, 6)).size).toBe(1);
    expect(new Set(tensorCounts.slice(6)).size).toBe(1);

    const resumed = await resolveTraining(db, { settings: {}, resume: first.runId, backendKind: 'wasm' });
    const second = await runTraining(db, libraryFile, resumed.plan, createTfjsLearner);
    expect(second.status).toBe('finished');
    const losses = readRunLog(getRun(db, first.runId).dir).map((r) => r.loss);
    expect(losses).toEqual(expected);
    expect(getModel(db, second.modelId as number).runId).toBe(first.runId);
  });

  it('stops on a non-finite loss with a clear message and keeps the last good checkpoint', async () => {
    // The real learner, except that its 8th step reports the loss the step would throw on.
    const diverging: typeof createTfjsLearner = async (request) => {
      const learner = await createTfjsLearner(request);
      let steps = 0;
      return {
        exportState: () => learner.exportState(),
        teacherBackbone: () => learner.teacherBackbone(),
        dispose: () => learner.dispose(),
        step: async (views, values) => {
          steps += 1;
          return steps === 8 ? { loss: Number.NaN, teacherEntropy: null } : learner.step(views, values);
        },
      };
    };
    const outcome = await runTraining(db, libraryFile, await plan({ epochs: 2, seed: 4 }), diverging);
    expect(outcome.status).toBe('failed');
    expect(outcome.step).toBe(7);
    expect(outcome.message).toMatch(
      /The loss became NaN at step 8 \(epoch 2\).*last good checkpoint is kept: .*checkpoint-00000006\.json/,
    );
    expect(getRun(db, outcome.runId)).toMatchObject({ status: 'failed', step: 7 });
    expect(listCheckpoints(db, outcome.runId).map((c) => c.step)).toEqual([6]);
  });

  // 600 DINO steps of a tiny ViT on shapes in two greys: measured 60 % at initialisation, 90 % trained
  // (seed 0; 92 % before the SIMD kernels' float32 rounding; seed 1: 63 % -> 81 %), 70 s of training
  // on 2 loaded cores.
  it('learns: k-NN accuracy of the teacher on held-out images rises clearly above initialisation', async (context) => {
    // Not in the WebGPU project: on a software adapter it would take an hour; the two tests above run there.
    if (process.env.DINOSCOPE_BACKEND === 'webgpu') context.skip();
    // A sharp teacher (0.01; the reference's 0.04) because a random tiny ViT's outputs differ so
    // little from image to image that 0.04 makes its targets uniform and the run collapses; two
    // replicas whatever the machine's cores, so that the run, and the figures, are the same everywhere.
    const training = await plan({
      epochs: 100,
      warmupEpochs: 10,
      momentumTeacher: 0.996,
      teacherTemp: 0.01,
      warmupTeacherTemp: 0.01,
      replicas: 2,
      seed: 0,
      // The feature-health probe has its own tests (training-health); here its measurement at each of
      // 100 six-step epochs would cost more than the training it watches.
      healthEverySteps: 0,
    });
    const initial = await createTfjsLearner({
      config: training.config,
      vit: backboneConfig(training.config),
      state: null,
      completedSteps: 0,
      initialWeights: null,
    });
    const initialBackbone = initial.teacherBackbone();
    await initial.dispose();
    const outcome = await runTraining(db, libraryFile, training, createTfjsLearner);
    expect(outcome.status).toBe('finished');
    const trained = readSafetensors(getModel(db, outcome.modelId as number).weightsPath).tensors;
    const before = await knnAccuracy(initialBackbone, training.config);
    const after = await knnAccuracy(trained, training.config);
    console.log(
      `k-NN top-1 (k=20, T=0.07) on held-out images: at initialisation ${before.toFixed(1)} %, trained ${after.toFixed(1)} %`,
    );
    expect(after).toBeGreaterThanOrEqual(before + 10);
  }, 300_000);
});
