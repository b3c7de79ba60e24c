import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import type { BackendKind } from '../engine/backend.ts';
import { elementCount, type HostTensor, type NamedTensors } from '../engine/host-tensor.ts';
import { startTypeScriptWorker } from '../engine/typescript-worker.ts';
import type { Uniform } from '../model/initialisation.ts';
import { Random } from './random.ts';
import {
  type DinoModelConfig,
  type DinoStepConfig,
  type DinoTrainingState,
  NonFiniteLossError,
  type ShardGradients,
  type StepResult,
  type StepSchedule,
} from './train-step.ts';

/**
 * Data-parallel DINO training over the machine's cores, for backends that compute on one thread
 * (wasm runs single-threaded in Node; native TensorFlow already uses every core, so 1 replica).
 * Each replica (this thread and `replicas − 1` worker threads) holds the whole state. A step
 * splits the batch into shares; every replica computes the gradients of its share of the loss;
 * the gradients and teacher-output sums are added in shared memory; then every replica applies
 * the same update to the same state, so the replicas stay identical. The result is the full-batch
 * step up to float rounding (a different summation order).
 */
export interface DataParallelOptions {
  /** Replicas including this thread; default: one per core (at most 8), 1 on native TensorFlow. */
  replicas?: number;
  /** The backend the workers must use (the caller's active one). */
  backend?: BackendKind;
}

export function defaultReplicas(backend: BackendKind): number {
  if (backend === 'tensorflow' || backend === 'tensorflow-gpu' || backend === 'webgpu') return 1;
  return Math.max(1, Math.min(8, availableParallelism()));
}

/** Messages to a worker replica (see data-parallel-worker.ts). */
export type ReplicaRequest =
  | {
      type: 'gradients';
      views: HostTensor[];
      schedule: StepSchedule;
      seed: number;
      /** The replica's index: its drop-path generator is derived from the seed and it. */
      index: number;
      /** Its share of the batch: the loss it differentiates is weight·(its share's loss). */
      weight: number;
    }
  | { type: 'update'; schedule: StepSchedule; batchCenter: Float32Array }
  | { type: 'state' };

export type ReplicaReply =
  | { type: 'ready' }
  | { type: 'gradients'; loss: number; teacherEntropy: number; teacherRows: number; seconds: number }
  | { type: 'state'; tensors: NamedTensors }
  | { type: 'error'; message: string };

export interface ReplicaSetup {
  model: DinoModelConfig;
  settings: Partial<DinoStepConfig>;
  state: NamedTensors;
  backend?: BackendKind;
  /** Where this replica writes its gradients (then its teacher-output sum), and where it reads the sum. */
  own: SharedArrayBuffer;
  sum: SharedArrayBuffer;
}

/** Replica r's drop-path generator: replica 0 draws exactly as a single-thread step seeded the same. */
export function replicaRandom(seed: number, replica: number): Uniform {
  const random = new Random((seed + Math.imul(replica, 0x9e3779b9)) >>> 0);
  return () => random.random();
}

/** Splits every view along the batch into `count` shares as even as possible (views, not copies). */
export function splitBatch(views: HostTensor[], count: number): HostTensor[][] {
  const batch = views[0].shape[0];
  const shares: HostTensor[][] = [];
  let start = 0;
  for (let r = 0; r < count; r++) {
    const size = Math.floor(batch / count) + (r < batch % count ? 1 : 0);
    shares.push(
      views.map((view) => {
        const perImage = elementCount(view.shape) / view.shape[0];
        return {
          shape: [size, ...view.shape.slice(1)],
          data: view.data.subarray(start * perImage, (start + size) * perImage),
        };
      }),
    );
    start += size;
  }
  return shares;
}

/** Host views [B, H, W, 3] as crop tensors. */
export function cropTensors(views: HostTensor[]): tf.Tensor4D[] {
  return views.map((v) => tf.tensor4d(v.data, v.shape as [number, number, number, number]));
}

/** A replica's `computeGradients` on its share of the batch, as host views (their tensors freed after). */
export function shareGradients(
  state: DinoTrainingState,
  views: HostTensor[],
  schedule: StepSchedule,
  random: Uniform,
  weight = 1,
): ShardGradients {
  const crops = cropTensors(views);
  try {
    return state.computeGradients(crops, schedule, random, weight);
  } finally {
    tf.dispose(crops);
  }
}

/** Writes the gradients (in `names` order) then `extra` into one flat buffer. */
export function writeGradients(
  target: Float32Array,
  names: string[],
  gradients: Map<string, tf.Tensor>,
  extra: Float32Array,
): void {
  let offset = 0;
  for (const name of names) {
    const values = (gradients.get(name) as tf.Tensor).dataSync() as Float32Array;
    target.set(values, offset);
    offset += values.length;
  }
  target.set(extra, offset);
}

