import { type ClusterOptions, type ClusterSummary, clusterMap } from './clusters.ts';
import type { KnnDistances } from './fuzzy-simplicial-set.ts';
import { knnGraph } from './knn-graph.ts';
import { defaultEpochs, type UmapOptions, umapLayout } from './umap-layout.ts';

/**
 * The map of one embedding matrix, start to finish: the exact cosine k-NN graph (SEARCH's
 * `knnGraph`), the 2-D UMAP layout on it, and the clusters on the layout. Pure computation, no
 * database: the map job runs it in a worker thread, tests and the benchmark call it directly.
 */
export interface MapInput {
  /** count × dim, L2-normalised rows. */
  vectors: Float32Array;
  count: number;
  dim: number;
  /** UMAP's n_neighbors, the point itself included (as umap-js counts it). */
  nNeighbors: number;
  umap: Partial<UmapOptions>;
  clusters: Partial<ClusterOptions>;
}

export interface MapOutput {
  /** count × 2 map coordinates. */
  coordinates: Float32Array;
  /** Per row: cluster or −1 (noise). */
  labels: Int32Array;
  clusters: ClusterSummary[];
  nEpochs: number;
  minClusterSize: number;
  minSamples: number;
  knnEngine: string;
  seconds: { knn: number; layout: number; clusters: number };
}

export type MapPhase = 'k-NN graph' | 'layout' | 'clusters';

export interface MapHooks {
  signal?: AbortSignal;
  onProgress?: (phase: MapPhase, done: number, total: number) => void;
}

export const MIN_MAP_POINTS = 3;

export async function computeMap(input: MapInput, hooks: MapHooks = {}): Promise<MapOutput> {
  const { vectors, count, dim } = input;
  if (count < MIN_MAP_POINTS) {
    throw new Error(`A map needs at least ${MIN_MAP_POINTS} embedded photos (there are ${count}).`);
  }
  // Small libraries: fewer neighbours than requested, never more than the other photos.
  const nNeighbors = Math.max(2, Math.min(input.nNeighbors, count - 1));
  let started = performance.now();
  const graph = await knnGraph(vectors, count, dim, nNeighbors - 1, {
    signal: hooks.signal,
    onProgress: (done, total) => hooks.onProgress?.('k-NN graph', done, total),
  });
  const knnSeconds = (performance.now() - started) / 1000;

  started = performance.now();
  const knn = withSelf(graph.indices, graph.similarities, count, nNeighbors);
  const nEpochs = input.umap.nEpochs || defaultEpochs(count);
  let lastReport = 0;
  const layout = umapLayout(
    knn,
    { ...input.umap, nComponents: 2, nEpochs },
    {
      signal: hooks.signal,
      onEpoch: (done, total) => {
        const now = performance.now();
        if (now - lastReport > 100 || done === total) {
          lastReport = now;
          hooks.onProgress?.('layout', done, total);
        }
      },
    },
  );
  const layoutSeconds = (performance.now() - started) / 1000;

  started = performance.now();
  hooks.onProgress?.('clusters', 0, 1);
  const clustering = clusterMap(layout, vectors, count, dim, input.clusters);
  hooks.onProgress?.('clusters', 1, 1);
  return {
    coordinates: Float32Array.from(layout),
    labels: clustering.labels,
    clusters: clustering.clusters,
    nEpochs,
    minClusterSize: clustering.minClusterSize,
    minSamples: clustering.minSamples,
    knnEngine: graph.engine,
    seconds: { knn: knnSeconds, layout: layoutSeconds, clusters: (performance.now() - started) / 1000 },
  };
}

/**
 * SEARCH's graph lists k − 1 other rows by cosine similarity; UMAP wants k rows with the point
 * itself first, by distance. Cosine distance 1 − s, clamped at 0 against float rounding.
 */
export function withSelf(
  indices: Int32Array,
  similarities: Float32Array,
  count: number,
  k: number,
): KnnDistances {
  const others = k - 1;
  const outIndices = new Int32Array(count * k);
  const distances = new Float32Array(count * k);
  for (let i = 0; i < count; i++) {
    outIndices[i * k] = i;
    distances[i * k] = 0;
    for (let j = 0; j < others; j++) {
      outIndices[i * k + 1 + j] = indices[i * others + j];
      distances[i * k + 1 + j] = Math.max(0, 1 - similarities[i * others + j]);
    }
  }
  return { count, k, indices: outIndices, distances };
}
