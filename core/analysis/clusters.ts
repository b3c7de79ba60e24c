import { hdbscan } from './hdbscan.ts';

/**
 * Groups of photos without asking for a number: HDBSCAN on the map's 2-D UMAP coordinates (UMAP
 * has already pulled each neighbourhood together, and the groups then match the islands a person
 * sees on the map). The measurement behind this choice is in bench/map.ts.
 */
export interface ClusterOptions {
  /** Smallest group called a cluster; 0 = `defaultMinClusterSize(count)`. */
  minClusterSize: number;
  /** HDBSCAN's min_samples (core distance neighbourhood); 0 = `defaultMinSamples(minClusterSize)`. */
  minSamples: number;
  /** Photos listed per cluster as its most representative (closest to its centroid). */
  representatives: number;
}

export const DEFAULT_CLUSTER_OPTIONS: ClusterOptions = {
  minClusterSize: 0,
  minSamples: 0,
  representatives: 12, // a row of thumbnails in the UI
};

/**
 * Grows with the square root of the collection: 2,000 photos → 22, 10,000 → 50, 100,000 → 158,
 * so a large library is summarised in tens of groups, not thousands, while small ones still split.
 */
export function defaultMinClusterSize(count: number): number {
  return Math.max(5, Math.round(Math.sqrt(count) / 2));
}

/** A small core neighbourhood keeps the noise group small on UMAP coordinates. */
export function defaultMinSamples(minClusterSize: number): number {
  return Math.min(minClusterSize, 10);
}

export interface ClusterSummary {
  /** −1 is the noise group. */
  cluster: number;
  size: number;
  /** Row numbers (into the embedding matrix), most representative first. */
  representatives: number[];
}

export interface Clustering {
  /** Per row: its cluster, or −1 (noise). */
  labels: Int32Array;
  /** Clusters by decreasing size, then the noise group when there is one. */
  clusters: ClusterSummary[];
  minClusterSize: number;
  minSamples: number;
}

export function clusterMap(
  coordinates: Float64Array | Float32Array,
  vectors: Float32Array,
  count: number,
  dim: number,
  options: Partial<ClusterOptions> = {},
): Clustering {
  const settings = { ...DEFAULT_CLUSTER_OPTIONS, ...options };
  const minClusterSize = settings.minClusterSize || defaultMinClusterSize(count);
  const minSamples = settings.minSamples || defaultMinSamples(minClusterSize);
  const found = hdbscan(coordinates, count, 2, { minClusterSize, minSamples });
  // Renumber by size so that cluster 0 is the largest: stable ids for the UI's colours.
  const sizes = new Int32Array(found.clusterCount);
  for (const label of found.labels) if (label >= 0) sizes[label]++;
  const bySize = Array.from(sizes.keys()).sort((a, b) => sizes[b] - sizes[a] || a - b);
  const renumber = new Int32Array(found.clusterCount);
  bySize.forEach((old, fresh) => {
    renumber[old] = fresh;
  });
  const labels = found.labels.map((label) => (label >= 0 ? renumber[label] : -1));
  const clusters = closestToCentroids(vectors, count, dim, labels, settings.representatives);
  return { labels, clusters, minClusterSize, minSamples };
}

/**
 * Per group (the noise group too), its size and the rows nearest to its centroid by cosine: the
 * photos that best stand for it. Rows are L2-normalised, so the nearest to the mean direction.
 */
export function closestToCentroids(
  vectors: Float32Array,
  count: number,
  dim: number,
  labels: Int32Array,
  keep: number,
): ClusterSummary[] {
  const groups = new Map<number, number[]>();
  for (let i = 0; i < count; i++) {
    let rows = groups.get(labels[i]);
    if (!rows) {
      rows = [];
      groups.set(labels[i], rows);
    }
    rows.push(i);
  }
  const summaries: ClusterSummary[] = [];
  const centroid = new Float64Array(dim);
  for (const [cluster, rows] of groups) {
    centroid.fill(0);
    for (const row of rows) for (let d = 0; d < dim; d++) centroid[d] += vectors[row * dim + d];
    const scored = rows.map((row) => {
      let s = 0;
      for (let d = 0; d < dim; d++) s += vectors[row * dim + d] * centroid[d];
      return { row, s };
    });
    scored.sort((a, b) => b.s - a.s || a.row - b.row);
    summaries.push({ cluster, size: rows.length, representatives: scored.slice(0, keep).map((x) => x.row) });
  }
  return summaries.sort((a, b) => (a.cluster < 0 ? 1 : b.cluster < 0 ? -1 : a.cluster - b.cluster));
}