/** Tensors of the summed gradients, by name, read from the flat buffer. */
export function readGradients(
  source: Float32Array,
  names: string[],
  shapes: Map<string, number[]>,
): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  let offset = 0;
  for (const name of names) {
    const shape = shapes.get(name) as number[];
    const count = elementCount(shape);
    out.set(name, tf.tensor(source.subarray(offset, offset + count), shape));
    offset += count;
  }
  return out;
}

interface WorkerReplica {
  worker: Worker;
  own: Float32Array;
  pending: { resolve: (reply: ReplicaReply) => void; reject: (error: Error) => void } | null;
  failure: Error | null;
}

/** Where the last step's time went (seconds): for the benchmark's account of what bounds it. */
export interface StepTimings {
  /** This thread's share: forward, backward. */
  local: number;
  /** Each worker's share, as it measured it. */
  workers: number[];
  /** From this thread's share done to every worker's answer, then the sums. */
  waitAndSum: number;
  /** The update in this thread (clipping, AdamW, center, EMA). */
  update: number;
}

export class DataParallelTraining {
  lastTimings: StepTimings | null = null;

  private constructor(
    /** The replica in this thread: its state is the training's state. */
    readonly local: DinoTrainingState,
    private readonly workers: WorkerReplica[],
    private readonly own: Float32Array,
    private readonly sum: Float32Array,
    private readonly names: string[],
    private readonly shapes: Map<string, number[]>,
  ) {}

  /** Starts the replicas from `local`'s state (which this object now owns). */
  static async start(
    local: DinoTrainingState,
    options: DataParallelOptions = {},
  ): Promise<DataParallelTraining> {
    const replicas = Math.max(1, options.replicas ?? defaultReplicas(options.backend ?? 'wasm'));
    const names = local.trainableNames;
    const shapes = local.trainableShapes();
    // Gradients and the teacher-output sum, as one flat buffer per replica; one replica sums nothing.
    const floats =
      replicas > 1
        ? names.reduce((n, name) => n + elementCount(shapes.get(name) as number[]), 0) +
          local.model.head.outDim
        : 0;
    const buffer = () => new SharedArrayBuffer(4 * floats);
    const sum = buffer();
    const state = replicas > 1 ? local.toNamedTensors() : new Map();
    const workers: WorkerReplica[] = [];
    try {
      for (let r = 1; r < replicas; r++) {
        const own = buffer();
        const setup: ReplicaSetup = {
          model: local.model,
          settings: local.settings,
          state,
          backend: options.backend,
          own,
          sum,
        };
        const worker = startTypeScriptWorker(new URL('./data-parallel-worker.ts', import.meta.url), setup);
        const replica: WorkerReplica = { worker, own: new Float32Array(own), pending: null, failure: null };
        listen(replica, r);
        workers.push(replica);
      }
      await Promise.all(workers.map((w) => waitFor(w)));
    } catch (error) {
      await Promise.all(workers.map((w) => w.worker.terminate()));
      throw error;
    }
    return new DataParallelTraining(
      local,
      workers,
      new Float32Array(floats),
      new Float32Array(sum),
      names,
      shapes,
    );
  }

  get replicas(): number {
    return this.workers.length + 1;
  }

