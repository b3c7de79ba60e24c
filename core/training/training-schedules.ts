import type { TrainingConfig } from './config.ts';
import { peakLearningRate } from './config.ts';
import type { StepValues } from './dino-learner.ts';
import { teacherTemperatureSchedule } from './dino-loss.ts';
import { cosineScheduler } from './schedules.ts';

/**
 * The per-step values of a run, precomputed as the reference does (`main_dino.py`): lr with linear
 * warm-up then cosine to min_lr, weight decay cosine up, teacher momentum cosine to 1, and the
 * teacher temperature per epoch (linear warm-up, then constant, as `DINOLoss`).
 */
export interface TrainingSchedules {
  lr: ArrayLike<number>;
  weightDecay: ArrayLike<number>;
  momentum: ArrayLike<number>;
  teacherTemp: ArrayLike<number>;
  at(step: number, epoch: number): Omit<StepValues, 'seed'>;
}

export function trainingSchedules(config: TrainingConfig, stepsPerEpoch: number): TrainingSchedules {
  const lr = cosineScheduler(
    peakLearningRate(config),
    config.minLr,
    config.epochs,
    stepsPerEpoch,
    config.warmupEpochs,
  );
  const weightDecay = cosineScheduler(
    config.weightDecay,
    config.weightDecayEnd,
    config.epochs,
    stepsPerEpoch,
  );
  const momentum = cosineScheduler(config.momentumTeacher, 1, config.epochs, stepsPerEpoch);
  const teacherTemp = teacherTemperatureSchedule({
    ...config,
    ncrops: 2 + config.localCropsNumber,
    nepochs: config.epochs,
  });
  return {
    lr,
    weightDecay,
    momentum,
    teacherTemp,
    at: (step, epoch) => ({
      epoch,
      lr: lr[step],
      weightDecay: weightDecay[step],
      momentum: momentum[step],
      teacherTemp: teacherTemp[Math.min(epoch, teacherTemp.length - 1)],
      freezeLastLayer: epoch < config.freezeLastLayer,
    }),
  };
}
