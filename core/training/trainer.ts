import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NamedTensors } from '../engine/host-tensor.ts';
import { writeSafetensors } from '../engine/safetensors.ts';
import { type ProgressListener, ProgressTracker } from '../jobs/progress.ts';
import { listTrainableImages } from '../library/training-copy.ts';
import { describeVit, type VitConfig } from '../model/vit-config.ts';
import type { Db } from '../store/database.ts';
import { libraryDataFolder } from '../store/library-location.ts';
import { addModel, getModel } from '../store/models.ts';
import {
  addCheckpoint,
  createRun,
  deleteCheckpointRecord,
  forgetEmbeddingsOfModel,
  getRun,
  listCheckpoints,
  modelIdOfRun,
  type RunStatus,
  setRunDir,
  setRunStatus,
  updateRunProgress,
} from '../store/runs.ts';
import { pruneCheckpoints, writeCheckpoint } from './checkpoint.ts';
import { CollapseWatch } from './collapse-watch.ts';
import { backboneConfig } from './config.ts';
import { type CropBatch, CropPipeline, type PipelinePosition, stepsPerEpoch } from './crop-pipeline.ts';
import type { DinoLearner, LearnerFactory } from './dino-learner.ts';
import { FeatureProbe } from './feature-probe.ts';
import { type HealthMeasurement, HealthWatch } from './health-watch.ts';
import { Random } from './random.ts';
import { RunLog, type StepRecord } from './run-log.ts';
import { forecastTraining, type TrainingForecast } from './training-forecast.ts';
import type { TrainingPlan } from './training-plan.ts';
import { type TrainingSchedules, trainingSchedules } from './training-schedules.ts';

/** Steps timed for the forecast, after the first (which compiles kernels and fills the pipeline). */
const FORECAST_STEPS = 3;

/**
 * The training loop as a person runs it: batches from the crop pipeline, one DINO step each, the
 * figures of every step logged and shown, checkpoints every few minutes and at each epoch end, the
 * teacher saved as a library model at each epoch end, and a clean stop on pause, cancel, a
 * non-finite loss or the last epoch. Everything the run needs to continue exactly is in its
 * checkpoints; the library records the run and its checkpoints.
 */
export interface TrainingControls {
  /** Pause: write a checkpoint at the next step boundary and stop with status 'paused'. */
  pause?: AbortSignal;
  /** Cancel: stop at the next step boundary with status 'cancelled' (a checkpoint is still written). */
  cancel?: AbortSignal;
  onProgress?: ProgressListener;
  onStep?: (record: StepRecord) => void;
  onWarning?: (message: string) => void;
  onInfo?: (message: string) => void;
  /** A feature-health measurement (at the start, every `healthEverySteps` steps and at epoch ends, at most as often). */
  onHealth?: (measurement: HealthMeasurement) => void;
  /** The plan stated once the first steps are timed (images/s, epoch and run time, time to useful features). */
  onForecast?: (forecast: TrainingForecast) => void;
  /** The compute backend's kind, for the forecast's advice (a GPU backend gets no CPU warning); default 'wasm'. */
  backend?: string;
  /** Run the crop pipeline in this thread (tests and previews); default: a worker thread. */
  cropsInThread?: boolean;
}

export interface TrainingOutcome {
  runId: number;
  status: RunStatus;
  /** Steps completed in the whole run. */
  step: number;
  /** Whole epochs completed. */
  epoch: number;
  message: string | null;
  modelId: number | null;
  lastCheckpoint: string | null;
  lastLoss: number | null;
  /** The last feature-health measurement, if any was taken. */
  health: HealthMeasurement | null;
  /** A guarded run: the step whose model is kept (its best), and that best checkpoint. */
  best: { step: number; checkpoint: string } | null;
}

export const RUN_IMAGES_FILE = 'images.json';

