import * as tf from '@tensorflow/tfjs';
import type { NamedTensors } from '../engine/host-tensor.ts';
import { gpuOutOfMemoryScope, isOutOfMemoryError } from '../engine/out-of-memory.ts';
import { DinoHead, type DinoHeadConfig } from '../model/dino-head.ts';
import type { Uniform } from '../model/initialisation.ts';
import { toComputeLayout, toReferenceLayout } from '../model/parameter-layout.ts';
import type { ParameterSet } from '../model/parameter-set.ts';
import { VisionTransformer } from '../model/vision-transformer.ts';
import type { VitConfig } from '../model/vit-config.ts';
import { ADAMW_DEFAULTS, AdamW, type AdamWOptions, isDecayed } from './adamw.ts';
import { dinoLoss, updatedCenter } from './dino-loss.ts';
import { keptBlocks } from './step-memory.ts';
import { updateTeacher } from './teacher-ema.ts';

/**
 * One DINO training step, as the body of the reference `train_one_epoch`: the teacher sees the
 * 2 global views, the student every view; the loss is computed, the student's gradients clipped
 * per parameter, the last layer's gradient dropped while frozen, AdamW applied; then the center
 * and the teacher (EMA of backbone and head) follow.
 *
 * The state (student, teacher, AdamW moments, loss center) travels as `NamedTensors` with the
 * reference names: `student.backbone.*`, `student.head.*`, `teacher.backbone.*`,
 * `teacher.head.*`, `optimizer.exp_avg.<student param>`, `optimizer.exp_avg_sq.<student param>`,
 * `optimizer.step.<student param>` (AdamW's per-parameter step count, [1]), `dino_loss.center`.
 * A student parameter is `backbone.<name>` or `head.<name>`.
 */
export interface DinoModelConfig {
  vit: VitConfig;
  head: DinoHeadConfig;
}

export interface DinoStepConfig {
  /** Stochastic depth of the student's blocks (reference 0.1; the teacher has none). */
  dropPathRate: number;
  /** Per-parameter gradient norm clip (reference 3.0); 0 turns it off. */
  clipGrad: number;
  /** Epochs during which the head's last layer gets no update (reference 1). */
  freezeLastLayerEpochs: number;
  /** Epochs during which the backbone gets no update, only the head (adapting good weights; 0 from scratch). */
  freezeBackboneEpochs: number;
  /** Student softmax temperature (reference 0.1). */
  studentTemp: number;
  /** EMA momentum of the loss center (reference 0.9). */
  centerMomentum: number;
  adamw: AdamWOptions;
  /**
   * Memory the student's activations may take for the backward: the blocks' inputs, the caches
   * of the blocks that keep theirs, the block in flight. 2.5 GB leaves room in the wasm backend's
   * 4 GiB heap for weights, moments and fragmentation; blocks beyond it recompute their forward
   * in the backward (activation checkpointing).
   */
  activationMemoryBytes: number;
  /**
   * Images per student forward/backward; the gradients of the micro-batches are summed (each
   * micro-batch's loss weighted by its share of the batch) before one clip, update and EMA, so
   * the step is the whole batch's. 0 = the whole batch at once.
   */
  microBatchSize: number;
}

export const DINO_STEP_DEFAULTS: DinoStepConfig = {
  dropPathRate: 0.1,
  clipGrad: 3.0,
  freezeLastLayerEpochs: 1,
  freezeBackboneEpochs: 0,
  studentTemp: 0.1,
  centerMomentum: 0.9,
  adamw: ADAMW_DEFAULTS,
  activationMemoryBytes: 2.5e9,
  microBatchSize: 0,
};

/** The schedules' values for this step (see schedules.ts and dino-loss.ts). */
export interface StepSchedule {
  epoch: number;
  lr: number;
  weightDecay: number;
  teacherMomentum: number;
  teacherTemp: number;
}

/** What `computeGradients` gives for one share of a batch. */
export interface ShardGradients {
  /** Gradients of weight·loss, by student parameter name. */
  gradients: Map<string, tf.Tensor>;
  /** The share's own loss (not weighted). */
  loss: number;
  teacherEntropy: number;
  /** Σ of the teacher's output rows [1, outDim], for the center. */
  teacherOutputSum: tf.Tensor2D;
  teacherRows: number;
}

