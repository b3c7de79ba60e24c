import type { Worker } from 'node:worker_threads';
import type { HostTensor } from '../engine/host-tensor.ts';
import { startTypeScriptWorker } from '../engine/typescript-worker.ts';
import type { RgbPixels } from './augmentation/bicubic-resize.ts';
import { type MultiCropSpec, multiCropBatch } from './augmentation/multi-crop.ts';
import { Random, type RandomState } from './random.ts';

/**
 * Feeds training: each batch is the next images of the epoch's shuffled order, read from the
 * library's training copies and cut into 2 global + N local views (multi-crop). The work runs in
 * a worker thread with its own library connection, `prefetch` batches ahead, so that reading
 * (sharp decodes in libuv threads) and augmenting (plain JS) use the other core while the main
 * thread runs the training step (tfjs wasm is single-threaded).
 */
export interface PipelinePosition {
  /** Epoch of the next batch. */
  epoch: number;
  /** Batches of that epoch already delivered. */
  stepInEpoch: number;
  /** The random generator's state before the next batch. */
  random: RandomState;
}

export interface CropBatch {
  epoch: number;
  stepInEpoch: number;
  imageIds: number[];
  /** 2 global then N local views, each `[B, size, size, 3]` NHWC, ImageNet-normalised. */
  views: HostTensor[];
  /** 32 random bits drawn for the training step itself (drop-path), so that it too replays on resume. */
  stepSeed: number;
  /** Where the pipeline stands after this batch: what a checkpoint taken after its step records. */
  next: PipelinePosition;
  /** Milliseconds spent reading the images and cutting the views (in whichever thread did it). */
  readMs: number;
  augmentMs: number;
  /** Images that could not be read and were replaced by the next ones in the order. */
  skipped: string[];
}

export type ImageSource = { libraryFile: string } | { images: RgbPixels[] };

export interface CropPipelineOptions {
  source: ImageSource;
  /** Library image ids (for a library source) or indices into `images`, in a stable order. */
  imageIds: number[];
  spec: MultiCropSpec;
  batchSize: number;
  /** Seeds the per-epoch shuffles (as the reference's sampler seeds `seed + epoch`). */
  seed: number;
  start: PipelinePosition;
  /** Batches prepared ahead of the one being trained on (0: prepared on demand). */
  prefetch: number;
  /** Run in the calling thread instead of a worker (tests, previews, or when workers cannot start). */
  inThread?: boolean;
}

/** The reference drops the last incomplete batch (`drop_last=True`). */
export function stepsPerEpoch(imageCount: number, batchSize: number): number {
  return Math.floor(imageCount / batchSize);
}

/** The order of an epoch: a permutation seeded by the run seed and the epoch, like `DistributedSampler.set_epoch`. */
export function epochOrder(count: number, seed: number, epoch: number): Int32Array {
  return new Random((Math.imul(seed + 1, 0x9e3779b1) ^ Math.imul(epoch + 1, 0x85ebca6b)) >>> 0).permutation(
    count,
  );
}

/** Makes batches one after the other, from a position; the same in a worker and in-thread. */
export class BatchProducer {
  private position: PipelinePosition;
  private order: { epoch: number; order: Int32Array } | null = null;
  private readonly steps: number;

  constructor(
    private readonly imageIds: readonly number[],
    private readonly readImage: (id: number) => Promise<RgbPixels>,
    private readonly options: Pick<CropPipelineOptions, 'spec' | 'batchSize' | 'seed' | 'start'>,
    private readonly describe: (id: number) => string = (id) => `image ${id}`,
  ) {
    this.steps = stepsPerEpoch(imageIds.length, options.batchSize);
    if (this.steps === 0) {
      throw new Error(
        `Only ${imageIds.length} trainable images for a batch of ${options.batchSize}: add photos (\`dinoscope add\`, \`dinoscope scan\`) or use a smaller --batch.`,
      );
    }
    this.position = { ...options.start };
  }

  async produce(): Promise<CropBatch> {
    let { epoch, stepInEpoch } = this.position;
    if (stepInEpoch >= this.steps) {
      epoch += 1;
      stepInEpoch = 0;
    }
    if (this.order?.epoch !== epoch) {
      this.order = { epoch, order: epochOrder(this.imageIds.length, this.options.seed, epoch) };
    }
    const { order } = this.order;
    const batchSize = this.options.batchSize;
    const started = performance.now();
    const skipped: string[] = [];
    const loaded = await Promise.all(
      Array.from({ length: batchSize }, async (_, b) => {
        // A copy that cannot be read is replaced by the next image in the order (wrapping round).
        for (let attempt = 0; attempt < this.imageIds.length; attempt++) {
          const id = this.imageIds[order[(stepInEpoch * batchSize + b + attempt) % order.length]];
          try {
            return { id, image: await this.readImage(id) };
          } catch (error) {
            skipped.push(`${this.describe(id)}: ${(error as Error).message}`);
          }
        }
        throw new Error(
          `No training copy could be read (${skipped[0]}). Rescan the library (\`dinoscope scan\`).`,
        );
      }),
    );
    const read = performance.now();
    const random = new Random(this.position.random);
    const stepSeed = random.nextUint32();
    const { views } = multiCropBatch(
      loaded.map((entry) => entry.image),
      this.options.spec,
      random,
    );
    const next: PipelinePosition = { epoch, stepInEpoch: stepInEpoch + 1, random: random.getState() };
    this.position = next;
    return {
      epoch,
      stepInEpoch,
      imageIds: loaded.map((entry) => entry.id),
      views,
      stepSeed,
      next,
      readMs: read - started,
      augmentMs: performance.now() - read,
      skipped,
    };
  }
}