export async function runTraining(
  db: Db,
  libraryFile: string,
  plan: TrainingPlan,
  createLearner: LearnerFactory,
  controls: TrainingControls = {},
): Promise<TrainingOutcome> {
  const { config } = plan;
  const info = controls.onInfo ?? (() => {});
  const warn = controls.onWarning ?? (() => {});
  const vit = backboneConfig(config);

  // The run: new (with its folder and image list) or the one being resumed.
  let runId: number;
  let dir: string;
  let imageIds: number[];
  if (plan.resume) {
    runId = plan.resume.runId;
    dir = getRun(db, runId).dir;
    imageIds = readRunImages(dir, plan.imageIds, warn);
    setRunStatus(db, runId, 'running');
  } else {
    runId = createRun(db, { config, dir: '' }).id;
    dir = join(libraryDataFolder(libraryFile), 'runs', String(runId));
    mkdirSync(dir, { recursive: true });
    setRunDir(db, runId, dir);
    imageIds = plan.imageIds;
    writeJsonAtomically(join(dir, RUN_IMAGES_FILE), imageIds);
  }
  const stepsInEpoch = stepsPerEpoch(imageIds.length, config.batchSize);
  if (stepsInEpoch === 0) {
    const message = `Only ${imageIds.length} trainable images for a batch of ${config.batchSize}: add photos or use a smaller --batch.`;
    setRunStatus(db, runId, 'failed', message);
    throw new Error(message);
  }
  const totalSteps = stepsInEpoch * config.epochs;
  const schedules = trainingSchedules(config, stepsInEpoch);

  // Where training stands: from the checkpoint, or the very start.
  let step = 0;
  let position: PipelinePosition = { epoch: 0, stepInEpoch: 0, random: new Random(config.seed).getState() };
  let lastLoss: number | null = null;
  const learner = await createLearner({
    config,
    vit,
    state: plan.resume?.checkpoint.tensors ?? null,
    completedSteps: plan.resume?.checkpoint.info.step ?? 0,
    initialWeights: plan.initialWeights,
    onInfo: info,
  });
  if (plan.resume) {
    const saved = plan.resume.checkpoint.info;
    step = saved.step;
    position = { epoch: saved.epoch, stepInEpoch: saved.stepInEpoch, random: saved.random };
    lastLoss = saved.loss;
    info(
      `Resuming run ${runId} at epoch ${saved.epoch + 1}, step ${step} of ${totalSteps}, from ${plan.resume.checkpoint.file}.`,
    );
  } else if (plan.initialWeights) {
    info(`Starting from ${plan.initialWeights.description}.`);
  }
  const log = new RunLog(dir);
  log.truncateAfter(step);

  let lastCheckpoint: string | null = listCheckpoints(db, runId).at(-1)?.path ?? null;
  let modelId = modelIdOfRun(db, runId);
  const collapse = new CollapseWatch(config.outDim, config.collapseWindowSteps);
  const probe =
    config.healthEverySteps > 0
      ? await openProbe(db, imageIds, config, vit).catch((error: Error) => {
          warn(`The feature-health sample could not be loaded (${error.message}): training runs without it.`);
          return null;
        })
      : null;
  const watch = new HealthWatch({
    patienceSteps: config.healthPatienceSteps,
    minRetrievalGain: 1,
    minKnnGain: 1,
    guard: config.guard ? { retrievalDrop: config.guardRetrievalDrop, knnDrop: config.guardKnnDrop } : null,
    lr: config.lr,
    outDim: config.outDim,
  });
  let health: HealthMeasurement | null = null;
  let lastEpochMeasurement = step;
  let best: { step: number; checkpoint: string } | null = null;
  const tracker = new ProgressTracker('train', totalSteps);
  tracker.update(step);
  let lastCheckpointAt = Date.now();

  /** Whole epochs completed: what the library records and people read ("epoch 3/30"). */
  const epochsDone = () => Math.floor(step / stepsInEpoch);
  const saveCheckpoint = (next: PipelinePosition) => {
    const file = writeCheckpoint(
      dir,
      {
        runId,
        epoch: next.epoch,
        step,
        stepInEpoch: next.stepInEpoch,
        loss: lastLoss,
        config,
        random: next.random,
      },
      learner.exportState(),
    );
    addCheckpoint(db, { runId, path: file, epoch: epochsDone(), step, loss: lastLoss });
    const removed = new Set(pruneCheckpoints(dir, config.keepCheckpoints));
    for (const record of listCheckpoints(db, runId))
      if (removed.has(record.path)) deleteCheckpointRecord(db, record.id);
    updateRunProgress(db, runId, { epoch: epochsDone(), step });
    lastCheckpoint = file;
    lastCheckpointAt = Date.now();
    return file;
  };
  const saveModel = () => {
    modelId = saveTeacherModel(db, libraryFile, runId, vit, learner.teacherBackbone(), modelId);
  };
  /** Measures the teacher's features; a guarded run keeps the best model and checkpoint, and says why it must stop. */
  const measureHealth = async (epoch: number, withKnn: boolean): Promise<string | null> => {
    if (!probe) return null;
    await learner.prepareExport?.();
    health = await probe.measure(learner.teacherBackbone(), { step, epoch }, withKnn);
    controls.onHealth?.(health);
    const verdict = watch.observe(health);
    for (const warning of verdict.warnings) warn(warning);
    if (config.guard && verdict.best) {
      saveModel();
      const bestDir = join(dir, 'best');
      mkdirSync(bestDir, { recursive: true });
      const file = writeCheckpoint(
        bestDir,
        {
          runId,
          epoch,
          step,
          stepInEpoch: position.stepInEpoch,
          loss: lastLoss,
          config,
          random: position.random,
        },
        learner.exportState(),
      );
      pruneCheckpoints(bestDir, 1);
      best = { step, checkpoint: file };
    }
    return config.guard ? verdict.degraded : null;
  };
  const healthDetail = (): Record<string, number> => {
    const last = health as HealthMeasurement | null;
    if (!last) return {};
    return {
      views: Math.round(last.viewRetrieval * 10) / 10,
      rank: Math.round(last.effectiveRank * 10) / 10,
      ...(last.knnTop1 === null ? {} : { knn: Math.round(last.knnTop1 * 10) / 10 }),
    };
  };

  let status: RunStatus = 'running';
  let message: string | null = null;
  let pipeline: CropPipeline | null = null;
  try {
    if (step >= totalSteps) {
      status = 'finished';
    } else {
      pipeline = await CropPipeline.open({
        source: { libraryFile },
        imageIds,
        spec: config,
        batchSize: config.batchSize,
        seed: config.seed,
        start: position,
        prefetch: config.prefetchBatches,
        inThread: controls.cropsInThread,
      });
      if (pipeline.mode === 'in-thread' && !controls.cropsInThread) {
        warn('The crop worker thread could not start: augmenting in the training thread (slower).');
      }
    }
    if (status === 'running' && probe) {
      await measureHealth(position.epoch, true);
      const first = health as HealthMeasurement | null;
      if (first)
        info(
          `Feature health at step ${step}: view retrieval ${first.viewRetrieval.toFixed(1)} %, effective rank ${first.effectiveRank.toFixed(1)} of the teacher's embeddings of ${probe.sample.ids.length} photos` +
            (first.knnTop1 === null
              ? ''
              : `, weighted k-NN top-1 ${first.knnTop1.toFixed(1)} % / top-5 ${(first.knnTop5 ?? 0).toFixed(1)} % on ${probe.labelled?.ids.length} photos in ${probe.labelled?.classes.length} class folders`) +
            `; measured every ${config.healthEverySteps} steps and at epoch ends (at most as often).`,
        );
    }
    const timedSeconds: number[] = [];
    let stepsThisSession = 0;
    while (status === 'running') {
      const loopStarted = performance.now();
      const batch: CropBatch = await (pipeline as CropPipeline).next();
      for (const skipped of batch.skipped) warn(`Skipped an unreadable training copy: ${skipped}`);
      const values = schedules.at(step, batch.epoch);
      const outcome = await learner.step(batch.views, { ...values, seed: batch.stepSeed });
      if (!Number.isFinite(outcome.loss)) {
        status = 'failed';
        message =
          `The loss became ${outcome.loss} at step ${step + 1} (epoch ${batch.epoch + 1}): training stopped. ` +
          (lastCheckpoint
            ? `The last good checkpoint is kept: ${lastCheckpoint}. `
            : 'No checkpoint was written yet. ') +
          'Usual causes: a learning rate too high for the batch (lower --lr or raise --warmup-epochs), ' +
          'gradient clipping off (--clip-grad 3), or broken images.';
        break;
      }
      step += 1;
      stepsThisSession += 1;
      position = batch.next;
      if (stepsThisSession > 1 && timedSeconds.length < FORECAST_STEPS) {
        timedSeconds.push((performance.now() - loopStarted) / 1000);
        if (timedSeconds.length === FORECAST_STEPS) {
          const seconds = timedSeconds.reduce((sum, value) => sum + value, 0);
          const forecast = forecastTraining({
            config,
            photos: imageIds.length,
            imagesPerSecond: (FORECAST_STEPS * config.batchSize) / seconds,
            backend: controls.backend ?? 'wasm',
            // A guarded run adapts good weights (resumed or not); the from-scratch estimate does not apply.
            fromWeights: plan.initialWeights !== null || config.guard,
          });
          info(forecast.text);
          if (forecast.warning) warn(forecast.warning);
          controls.onForecast?.(forecast);
        }
      }
      lastLoss = outcome.loss;
      // The step itself (waiting for its batch included), not the checkpoints and health measurements between steps.
      const imagesPerSecond = (config.batchSize * 1000) / (performance.now() - loopStarted);
      const record: StepRecord = {
        step,
        epoch: batch.epoch,
        loss: outcome.loss,
        lr: values.lr,
        weightDecay: values.weightDecay,
        momentum: values.momentum,
        teacherTemp: values.teacherTemp,
        teacherEntropy: outcome.teacherEntropy,
        imagesPerSecond,
        time: Date.now(),
      };
      const epochEnded = batch.stepInEpoch + 1 === stepsInEpoch;
      const finished = step >= totalSteps;
      // Epoch ends get the k-NN too, but on a small library (epochs of a few steps) measuring at every
      // one would cost more than training: at most once per healthEverySteps, unless a guard needs it.
      const measureEpochEnd =
        finished || (epochEnded && (config.guard || step - lastEpochMeasurement >= config.healthEverySteps));
      let degraded: string | null = null;
      if (probe && (measureEpochEnd || step % config.healthEverySteps === 0)) {
        degraded = await measureHealth(batch.epoch, measureEpochEnd);
        if (health) record.health = health;
        if (measureEpochEnd) lastEpochMeasurement = step;
      }
      log.append(record);
      controls.onStep?.(record);
      const event = tracker.update(step, {
        phase: `epoch ${batch.epoch + 1}/${config.epochs}`,
        detail: {
          run: runId,
          epoch: batch.epoch + 1,
          step,
          loss: outcome.loss,
          lr: values.lr,
          wd: values.weightDecay,
          momentum: values.momentum,
          teacherTemp: values.teacherTemp,
          ...(outcome.teacherEntropy === null ? {} : { teacherEntropy: outcome.teacherEntropy }),
          imagesPerSecond: Math.round(tracker.snapshot().ratePerSecond * config.batchSize * 10) / 10,
          ...healthDetail(),
          ...(record.health
            ? {
                effectiveRank: record.health.effectiveRank,
                viewRetrieval: record.health.viewRetrieval,
                ...(record.health.neighbourAgreement === null
                  ? {}
                  : { neighbourAgreement: record.health.neighbourAgreement }),
                ...(record.health.knnTop1 === null ? {} : { knnTop1: record.health.knnTop1 }),
                ...(record.health.knnTop5 === null ? {} : { knnTop5: record.health.knnTop5 }),
              }
            : {}),
        },
      });
      controls.onProgress?.(event);
      const warning = collapse.observe(step, outcome.loss, outcome.teacherEntropy);
      if (warning) warn(warning.message);

      if (degraded) {
        status = 'finished';
        const kept = best as { step: number; checkpoint: string } | null;
        message =
          `Stopped at step ${step} to protect the features: ${degraded}. ` +
          (kept
            ? `The best model (step ${kept.step}) is kept as library model ${modelId}; its checkpoint: ${kept.checkpoint}.`
            : 'No better state was measured than the starting one.');
        warn(message);
        break;
      }
      const stopRequested = controls.pause?.aborted || controls.cancel?.aborted;
      const due = Date.now() - lastCheckpointAt >= config.checkpointEveryMinutes * 60_000;
      if (epochEnded || finished || stopRequested || due) {
        await learner.prepareExport?.();
        const file = saveCheckpoint(position);
        info(`Checkpoint at step ${step} (epoch ${batch.epoch + 1}): ${file}`);
      }
      // A guarded run keeps only its best model (saved when measured); others keep the latest.
      if ((epochEnded || finished) && !(config.guard && probe)) {
        await learner.prepareExport?.();
        saveModel();
      }
      if (finished) status = 'finished';
      else if (controls.cancel?.aborted) status = 'cancelled';
      else if (controls.pause?.aborted) status = 'paused';
      if (status === 'running') updateRunProgress(db, runId, { epoch: epochsDone(), step });
    }
  } catch (error) {
    status = 'failed';
    message = `${(error as Error).message}${lastCheckpoint ? ` The last checkpoint is kept: ${lastCheckpoint}.` : ''}`;
    throw Object.assign(error as Error, { runId });
  } finally {
    await pipeline?.close();
    await learner.dispose();
    if (status === 'paused')
      message = `Paused at step ${step}: \`dinoscope train --resume ${runId}\` continues it.`;
    if (status === 'cancelled') message = `Cancelled at step ${step}.`;
    updateRunProgress(db, runId, { epoch: epochsDone(), step });
    setRunStatus(db, runId, status === 'running' ? 'failed' : status, message);
  }
  return {
    runId,
    status,
    step,
    epoch: epochsDone(),
    message,
    modelId,
    lastCheckpoint,
    lastLoss,
    health,
    best,
  };
}