  /**
   * One step on a batch of host views (`views[0]`, `views[1]` global, NHWC). `seed` seeds the
   * drop-path masks. Throws NonFiniteLossError, with every replica unchanged, on a NaN/∞ loss.
   */
  async step(views: HostTensor[], schedule: StepSchedule, seed: number): Promise<StepResult> {
    if (this.workers.length === 0) return this.stepAlone(views, schedule, seed);
    const batch = views[0].shape[0];
    // A batch smaller than the replicas (a short last batch) leaves some workers without a share.
    const shares = splitBatch(views, Math.min(this.replicas, batch));
    const weights = shares.map((share) => share[0].shape[0] / batch);
    const computing = this.workers.slice(0, shares.length - 1);
    const replies = computing.map((w, i) => {
      // A view of a larger buffer would be cloned whole: send each share as its own buffers.
      const views = shares[i + 1].map((v) => ({ shape: v.shape, data: v.data.slice() }));
      const message: ReplicaRequest = {
        type: 'gradients',
        views,
        schedule,
        seed,
        index: i + 1,
        weight: weights[i + 1],
      };
      return request(
        w,
        message,
        views.map((v) => v.data.buffer as ArrayBuffer),
      );
    });
    const started = performance.now();
    const mine = shareGradients(this.local, shares[0], schedule, replicaRandom(seed, 0), weights[0]);
    writeGradients(this.own, this.names, mine.gradients, mine.teacherOutputSum.dataSync() as Float32Array);
    tf.dispose([...mine.gradients.values(), mine.teacherOutputSum]);
    let loss = weights[0] * mine.loss;
    let teacherEntropy = weights[0] * mine.teacherEntropy;
    let teacherRows = mine.teacherRows;
    const localDone = performance.now();
    const results = await Promise.all(replies);
    // Workers read `sum` only while applying an update, which they do before answering the next
    // step's request: by now they are done with the previous one.
    this.sum.set(this.own);
    results.forEach((reply, i) => {
      if (reply.type !== 'gradients') throw new Error(`Replica ${i + 1} answered ${reply.type}.`);
      loss += weights[i + 1] * reply.loss;
      teacherEntropy += weights[i + 1] * reply.teacherEntropy;
      teacherRows += reply.teacherRows;
      const theirs = computing[i].own;
      const sum = this.sum;
      for (let k = 0; k < sum.length; k++) sum[k] += theirs[k];
    });
    if (!Number.isFinite(loss)) throw new NonFiniteLossError(loss);
    const outDim = this.local.model.head.outDim;
    const center = this.sum.slice(this.sum.length - outDim);
    for (let k = 0; k < outDim; k++) center[k] /= teacherRows;
    for (const w of this.workers) post(w, { type: 'update', schedule, batchCenter: center });
    const summed = performance.now();
    const gradients = readGradients(this.sum, this.names, this.shapes);
    const batchCenter = tf.tensor2d(center, [1, outDim]);
    this.local.applyUpdate(gradients, schedule, batchCenter);
    batchCenter.dispose();
    this.lastTimings = {
      local: (localDone - started) / 1000,
      workers: results.map((r) => (r.type === 'gradients' ? r.seconds : 0)),
      waitAndSum: (summed - localDone) / 1000,
      update: (performance.now() - summed) / 1000,
    };
    return { loss, teacherEntropy };
  }

  /**
   * One replica (native TensorFlow, WebGPU, one core): the gradients stay on the device, no sums;
   * the loss is read without blocking, which WebGPU needs.
   */
  private async stepAlone(views: HostTensor[], schedule: StepSchedule, seed: number): Promise<StepResult> {
    const started = performance.now();
    const crops = cropTensors(views);
    let shard: ShardGradients;
    try {
      shard = await this.local.computeGradientsAsync(crops, schedule, replicaRandom(seed, 0));
    } finally {
      tf.dispose(crops);
    }
    const computed = performance.now();
    const result = this.local.applyGradients(shard, schedule);
    this.lastTimings = {
      local: (computed - started) / 1000,
      workers: [],
      waitAndSum: 0,
      update: (performance.now() - computed) / 1000,
    };
    return result;
  }

  /** The state of a worker replica: tests use it to check the replicas stay identical. */
  async workerState(index: number): Promise<NamedTensors> {
    const reply = await request(this.workers[index], { type: 'state' });
    if (reply.type !== 'state') throw new Error(`Replica ${index + 1} answered ${reply.type}.`);
    return reply.tensors;
  }

  async dispose(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
    this.local.dispose();
  }
}

function listen(replica: WorkerReplica, index: number): void {
  const fail = (error: Error) => {
    replica.failure = error;
    replica.pending?.reject(error);
    replica.pending = null;
  };
  replica.worker.on('message', (reply: ReplicaReply) => {
    if (reply.type === 'error') return fail(new Error(`Training replica ${index}: ${reply.message}`));
    const pending = replica.pending;
    replica.pending = null;
    pending?.resolve(reply);
  });
  replica.worker.on('error', (error) =>
    fail(new Error(`Training replica ${index} failed: ${error.message}`)),
  );
  replica.worker.on('exit', (code) => {
    if (code !== 0) fail(new Error(`Training replica ${index} exited with code ${code}.`));
  });
}

function post(replica: WorkerReplica, message: ReplicaRequest, transfer: ArrayBuffer[] = []): void {
  if (replica.failure) throw replica.failure;
  replica.worker.postMessage(message, transfer);
}

function waitFor(replica: WorkerReplica): Promise<ReplicaReply> {
  if (replica.failure) return Promise.reject(replica.failure);
  return new Promise((resolve, reject) => {
    replica.pending = { resolve, reject };
  });
}

function request(
  replica: WorkerReplica,
  message: ReplicaRequest,
  transfer: ArrayBuffer[] = [],
): Promise<ReplicaReply> {
  const reply = waitFor(replica);
  post(replica, message, transfer);
  return reply;
}