export interface StepResult {
  loss: number;
  /** Mean entropy of the teacher's targets in nats: near 0 or ln(outDim) over a long window means collapse. */
  teacherEntropy: number;
}

/** Thrown before anything is updated when the loss is NaN or infinite: the state is the last good one. */
export class NonFiniteLossError extends Error {
  constructor(readonly loss: number) {
    super(
      `The DINO loss is ${loss}: training is diverging. Lower the learning rate, ` +
        'raise the warm-up, or keep gradient clipping on; the last checkpoint is intact.',
    );
    this.name = 'NonFiniteLossError';
  }
}

interface Network {
  backbone: VisionTransformer;
  head: DinoHead;
}

/** The summed gradients of a batch before their loss is read: `finish` with the values, or `dispose`. */
interface PendingGradients {
  loss: tf.Scalar;
  teacherEntropy: tf.Scalar;
  finish(loss: number, teacherEntropy: number): ShardGradients;
  dispose(): void;
}

export class DinoTrainingState {
  readonly student: Network;
  readonly teacher: Network;
  readonly optimizer: AdamW;
  private center: tf.Variable;
  private readonly studentParameters: Map<string, tf.Variable>;
  private readonly teacherParameters: Map<string, tf.Variable>;
  private readonly referenceShapes = new Map<string, number[]>();
  private microBatch: number;
  /** Told when a step is retried with smaller micro-batches after running out of memory. */
  onNotice: (message: string) => void = () => {};
  /** Called with each micro-batch's size before its forward: tests force an out-of-memory failure here. */
  beforeMicroBatch: ((images: number) => void) | null = null;

  private constructor(
    readonly model: DinoModelConfig,
    readonly settings: DinoStepConfig,
    student: { backbone?: NamedTensors; head?: NamedTensors },
    teacher: { backbone?: NamedTensors; head?: NamedTensors },
    random: Uniform,
  ) {
    this.student = {
      backbone: new VisionTransformer(model.vit, student.backbone, { random, trainable: true }),
      head: new DinoHead(model.head, student.head, { random, trainable: true }),
    };
    // The reference starts the teacher as a copy of the student.
    this.teacher = {
      backbone: new VisionTransformer(model.vit, teacher.backbone ?? this.student.backbone.getWeights()),
      head: new DinoHead(model.head, teacher.head ?? this.student.head.getWeights()),
    };
    this.studentParameters = namespaced(this.student);
    this.teacherParameters = namespaced(this.teacher);
    for (const [prefix, set] of [
      ['backbone.', this.student.backbone.parameters],
      ['head.', this.student.head.parameters],
    ] as const) {
      for (const [name, spec] of set.specs) this.referenceShapes.set(`${prefix}${name}`, spec.shape);
    }
    this.optimizer = new AdamW(
      this.studentParameters,
      (name) => isDecayed(name, this.referenceShapes.get(name) ?? []),
      settings.adamw,
    );
    this.center = tf.variable(tf.zeros([1, model.head.outDim]), false);
    this.microBatch = settings.microBatchSize;
  }

  /** A new run: random student (or the given weights), teacher = student, zero center, no moments. */
  static create(
    model: DinoModelConfig,
    settings: Partial<DinoStepConfig> = {},
    options: { random?: Uniform; backbone?: NamedTensors; head?: NamedTensors } = {},
  ): DinoTrainingState {
    return new DinoTrainingState(
      model,
      { ...DINO_STEP_DEFAULTS, ...settings },
      { backbone: options.backbone, head: options.head },
      {},
      options.random ?? Math.random,
    );
  }