/** The probe on the run's images; null when there are too few photos to measure. */
async function openProbe(
  db: Db,
  imageIds: number[],
  config: TrainingPlan['config'],
  vit: VitConfig,
): Promise<FeatureProbe | null> {
  const wanted = new Set(imageIds);
  const images = listTrainableImages(db).filter((image) => wanted.has(image.id));
  return FeatureProbe.open(db, images, {
    vit,
    size: config.globalCropSize,
    sampleSize: config.healthSampleSize,
    knnSampleSize: config.knnSampleSize,
    seed: config.seed,
  });
}

/** The run's image list as it started; images since removed from the library are dropped, with a warning. */
function readRunImages(dir: string, current: number[], warn: (message: string) => void): number[] {
  const file = join(dir, RUN_IMAGES_FILE);
  if (!existsSync(file)) return current;
  const saved = JSON.parse(readFileSync(file, 'utf8')) as number[];
  const available = new Set(current);
  const kept = saved.filter((id) => available.has(id));
  if (kept.length < saved.length) {
    warn(
      `${saved.length - kept.length} of the run's ${saved.length} images are no longer in the library: training continues without them (no longer an exact replay).`,
    );
  }
  return kept;
}

/** The teacher backbone as a library model (official names), created once per run and updated at each epoch end. */
export function saveTeacherModel(
  db: Db,
  libraryFile: string,
  runId: number,
  vit: VitConfig,
  backbone: NamedTensors,
  modelId: number | null,
): number {
  const folder = join(libraryDataFolder(libraryFile), 'models');
  mkdirSync(folder, { recursive: true });
  if (modelId !== null) {
    const model = getModel(db, modelId);
    writeSafetensors(model.weightsPath, backbone, { source: `dinoscope training run ${runId}` });
    forgetEmbeddingsOfModel(db, modelId);
    return modelId;
  }
  const weightsPath = join(folder, `run-${runId}-teacher.safetensors`);
  writeSafetensors(weightsPath, backbone, { source: `dinoscope training run ${runId}` });
  return addModel(db, {
    name: `run ${runId} ${describeVit(vit)} teacher`,
    source: 'trained',
    config: vit,
    weightsPath,
    runId,
  }).id;
}

function writeJsonAtomically(file: string, value: unknown): void {
  const temporary = `${file}.tmp-${process.pid}`;
  writeFileSync(temporary, JSON.stringify(value));
  renameSync(temporary, file);
}

export type { DinoLearner, TrainingSchedules };
