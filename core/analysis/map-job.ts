import type { Worker } from 'node:worker_threads';
import { startTypeScriptWorker } from '../engine/typescript-worker.ts';
import { type ProgressListener, ProgressTracker } from '../jobs/progress.ts';
import { saveClusters } from '../store/clusters.ts';
import type { Db } from '../store/database.ts';
import { embeddingsFingerprint, loadEmbeddings } from '../store/embeddings.ts';
import { resolveModel } from '../store/models.ts';
import {
  loadProjection,
  type ProjectionParams,
  type ProjectionSummary,
  saveProjection,
} from '../store/projections.ts';
import { clusterAgreement, neighbourLabelAgreement } from './cluster-agreement.ts';
import { classOf } from './knn-evaluation.ts';
import { computeMap, type MapInput, type MapOutput, type MapPhase } from './map-compute.ts';
import type { MapWorkerMessage } from './map-worker.ts';

/**
 * `dinoscope map` as a function for the CLI and the app: the model's embeddings → k-NN graph →
 * UMAP layout → clusters, in a worker thread, stored per model with its parameters. A stored map
 * with the same parameters and the same embeddings is returned as it is.
 */
export interface MapJobOptions {
  /** Model id or name; default the newest. */
  model?: string | number;
  /** UMAP's n_neighbors (the photo itself included, as umap-js counts). */
  nNeighbors?: number;
  minDist?: number;
  seed?: number;
  /** 0 = by collection size (see `defaultMinClusterSize`). */
  minClusterSize?: number;
  /** Recompute even when the stored map is current. */
  force?: boolean;
  signal?: AbortSignal;
  onProgress?: ProgressListener;
  /** Compute in this thread (no worker start-up); the default is a worker thread. */
  inProcess?: boolean;
}

export const DEFAULT_MAP_OPTIONS = {
  nNeighbors: 15, // UMAP's default: local structure with some of the global layout
  minDist: 0.1, // UMAP's default
  seed: 42, // a fixed seed: the same library gives the same map until asked otherwise
};

export interface MapJobResult {
  model: { id: number; name: string };
  /** True when the stored map was current and nothing was computed. */
  reused: boolean;
  params: ProjectionParams;
  summary: ProjectionSummary;
  /** Clusters by decreasing size, the noise group (−1) last; representatives are image ids. */
  clusters: { cluster: number; size: number; representatives: number[] }[];
}

export async function runMapJob(db: Db, options: MapJobOptions = {}): Promise<MapJobResult> {
  const model = resolveModel(db, options.model);
  const nNeighbors = options.nNeighbors ?? DEFAULT_MAP_OPTIONS.nNeighbors;
  const minDist = options.minDist ?? DEFAULT_MAP_OPTIONS.minDist;
  const seed = options.seed ?? DEFAULT_MAP_OPTIONS.seed;
  const minClusterSize = options.minClusterSize ?? 0;
  checkOptions(nNeighbors, minDist, seed, minClusterSize);

  const fingerprint = embeddingsFingerprint(db, model.id);
  const stored = loadProjection(db, model.id);
  if (
    !options.force &&
    stored &&
    stored.embeddingsFingerprint === fingerprint &&
    stored.params.nNeighbors === nNeighbors &&
    stored.params.minDist === minDist &&
    stored.params.seed === seed &&
    (minClusterSize === 0 || stored.params.minClusterSize === minClusterSize)
  ) {
    return {
      model: { id: model.id, name: model.name },
      reused: true,
      params: stored.params,
      summary: stored.summary,
      clusters: storedClusters(db, model.id),
    };
  }

  const { imageIds, dim, vectors } = loadEmbeddings(db, model.id);
  if (imageIds.length === 0) {
    throw new Error(`Model "${model.name}" has no embeddings yet: run \`dinoscope embed\` first.`);
  }
  const started = performance.now();
  const input: MapInput = {
    vectors,
    count: imageIds.length,
    dim,
    nNeighbors,
    umap: { minDist, seed },
    clusters: { minClusterSize },
  };
  const output = await (options.inProcess ? computeInProcess : computeInWorker)(input, options);
  const totalSeconds = (performance.now() - started) / 1000;

  const params: ProjectionParams = {
    nNeighbors,
    minDist,
    seed,
    nEpochs: output.nEpochs,
    minClusterSize: output.minClusterSize,
    minSamples: output.minSamples,
  };
  const noise = output.clusters.find((c) => c.cluster < 0)?.size ?? 0;
  const summary: ProjectionSummary = {
    photos: imageIds.length,
    clusters: output.clusters.filter((c) => c.cluster >= 0).length,
    noise,
    knnEngine: output.knnEngine,
    seconds: { ...output.seconds, total: totalSeconds },
    classAgreement: classAgreement(db, imageIds, output),
  };
  const clusters = output.clusters.map((c) => ({
    cluster: c.cluster,
    size: c.size,
    representatives: c.representatives.map((row) => imageIds[row]),
  }));
  // A fingerprint taken before the work: embeddings added meanwhile leave the map stale, not wrong.
  db.transaction(() => {
    saveProjection(db, {
      modelId: model.id,
      params,
      embeddingsFingerprint: fingerprint,
      summary,
      imageIds,
      coordinates: output.coordinates,
    });
    saveClusters(db, model.id, clusters, { imageIds, labels: output.labels });
  })();
  return { model: { id: model.id, name: model.name }, reused: false, params, summary, clusters };
}