  /** Restores a state written by `toNamedTensors` (a checkpoint). */
  static fromNamedTensors(
    model: DinoModelConfig,
    tensors: NamedTensors,
    settings: Partial<DinoStepConfig> = {},
  ): DinoTrainingState {
    const part = (prefix: string) => {
      const out: NamedTensors = new Map();
      for (const [name, t] of tensors) if (name.startsWith(prefix)) out.set(name.slice(prefix.length), t);
      return out;
    };
    const state = new DinoTrainingState(
      model,
      { ...DINO_STEP_DEFAULTS, ...settings },
      { backbone: part('student.backbone.'), head: part('student.head.') },
      { backbone: part('teacher.backbone.'), head: part('teacher.head.') },
      Math.random,
    );
    const center = tensors.get('dino_loss.center');
    if (!center || center.data.length !== model.head.outDim) {
      state.dispose();
      throw new Error(`The checkpoint has no dino_loss.center of ${model.head.outDim} values.`);
    }
    state.center.assign(tf.tensor2d(center.data, [1, model.head.outDim]));
    for (const [name, step] of part('optimizer.step.')) {
      const expAvg = tensors.get(`optimizer.exp_avg.${name}`);
      const expAvgSq = tensors.get(`optimizer.exp_avg_sq.${name}`);
      if (!expAvg || !expAvgSq)
        throw new Error(`The checkpoint has a step count but no moments for ${name}.`);
      const load = (t: { shape: number[]; data: Float32Array }) => {
        const c = toComputeLayout(t);
        return tf.tensor(c.data, c.shape);
      };
      const [m, v] = [load(expAvg), load(expAvgSq)];
      state.optimizer.importState(name, step.data[0], m, v);
      tf.dispose([m, v]);
    }
    return state;
  }

  /**
   * `toNamedTensors` without blocking reads: every tensor is fetched asynchronously first (tfjs
   * keeps the values on the CPU), so the synchronous export then finds them there (WebGPU).
   */
  async toNamedTensorsAsync(): Promise<NamedTensors> {
    await this.prefetch();
    return this.toNamedTensors();
  }

  /** Fetches every tensor of the state to the CPU without blocking (see `toNamedTensorsAsync`). */
  prefetch(): Promise<void> {
    return prefetch(this.allTensors());
  }

  private allTensors(): tf.Tensor[] {
    const optimizer = [...this.optimizer.exportState().values()].flatMap((s) => [s.expAvg, s.expAvgSq]);
    return [
      ...this.studentParameters.values(),
      ...this.teacherParameters.values(),
      ...optimizer,
      this.center,
    ];
  }

  /** The whole state with the reference names (see the top of this file). */
  toNamedTensors(): NamedTensors {
    const out: NamedTensors = new Map();
    const add = (prefix: string, tensors: NamedTensors) => {
      for (const [name, t] of tensors) out.set(`${prefix}${name}`, t);
    };
    add('student.backbone.', this.student.backbone.getWeights());
    add('student.head.', this.student.head.getWeights());
    add('teacher.backbone.', this.teacher.backbone.getWeights());
    add('teacher.head.', this.teacher.head.getWeights());
    for (const [name, s] of this.optimizer.exportState()) {
      const shape = this.referenceShapes.get(name) ?? s.expAvg.shape;
      const host = (t: tf.Tensor) =>
        toReferenceLayout({ shape: t.shape, data: (t.dataSync() as Float32Array).slice() }, shape);
      out.set(`optimizer.exp_avg.${name}`, host(s.expAvg));
      out.set(`optimizer.exp_avg_sq.${name}`, host(s.expAvgSq));
      out.set(`optimizer.step.${name}`, { shape: [1], data: Float32Array.of(s.step) });
    }
    out.set('dino_loss.center', {
      shape: [1, this.model.head.outDim],
      data: (this.center.dataSync() as Float32Array).slice(),
    });
    return out;
  }

  /**
   * One step on the views of one batch: `crops[0]` and `crops[1]` are the global views, the rest
   * local ones, each NHWC [B, H, W, 3]. `random` draws the student's drop-path masks.
   */
  step(crops: tf.Tensor4D[], schedule: StepSchedule, random: Uniform = Math.random): StepResult {
    return this.applyGradients(this.computeGradients(crops, schedule, random), schedule);
  }

  /**
   * The second half of a step on the whole batch's gradients: the update, the center and the
   * teacher. Takes the shard's tensors; on a NaN/∞ loss disposes them and changes nothing.
   */
  applyGradients(shard: ShardGradients, schedule: StepSchedule): StepResult {
    if (!Number.isFinite(shard.loss)) {
      tf.dispose([shard.teacherOutputSum, ...shard.gradients.values()]);
      throw new NonFiniteLossError(shard.loss);
    }
    const batchCenter = tf.div(shard.teacherOutputSum, shard.teacherRows) as tf.Tensor2D;
    shard.teacherOutputSum.dispose();
    this.applyUpdate(shard.gradients, schedule, batchCenter);
    batchCenter.dispose();
    return { loss: shard.loss, teacherEntropy: shard.teacherEntropy };
  }

