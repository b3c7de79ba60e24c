import { type ProgressListener, ProgressTracker } from '../jobs/progress.ts';
import { listTrainableImages, type RgbImage, readTrainingCopy } from '../library/training-copy.ts';
import type { Db } from '../store/database.ts';
import { putEmbeddings } from '../store/embeddings.ts';
import { resolveModel } from '../store/models.ts';
import { type InferenceEngine, type ModelBackbone, openModelBackbone } from './model-backbone.ts';
import { resizeForCrop, writeCentreCrop } from './preprocess.ts';

/**
 * The embed job: every readable photo without an embedding for the model gets one, the
 * L2-normalised final-norm CLS token of its centre crop. Batches flow through two stages that
 * overlap — the next batch is decoded (sharp, on libuv threads) while ONNX Runtime runs the
 * current one — and each batch is committed in one transaction, so a kill loses at most the
 * batch in flight and a rerun picks up exactly the photos still missing (also new ones after a
 * rescan).
 */
export interface EmbedOptions {
  /** Model id or name; the newest model when absent. */
  model?: number | string;
  /** Images per inference call: large enough to keep the cores busy, small enough to commit often. */
  batchSize?: number;
  /** ONNX Runtime intra-op threads (default: one per core). */
  threads?: number;
  /** Let idle inference threads spin between runs (ONNX Runtime's default; `false` yields the cores to decoding). */
  spinning?: boolean;
  /** Force an engine (tests compare them); ONNX Runtime, else tfjs when it cannot load. */
  engine?: InferenceEngine;
  signal?: AbortSignal;
  onProgress?: ProgressListener;
}

export interface EmbedResult {
  modelId: number;
  modelName: string;
  engine: string;
  /** Photos that already had an embedding when the job started. */
  alreadyEmbedded: number;
  /** Photos embedded by this run. */
  embedded: number;
  /** Photos whose training copy could not be read: left for a rescan, reported here. */
  failed: { imageId: number; path: string; reason: string }[];
  cancelled: boolean;
  /** Wall time of the whole job. */
  seconds: number;
  /** Of which opening the model (ONNX graph, session): once per job, not per photo. */
  setupSeconds: number;
  /** Photos per second of embedding proper (decode + inference + writes), setup excluded. */
  imagesPerSecond: number;
}

/** 16 keeps ONNX Runtime at full speed on ViT-S (measured: 32 gains nothing) and commits often. */
const DEFAULT_BATCH = 16;

export async function embedLibrary(
  db: Db,
  libraryFile: string,
  options: EmbedOptions = {},
): Promise<EmbedResult> {
  const started = Date.now();
  const model = resolveModel(db, options.model);
  const batchSize = options.batchSize ?? DEFAULT_BATCH;
  const done = new Set(
    (
      db.prepare('SELECT image_id AS id FROM embeddings WHERE model_id = ?').all(model.id) as { id: number }[]
    ).map((row) => row.id),
  );
  const todo = listTrainableImages(db).filter((image) => !done.has(image.id));
  const tracker = new ProgressTracker('embed', todo.length);
  const result: EmbedResult = {
    modelId: model.id,
    modelName: model.name,
    engine: '',
    alreadyEmbedded: done.size,
    embedded: 0,
    failed: [],
    cancelled: false,
    seconds: 0,
    setupSeconds: 0,
    imagesPerSecond: 0,
  };
  if (todo.length === 0) {
    options.onProgress?.(tracker.update(0, { detail: { model: model.name } }));
    return finish(result, started);
  }
  // The total is known now; opening a large model can take seconds.
  options.onProgress?.(tracker.update(0, { detail: { model: model.name } }));
  const backbone = await openModelBackbone(db, libraryFile, model, {
    threads: options.threads,
    spinning: options.spinning,
    engine: options.engine,
  });
  result.engine = backbone.engine;
  result.setupSeconds = (Date.now() - started) / 1000;
  const size = backbone.height;
  try {
    const batches: (typeof todo)[] = [];
    for (let i = 0; i < todo.length; i += batchSize) batches.push(todo.slice(i, i + batchSize));
    let next = decodeBatch(db, batches[0], size, result.failed);
    for (let b = 0; b < batches.length; b++) {
      const decoded = await next;
      if (options.signal?.aborted) {
        result.cancelled = true;
        break;
      }
      // Decode batch b+1 while batch b is in ONNX Runtime.
      if (b + 1 < batches.length) next = decodeBatch(db, batches[b + 1], size, result.failed);
      if (decoded.ids.length > 0) {
        const cls = await backbone.embed(decoded.pixels, decoded.ids.length);
        putEmbeddings(db, model.id, normalisedRows(decoded.ids, cls, backbone.embedDim));
        result.embedded += decoded.ids.length;
      }
      const processed = result.embedded + result.failed.length;
      options.onProgress?.(
        tracker.update(processed, {
          detail: { model: model.name, engine: backbone.engine, failed: result.failed.length },
        }),
      );
    }
    if (options.signal?.aborted) result.cancelled = true;
    // Let a decode started for a batch we will not run settle before the connection is used again.
    await next.catch(() => undefined);
  } finally {
    await backbone.release();
  }
  return finish(result, started);
}

function finish(result: EmbedResult, started: number): EmbedResult {
  result.seconds = (Date.now() - started) / 1000;
  const working = result.seconds - result.setupSeconds;
  result.imagesPerSecond = working > 0 ? result.embedded / working : 0;
  return result;
}

interface DecodedBatch {
  ids: number[];
  /** NCHW, ImageNet-normalised, ids.length images. */
  pixels: Float32Array;
}

/** Decodes a batch concurrently; an unreadable image is reported and left out, never fatal. */
export async function decodeBatch(
  db: Db,
  images: { id: number; path: string }[],
  size: number,
  failed: EmbedResult['failed'],
): Promise<DecodedBatch> {
  const decoded = await Promise.all(
    images.map(async (image): Promise<RgbImage | null> => {
      try {
        return await resizeForCrop(await readTrainingCopy(db, image.id), size);
      } catch (error) {
        failed.push({
          imageId: image.id,
          path: image.path,
          reason: error instanceof Error ? error.message : String(error),
        });
        return null;
      }
    }),
  );
  const ids: number[] = [];
  const perImage = 3 * size * size;
  const pixels = new Float32Array(decoded.filter(Boolean).length * perImage);
  decoded.forEach((rgb, i) => {
    if (!rgb) return;
    writeCentreCrop(rgb, size, pixels, ids.length * perImage);
    ids.push(images[i].id);
  });
  return { ids, pixels };
}

/** Rows of `cls` scaled to unit length, as stored (cosine similarity is then a dot product). */
export function normalisedRows(
  ids: number[],
  cls: Float32Array,
  dim: number,
): { imageId: number; vector: Float32Array }[] {
  return ids.map((imageId, row) => {
    const vector = cls.slice(row * dim, (row + 1) * dim);
    let norm = 0;
    for (let i = 0; i < dim; i++) norm += vector[i] * vector[i];
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let i = 0; i < dim; i++) vector[i] *= scale;
    return { imageId, vector };
  });
}

export type { ModelBackbone };
