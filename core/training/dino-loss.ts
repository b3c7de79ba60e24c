import * as tf from '@tensorflow/tfjs';
import { linspace } from './schedules.ts';

/**
 * The reference `DINOLoss`: cross-entropy between the teacher's centred, sharpened softmax over
 * the 2 global views and the student's softmax over every view, summed over all pairs of
 * different views and averaged over pairs and batch; the center is an EMA of the teacher's
 * outputs, updated after each step (it keeps the teacher from collapsing to one dimension).
 */
export interface DinoLossConfig {
  outDim: number;
  /** Views per image: 2 global + local ones. */
  ncrops: number;
  /** Teacher temperature at the start of its warm-up (reference 0.04). */
  warmupTeacherTemp: number;
  /** Teacher temperature after the warm-up (reference 0.04; 0.07 needs a longer warm-up). */
  teacherTemp: number;
  /** Epochs of linear teacher-temperature warm-up (reference 0). */
  warmupTeacherTempEpochs: number;
  /** Epochs of the run: the temperature schedule has one value per epoch. */
  nepochs: number;
  /** Student temperature (reference 0.1). */
  studentTemp: number;
  /** EMA momentum of the center (reference 0.9). */
  centerMomentum: number;
}

/** Teacher temperature per epoch: linear warm-up, then constant, as the reference. */
export function teacherTemperatureSchedule(config: DinoLossConfig): Float64Array {
  const schedule = new Float64Array(config.nepochs).fill(config.teacherTemp);
  schedule.set(
    linspace(config.warmupTeacherTemp, config.teacherTemp, config.warmupTeacherTempEpochs).subarray(
      0,
      config.nepochs,
    ),
  );
  return schedule;
}

export interface DinoLossTerms {
  loss: tf.Scalar;
  /** Mean entropy (nats) of the teacher's target distributions: near 0 or ln(outDim) means collapse. */
  teacherEntropy: tf.Scalar;
}

/**
 * The loss for student outputs [ncrops·B, outDim] and teacher outputs [2·B, outDim] (views
 * stacked view-major, as the reference's `chunk`), differentiable in the student outputs.
 */
export function dinoLoss(
  studentOutput: tf.Tensor2D,
  teacherOutput: tf.Tensor2D,
  center: tf.Tensor,
  teacherTemp: number,
  config: Pick<DinoLossConfig, 'ncrops' | 'studentTemp'>,
): DinoLossTerms {
  return tf.tidy(() => {
    const { ncrops } = config;
    const batch = teacherOutput.shape[0] / 2;
    if (studentOutput.shape[0] !== ncrops * batch) {
      throw new Error(
        `Student output has ${studentOutput.shape[0]} rows, expected ${ncrops} views x ${batch}.`,
      );
    }
    const studentLogProbs = tf.logSoftmax(tf.div(studentOutput, config.studentTemp));
    const teacherLogProbs = tf.logSoftmax(tf.div(tf.sub(teacherOutput, center), teacherTemp));
    const teacherProbs = tf.exp(teacherLogProbs);
    const studentViews = tf.split(studentLogProbs, ncrops, 0);
    const teacherViews = tf.split(teacherProbs, 2, 0);
    let total: tf.Scalar = tf.scalar(0);
    let terms = 0;
    teacherViews.forEach((q, teacherView) => {
      studentViews.forEach((logP, studentView) => {
        if (studentView === teacherView) return;
        total = tf.add(total, tf.mean(tf.sum(tf.mul(tf.neg(q), logP), -1)));
        terms += 1;
      });
    });
    const teacherEntropy = tf.mean(tf.neg(tf.sum(tf.mul(teacherProbs, teacherLogProbs), -1))) as tf.Scalar;
    return { loss: tf.div(total, terms) as tf.Scalar, teacherEntropy };
  });
}

/** center ← m·center + (1 − m)·batchCenter, the batch center being the mean of the teacher's outputs. */
export function updatedCenter(center: tf.Tensor, batchCenter: tf.Tensor2D, momentum: number): tf.Tensor2D {
  return tf.tidy(() => tf.add(tf.mul(center, momentum), tf.mul(batchCenter, 1 - momentum)) as tf.Tensor2D);
}