/** Batches on demand, prepared ahead in a worker thread (or in-thread when asked or when no worker can start). */
export class CropPipeline {
  private readonly ready: CropBatch[] = [];
  private readonly waiting: { resolve: (batch: CropBatch) => void; reject: (error: Error) => void }[] = [];
  private failure: Error | null = null;
  private requested = 0;
  private inThreadWork: Promise<void> = Promise.resolve();

  private constructor(
    readonly mode: 'worker' | 'in-thread',
    private readonly options: CropPipelineOptions,
    private readonly worker: Worker | null,
    private readonly producer: BatchProducer | null,
  ) {}

  static async open(options: CropPipelineOptions): Promise<CropPipeline> {
    if (!options.inThread) {
      const worker = startCropWorker(options);
      if (worker) {
        const pipeline = new CropPipeline('worker', options, worker, null);
        pipeline.listen(worker);
        pipeline.request(options.prefetch);
        return pipeline;
      }
    }
    const producer = await inThreadProducer(options);
    const pipeline = new CropPipeline('in-thread', options, null, producer);
    pipeline.request(options.prefetch);
    return pipeline;
  }

  /** The next batch; asks for one more so that `prefetch` stay in preparation. */
  next(): Promise<CropBatch> {
    if (this.failure) return Promise.reject(this.failure);
    const batch = this.ready.shift();
    const promise = batch
      ? Promise.resolve(batch)
      : new Promise<CropBatch>((resolve, reject) => this.waiting.push({ resolve, reject }));
    // Keep `prefetch` batches in preparation beyond those already asked for.
    const deficit = this.options.prefetch + this.waiting.length - (this.ready.length + this.requested);
    if (deficit > 0) this.request(deficit);
    return promise;
  }

  async close(): Promise<void> {
    if (this.worker) await this.worker.terminate();
    else await this.inThreadWork.catch(() => undefined);
  }

  private request(count: number): void {
    this.requested += count;
    if (this.worker) {
      for (let i = 0; i < count; i++) this.worker.postMessage({ type: 'produce' });
      return;
    }
    const producer = this.producer as BatchProducer;
    for (let i = 0; i < count; i++) {
      this.inThreadWork = this.inThreadWork.then(async () => {
        if (this.failure) return;
        try {
          this.deliver(await producer.produce());
        } catch (error) {
          this.fail(error as Error);
        }
      });
    }
  }

  private listen(worker: Worker): void {
    worker.on(
      'message',
      (message: { type: 'batch'; batch: CropBatch } | { type: 'error'; message: string }) => {
        if (message.type === 'batch') this.deliver(message.batch);
        else this.fail(new Error(message.message));
      },
    );
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) => {
      if (code !== 0 && code !== 1) this.fail(new Error(`The crop worker stopped (exit code ${code}).`));
    });
  }

  private deliver(batch: CropBatch): void {
    this.requested -= 1;
    const waiter = this.waiting.shift();
    if (waiter) waiter.resolve(batch);
    else this.ready.push(batch);
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    for (const waiter of this.waiting.splice(0)) waiter.reject(error);
  }
}

async function inThreadProducer(options: CropPipelineOptions): Promise<BatchProducer> {
  const { source } = options;
  if ('images' in source) {
    return new BatchProducer(options.imageIds, async (index) => source.images[index], options);
  }
  const [{ openDatabase }, { readTrainingCopy }] = await Promise.all([
    import('../store/database.ts'),
    import('../library/training-copy.ts'),
  ]);
  const db = openDatabase(source.libraryFile, { readonly: true });
  return new BatchProducer(
    options.imageIds,
    (id) => readTrainingCopy(db, id),
    options,
    (id) => describeImage(db, id),
  );
}

/** The image's path for messages about it. */
export function describeImage(
  db: { prepare(sql: string): { get(...args: unknown[]): unknown } },
  id: number,
) {
  const row = db.prepare('SELECT path FROM images WHERE id = ?').get(id) as { path: string } | undefined;
  return row ? row.path : `image ${id}`;
}

/** Starts the crop worker; null when no worker can start here (then the pipeline runs in-thread). */
function startCropWorker(options: CropPipelineOptions): Worker | null {
  try {
    return startTypeScriptWorker(new URL('./crop-worker.ts', import.meta.url), options);
  } catch {
    return null;
  }
}