  /**
   * The first half of a step, which changes nothing: teacher and student forward, the loss, and the
   * gradients of `weight`·loss. Data-parallel training runs it on a share of the batch in each
   * replica (weight = share size / batch size), sums the gradients, then applies one update.
   */
  computeGradients(
    crops: tf.Tensor4D[],
    schedule: StepSchedule,
    random: Uniform,
    weight = 1,
  ): ShardGradients {
    for (;;) {
      let pending: PendingGradients | null = null;
      try {
        pending = this.gradientTensors(crops, schedule, random, weight);
        return pending.finish(pending.loss.dataSync()[0], pending.teacherEntropy.dataSync()[0]);
      } catch (error) {
        pending?.dispose();
        if (!this.retryWithSmallerMicroBatches(error, crops[0].shape[0])) throw error;
      }
    }
  }

  /**
   * `computeGradients` reading the loss without blocking: WebGPU in Node has no synchronous
   * read-back (tfjs's `dataSync` there needs a browser's OffscreenCanvas). On WebGPU an
   * out-of-memory error is not thrown but reported to an error scope, which this watches.
   */
  async computeGradientsAsync(
    crops: tf.Tensor4D[],
    schedule: StepSchedule,
    random: Uniform,
    weight = 1,
  ): Promise<ShardGradients> {
    for (;;) {
      let pending: PendingGradients | null = null;
      const scope = gpuOutOfMemoryScope();
      try {
        pending = this.gradientTensors(crops, schedule, random, weight);
        const [loss, teacherEntropy] = await Promise.all([
          pending.loss.data(),
          pending.teacherEntropy.data(),
        ]);
        await scope.check();
        return pending.finish(loss[0], teacherEntropy[0]);
      } catch (error) {
        pending?.dispose();
        await scope.check().catch(() => {});
        if (!this.retryWithSmallerMicroBatches(error, crops[0].shape[0])) throw error;
      }
    }
  }

  /** `step` with the loss read without blocking (see `computeGradientsAsync`). */
  async stepAsync(
    crops: tf.Tensor4D[],
    schedule: StepSchedule,
    random: Uniform = Math.random,
  ): Promise<StepResult> {
    return this.applyGradients(await this.computeGradientsAsync(crops, schedule, random), schedule);
  }

  /** Images per micro-batch now (0 = the whole batch): the setting, halved by each out-of-memory retry. */
  get microBatchSize(): number {
    return this.microBatch;
  }

  /** After an out-of-memory error: halves the micro-batch and says so; false when it cannot (not memory, or 1 image). */
  private retryWithSmallerMicroBatches(error: unknown, batch: number): boolean {
    if (!isOutOfMemoryError(error)) return false;
    const current = Math.min(this.microBatch || batch, batch);
    if (current <= 1) return false;
    this.microBatch = Math.ceil(current / 2);
    const parts = Math.ceil(batch / this.microBatch);
    this.onNotice(
      `Out of memory with micro-batches of ${current} images (${firstLine(error)}): retrying the step as ${parts} micro-batches of ${this.microBatch} (same result, less memory at once).`,
    );
    return true;
  }

