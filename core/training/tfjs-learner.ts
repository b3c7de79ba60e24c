import { initBackend } from '../engine/backend.ts';
import { dinoHeadConfig } from '../model/dino-head.ts';
import { DataParallelTraining } from './data-parallel-training.ts';
import type { LearnerFactory } from './dino-learner.ts';
import { Random } from './random.ts';
import { chooseMicroBatch, memoryBudget } from './step-memory.ts';
import { DinoTrainingState, NonFiniteLossError } from './train-step.ts';

/**
 * The trainer's learner on TensorFlow.js: the DINO state and step of `train-step.ts`, run
 * data-parallel over worker threads where the backend computes on one thread (wasm), fed with the
 * crop pipeline's host tensors. Initial weights and drop-path masks draw from the run's seeded
 * generator, so two runs with the same seed (and replica count) are the same run.
 */
export const createTfjsLearner: LearnerFactory = async ({ config, vit, state, initialWeights, onInfo }) => {
  const backend = await initBackend();
  // The student in micro-batches where the whole batch would not fit the GPU (step-memory.ts);
  // the step stays the whole batch's.
  const memory = chooseMicroBatch(
    config,
    memoryBudget(backend.kind),
    backend.kind === 'webgpu' ? backend.webgpu.limits : null,
  );
  const model = {
    vit,
    head: dinoHeadConfig(vit.embedDim, config.outDim, {
      hiddenDim: config.headHiddenDim,
      bottleneckDim: config.headBottleneckDim,
      normLastLayer: config.normLastLayer,
    }),
  };
  const settings = {
    dropPathRate: config.dropPathRate,
    clipGrad: config.clipGrad,
    freezeLastLayerEpochs: config.freezeLastLayer,
    freezeBackboneEpochs: config.freezeBackboneEpochs,
    studentTemp: config.studentTemp,
    centerMomentum: config.centerMomentum,
    microBatchSize: memory.parts > 1 ? memory.microBatch : 0,
  };
  const initRandom = new Random(config.seed);
  // A new run from other weights starts student and teacher from its teacher (the better network).
  const local = state
    ? DinoTrainingState.fromNamedTensors(model, state, settings)
    : DinoTrainingState.create(model, settings, {
        random: () => initRandom.random(),
        backbone: initialWeights?.teacher.backbone,
        head: initialWeights?.teacher.head ?? undefined,
      });
  if (onInfo) {
    local.onNotice = onInfo;
    if (memory.parts > 1) {
      onInfo(
        `Each step runs the student in ${memory.parts} micro-batches of ${memory.microBatch} (memory: estimated ${(memory.wholeBytes / 1e9).toFixed(1)} GB at once, ${(memory.chosenBytes / 1e9).toFixed(1)} GB so); the step is the whole batch's.`,
      );
    }
  }
  const training = await DataParallelTraining.start(local, {
    replicas: config.replicas || undefined,
    backend: backend.kind,
  });
  return {
    async step(views, values) {
      try {
        return await training.step(
          views,
          {
            epoch: values.epoch,
            lr: values.lr,
            weightDecay: values.weightDecay,
            teacherMomentum: values.momentum,
            teacherTemp: values.teacherTemp,
          },
          values.seed,
        );
      } catch (error) {
        // Thrown before any update: the state stays the last good one, the trainer stops the run.
        if (error instanceof NonFiniteLossError) return { loss: error.loss, teacherEntropy: null };
        throw error;
      }
    },
    prepareExport: () => local.prefetch(),
    exportState: () => local.toNamedTensors(),
    teacherBackbone: () => local.teacherBackboneWeights(),
    dispose: () => training.dispose(),
  };
};