function checkOptions(nNeighbors: number, minDist: number, seed: number, minClusterSize: number): void {
  if (!Number.isInteger(nNeighbors) || nNeighbors < 2 || nNeighbors > 200) {
    throw new Error(`--neighbors must be a whole number from 2 to 200 (got ${nNeighbors}).`);
  }
  if (!(minDist >= 0 && minDist <= 1))
    throw new Error(`--min-dist must be between 0 and 1 (got ${minDist}).`);
  if (!Number.isInteger(seed)) throw new Error(`--seed must be a whole number (got ${seed}).`);
  if (!Number.isInteger(minClusterSize) || minClusterSize < 0 || minClusterSize === 1) {
    throw new Error(
      `--min-cluster-size must be 0 (automatic) or a whole number ≥ 2 (got ${minClusterSize}).`,
    );
  }
}

function storedClusters(db: Db, modelId: number): MapJobResult['clusters'] {
  return (
    db
      .prepare(
        'SELECT cluster, size, representatives FROM clusters WHERE model_id = ? ORDER BY cluster < 0, cluster',
      )
      .all(modelId) as { cluster: number; size: number; representatives: string }[]
  ).map((row) => ({ ...row, representatives: JSON.parse(row.representatives) as number[] }));
}

/** Agreement with class-named folders (the first folder under the added folder), when there are two or more. */
function classAgreement(
  db: Db,
  imageIds: Int32Array,
  output: MapOutput,
): ProjectionSummary['classAgreement'] {
  const relPath = db.prepare('SELECT rel_path AS relPath FROM images WHERE id = ?');
  const names = Array.from(imageIds, (id) => classOf((relPath.get(id) as { relPath: string }).relPath));
  const classNames = [...new Set(names.filter((name): name is string => name !== null))];
  if (classNames.length < 2) return null;
  const index = new Map(classNames.map((name, i) => [name, i]));
  const classes = Int32Array.from(names, (name) => (name === null ? -1 : (index.get(name) as number)));
  const agreement = clusterAgreement(output.labels, classes);
  return {
    classes: classNames.length,
    labelledPhotos: classes.filter((c) => c >= 0).length,
    mapNeighbourAgreement: neighbourLabelAgreement(output.coordinates, imageIds.length, 2, classes, 10),
    adjustedRandIndex: agreement.adjustedRandIndex,
    adjustedRandIndexClustered: agreement.adjustedRandIndexClustered,
    purity: agreement.purity,
    noiseFraction: agreement.noiseFraction,
  };
}

/** Turns (phase, done, total) into progress events, with rate and ETA per phase. */
function progressRelay(onProgress: ProgressListener | undefined) {
  let phase: MapPhase | null = null;
  let tracker: ProgressTracker | null = null;
  return (next: MapPhase, done: number, total: number) => {
    if (!onProgress) return;
    if (next !== phase || !tracker) {
      phase = next;
      tracker = new ProgressTracker('map', total);
    }
    tracker.setTotal(total);
    onProgress(tracker.update(done, { phase: next }));
  };
}

function computeInProcess(input: MapInput, options: MapJobOptions): Promise<MapOutput> {
  return computeMap(input, { signal: options.signal, onProgress: progressRelay(options.onProgress) });
}

/** A worker thread that runs map-worker.ts, the vectors moved to it rather than copied. */
function startMapWorker(input: MapInput): Worker {
  return startTypeScriptWorker(new URL('./map-worker.ts', import.meta.url), input, [
    input.vectors.buffer as ArrayBuffer,
  ]);
}

function computeInWorker(input: MapInput, options: MapJobOptions): Promise<MapOutput> {
  options.signal?.throwIfAborted();
  const relay = progressRelay(options.onProgress);
  return new Promise<MapOutput>((resolve, reject) => {
    const worker = startMapWorker(input);
    let settled = false;
    const finish = (action: () => void) => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', onAbort);
      action();
    };
    const onAbort = () => {
      finish(() => reject(options.signal?.reason ?? new Error('The map was cancelled.')));
      void worker.terminate();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (message: MapWorkerMessage) => {
      if (message.type === 'progress') relay(message.phase, message.done, message.total);
      else if (message.type === 'done') {
        finish(() => resolve(message.output));
        void worker.terminate();
      } else finish(() => reject(new Error(message.message)));
    });
    worker.on('error', (error) => finish(() => reject(error)));
    worker.on('exit', (code) =>
      finish(() => reject(new Error(`The map worker stopped unexpectedly (exit code ${code}).`))),
    );
  });
}