  /**
   * The gradients of the batch, summed over micro-batches of the student: the teacher's outputs
   * are computed for the whole batch first (no gradient), then each micro-batch runs the
   * student's forward and backward on its images against their teacher rows, its loss weighted
   * by its share of the batch, so that the sums are the whole batch's loss and gradients.
   */
  private gradientTensors(
    crops: tf.Tensor4D[],
    schedule: StepSchedule,
    random: Uniform,
    weight: number,
  ): PendingGradients {
    if (crops.length < 2) throw new Error('A DINO step needs at least the 2 global views.');
    const batch = crops[0].shape[0];
    const size = Math.max(1, Math.min(this.microBatch || batch, batch));
    const teacherOutput = this.teacherForward(crops.slice(0, 2), size);
    const trainable = this.trainableNames.map((name) => this.studentParameters.get(name) as tf.Variable);
    const sums = new Map<string, tf.Tensor>();
    let lossSum: tf.Scalar | null = null;
    let entropySum: tf.Scalar | null = null;
    const add = (sum: tf.Scalar | null, term: tf.Scalar): tf.Scalar => {
      if (!sum) return term;
      const next = tf.add(sum, term) as tf.Scalar;
      tf.dispose([sum, term]);
      return next;
    };
    try {
      for (let start = 0; start < batch; start += size) {
        const images = Math.min(size, batch - start);
        this.beforeMicroBatch?.(images);
        const whole = images === batch;
        const share = images / batch;
        const microCrops = whole
          ? crops
          : crops.map((crop) => tf.slice(crop, [start, 0, 0, 0], [images, -1, -1, -1]));
        const microTeacher = whole
          ? teacherOutput
          : tf.tidy(() =>
              tf.concat([
                tf.slice(teacherOutput, [start, 0], [images, -1]),
                tf.slice(teacherOutput, [batch + start, 0], [images, -1]),
              ]),
            );
        let entropy: tf.Scalar | undefined;
        let unweighted: tf.Scalar | undefined;
        try {
          const { value, grads } = tf.variableGrads(() => {
            const studentOutput = this.studentForward(microCrops, random);
            const terms = dinoLoss(studentOutput, microTeacher, this.center, schedule.teacherTemp, {
              ncrops: crops.length,
              studentTemp: this.settings.studentTemp,
            });
            entropy = tf.keep(
              whole ? terms.teacherEntropy : (tf.mul(terms.teacherEntropy, share) as tf.Scalar),
            );
            unweighted = tf.keep(whole ? terms.loss : (tf.mul(terms.loss, share) as tf.Scalar));
            const scale = weight * share;
            return scale === 1 ? terms.loss : (tf.mul(terms.loss, scale) as tf.Scalar);
          }, trainable);
          if (value !== unweighted) value.dispose();
          lossSum = add(lossSum, unweighted as tf.Scalar);
          entropySum = add(entropySum, entropy as tf.Scalar);
          for (const name of this.trainableNames) {
            const gradient = grads[(this.studentParameters.get(name) as tf.Variable).name];
            const sum = sums.get(name);
            if (!sum) sums.set(name, gradient);
            else {
              sums.set(name, tf.add(sum, gradient));
              tf.dispose([sum, gradient]);
            }
          }
        } finally {
          if (!whole) tf.dispose([...microCrops, microTeacher]);
        }
      }
    } catch (error) {
      tf.dispose([teacherOutput, ...sums.values()]);
      if (lossSum) tf.dispose(lossSum);
      if (entropySum) tf.dispose(entropySum);
      throw error;
    }
    const loss = lossSum as unknown as tf.Scalar;
    const teacherEntropy = entropySum as unknown as tf.Scalar;
    return {
      loss,
      teacherEntropy,
      dispose: () => tf.dispose([loss, teacherEntropy, teacherOutput, ...sums.values()]),
      finish: (lossValue, entropyValue) => {
        tf.dispose([loss, teacherEntropy]);
        const gradients = new Map(this.trainableNames.map((name) => [name, sums.get(name) as tf.Tensor]));
        const teacherOutputSum = tf.sum(teacherOutput, 0, true) as tf.Tensor2D;
        const teacherRows = teacherOutput.shape[0];
        teacherOutput.dispose();
        return { gradients, loss: lossValue, teacherEntropy: entropyValue, teacherOutputSum, teacherRows };
      },
    };
  }

  /**
   * The second half of a step, from the batch's gradients (which it disposes) and the mean of the
   * teacher's outputs over the batch: per-parameter clipping, the frozen last layer left out,
   * AdamW, the new center, the teacher's EMA.
   */
  applyUpdate(gradients: Map<string, tf.Tensor>, schedule: StepSchedule, batchCenter: tf.Tensor2D): void {
    // A frozen gradient is dropped whole, so clipping it first (as the reference does) changes nothing.
    if (schedule.epoch < this.settings.freezeLastLayerEpochs) {
      for (const name of [...gradients.keys()].filter((n) => n.includes('last_layer'))) {
        gradients.get(name)?.dispose();
        gradients.delete(name);
      }
    }
    if (schedule.epoch < this.settings.freezeBackboneEpochs) {
      for (const name of [...gradients.keys()].filter((n) => n.startsWith('backbone.'))) {
        gradients.get(name)?.dispose();
        gradients.delete(name);
      }
    }
    this.optimizer.step(gradients, schedule.lr, schedule.weightDecay, this.settings.clipGrad);
    tf.dispose([...gradients.values()]);
    const center = updatedCenter(this.center, batchCenter, this.settings.centerMomentum);
    this.center.assign(center);
    center.dispose();
    updateTeacher(this.teacherParameters, this.studentParameters, schedule.teacherMomentum);
  }

