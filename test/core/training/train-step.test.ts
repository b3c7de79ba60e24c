import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../core/engine/backend.ts';
import type { SafetensorsFile } from '../../../core/engine/safetensors.ts';
import { dinoHeadConfig } from '../../../core/model/dino-head.ts';
import { type DinoModelConfig, DinoTrainingState } from '../../../core/training/train-step.ts';
import { hasShared, skipWithoutShared } from '../../shared-fixtures.ts';
import {
  maxAbsDifference,
  nchwToNhwc,
  referenceFixture,
  tensorNamed,
  withPrefix,
} from '../model/reference-fixtures.ts';

// train_step.safetensors: the vit_forward ViT + DINOHead(48, 64, nlayers 3, hidden 32, bottleneck 16).
const MODEL: DinoModelConfig = {
  vit: { patchSize: 8, embedDim: 48, depth: 3, numHeads: 4, mlpRatio: 4, imgSize: 32 },
  head: dinoHeadConfig(48, 64, { hiddenDim: 32, bottleneckDim: 16 }),
};
// The fixture README: a float64 run differs by at most 3.5e-5; compare with 1e-4 absolute.
const TOLERANCE = 1e-4;

describe.skipIf(!hasShared)(`DINO training step against the reference ${skipWithoutShared}`, () => {
  let fixture: SafetensorsFile;
  beforeAll(async () => {
    await initBackend();
    fixture = referenceFixture('train_step');
  });

  // Batch 4: the whole batch at once (0), then the student in micro-batches of 1, 2 and 3 (4 + the
  // uneven 3 + 1) with gradient accumulation: the same step, so the same tolerances.
  it.each([0, 1, 2, 3])(
    'reproduces both steps with micro-batch %i: loss, every student and teacher tensor, and the center',
    async (microBatchSize) => {
      const meta = fixture.metadata;
      const state = DinoTrainingState.create(
        MODEL,
        {
          microBatchSize,
          dropPathRate: 0,
          clipGrad: Number(meta.clip_grad),
          freezeLastLayerEpochs: Number(meta.freeze_last_layer_epochs),
        },
        {
          backbone: withPrefix(fixture.tensors, 'init.student.backbone.'),
          head: withPrefix(fixture.tensors, 'init.student.head.'),
        },
      );
      const crops = [0, 1, 2, 3].map((i) => nchwToNhwc(tensorNamed(fixture, `input.images.${i}`)));
      const epochs = JSON.parse(meta.epochs_of_steps) as number[];
      for (const [step, epoch] of epochs.entries()) {
        const result = await state.stepAsync(crops, {
          epoch,
          lr: Number(meta.lr),
          weightDecay: Number(meta.weight_decay_group0),
          teacherMomentum: Number(meta.teacher_momentum),
          teacherTemp: Number(meta.teacher_temp),
        });
        expect(result.loss).toBeCloseTo(Number(meta[`loss.step${step}`]), 5);
        const tensors = await state.toNamedTensorsAsync();
        const expected = withPrefix(fixture.tensors, `after_step${step}.`);
        const compared: string[] = [];
        for (const [name, reference] of expected) {
          const ours = tensors.get(name === 'center' ? 'dino_loss.center' : name);
          expect(ours?.shape, name).toEqual(reference.shape);
          expect(
            maxAbsDifference(ours?.data ?? [], reference.data),
            `${name} after step ${step}`,
          ).toBeLessThan(TOLERANCE);
          compared.push(name);
        }
        expect(compared.filter((n) => n.startsWith('student.')).length).toBe(3 * 12 + 6 + 8);
        expect(compared.filter((n) => n.startsWith('teacher.')).length).toBe(3 * 12 + 6 + 8);
      }
      tf.dispose(crops);
      state.dispose();
    },
  );
});