  /** Their shapes in the compute layout, as the gradients have them. */
  trainableShapes(): Map<string, number[]> {
    return new Map(this.trainableNames.map((name) => [name, this.studentParameters.get(name)?.shape ?? []]));
  }

  /** The student's trainable parameters (`backbone.…`, `head.…`) in a fixed order. */
  get trainableNames(): string[] {
    return [...this.studentParameters.entries()].filter(([, v]) => v.trainable).map(([name]) => name);
  }

  /**
   * Teacher logits for the global views, stacked view-major [2·B, outDim]. With micro-batches it
   * runs `chunk` images at a time (row by row the same numbers, no gradient), so that no tensor
   * of the teacher is bigger than the student's.
   */
  private teacherForward(globals: tf.Tensor4D[], chunk: number): tf.Tensor2D {
    const forward = (images: tf.Tensor4D) =>
      tf.tidy(() => this.teacher.head.forward(this.teacher.backbone.forward(images)));
    const batch = globals[0].shape[0];
    if (chunk >= batch) return tf.tidy(() => forward(tf.concat(globals, 0)));
    return tf.tidy(() => {
      const rows: tf.Tensor2D[] = [];
      for (const view of globals) {
        for (let start = 0; start < batch; start += chunk) {
          const images = Math.min(chunk, batch - start);
          rows.push(forward(tf.slice(view, [start, 0, 0, 0], [images, -1, -1, -1])));
        }
      }
      return tf.concat(rows, 0);
    });
  }

  /**
   * Student logits for every view, view-major. Consecutive views of the same size run through
   * the backbone together, as the reference `MultiCropWrapper`, then the head sees all at once.
   */
  private studentForward(crops: tf.Tensor4D[], random: Uniform): tf.Tensor2D {
    const groups: tf.Tensor4D[][] = [];
    for (const crop of crops) {
      const last = groups[groups.length - 1];
      if (last && last[0].shape[2] === crop.shape[2]) last.push(crop);
      else groups.push([crop]);
    }
    const keptBlocks = this.keptBlocks(groups);
    const dropPath =
      this.settings.dropPathRate > 0 ? { rate: this.settings.dropPathRate, random } : undefined;
    const features = groups.map((group) =>
      this.student.backbone.forwardForTraining(group.length > 1 ? tf.concat(group, 0) : group[0], {
        dropPath,
        keptBlocks,
      }),
    );
    return this.student.head.forward(features.length > 1 ? tf.concat(features, 0) : features[0]);
  }

  /**
   * How many blocks can keep their activations within `activationMemoryBytes`; the rest recompute.
   * The budget also holds every block's input (kept by the tape) and the block in flight in the
   * backward with its temporaries (about twice its cache).
   */
  private keptBlocks(groups: tf.Tensor4D[][]): number {
    const shapes = groups.map((group) => {
      const [, height, width] = group[0].shape;
      const images = group.reduce((n, crop) => n + crop.shape[0], 0);
      return { images, tokens: this.student.backbone.tokenShape(images, height, width).tokens };
    });
    return keptBlocks(this.student.backbone.config, shapes, this.settings.activationMemoryBytes);
  }

  /** The teacher's backbone weights: what training produces for embeddings and export. */
  teacherBackboneWeights(): NamedTensors {
    return this.teacher.backbone.getWeights();
  }

  dispose(): void {
    for (const network of [this.student, this.teacher]) {
      network.backbone.dispose();
      network.head.dispose();
    }
    this.optimizer.dispose();
    this.center.dispose();
  }
}

function namespaced(network: Network): Map<string, tf.Variable> {
  const out = new Map<string, tf.Variable>();
  const add = (prefix: string, set: ParameterSet) => {
    for (const [name, v] of set.variables) out.set(`${prefix}${name}`, v);
  };
  add('backbone.', network.backbone.parameters);
  add('head.', network.head.parameters);
  return out;
}

/** Reads every tensor asynchronously so that later synchronous reads hit the CPU copy tfjs keeps. */
async function prefetch(tensors: tf.Tensor[]): Promise<void> {
  await Promise.all(tensors.filter((t) => !t.isDisposed).map((t) => t.data()));
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0];
}
