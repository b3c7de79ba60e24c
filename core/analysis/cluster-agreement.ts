import { lowDimKnn } from './kd-tree.ts';

/**
 * How well found groups agree with known classes (class-named folders): the adjusted Rand index
 * (Hubert & Arabie 1985, as scikit-learn's `adjusted_rand_score`), purity, and for a map the
 * share of each point's 10 nearest map neighbours that carry its class.
 */
export interface ClusterAgreement {
  /** ARI over all labelled photos, the noise group counted as one more cluster: 1 is perfect, ~0 is chance. */
  adjustedRandIndex: number;
  /** ARI over the photos assigned to a cluster (noise left out). */
  adjustedRandIndexClustered: number;
  /** Share of clustered photos whose cluster's most common class is their own. */
  purity: number;
  /** Share of labelled photos in the noise group. */
  noiseFraction: number;
  classes: number;
  clusters: number;
}

/** Adjusted Rand index of two labelings of the same items (any integers; each value is one group). */
export function adjustedRandIndex(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  if (n !== b.length) throw new Error('Both labelings must cover the same items.');
  if (n < 2) return 1;
  const contingency = new Map<string, number>();
  const rows = new Map<number, number>();
  const columns = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const key = `${a[i]}:${b[i]}`;
    contingency.set(key, (contingency.get(key) ?? 0) + 1);
    rows.set(a[i], (rows.get(a[i]) ?? 0) + 1);
    columns.set(b[i], (columns.get(b[i]) ?? 0) + 1);
  }
  const pairs = (x: number) => (x * (x - 1)) / 2;
  let index = 0;
  for (const c of contingency.values()) index += pairs(c);
  let rowPairs = 0;
  for (const c of rows.values()) rowPairs += pairs(c);
  let columnPairs = 0;
  for (const c of columns.values()) columnPairs += pairs(c);
  const expected = (rowPairs * columnPairs) / pairs(n);
  const max = (rowPairs + columnPairs) / 2;
  // Both labelings a single group, or both all singletons: identical, as scikit-learn returns.
  if (max === expected) return 1;
  return (index - expected) / (max - expected);
}

/** Share of items whose group's most common class is their own. */
export function purity(groups: ArrayLike<number>, classes: ArrayLike<number>): number {
  const counts = new Map<number, Map<number, number>>();
  for (let i = 0; i < groups.length; i++) {
    let perClass = counts.get(groups[i]);
    if (!perClass) {
      perClass = new Map();
      counts.set(groups[i], perClass);
    }
    perClass.set(classes[i], (perClass.get(classes[i]) ?? 0) + 1);
  }
  let majority = 0;
  for (const perClass of counts.values()) majority += Math.max(...perClass.values());
  return groups.length > 0 ? majority / groups.length : 0;
}

/**
 * Agreement of clusters (−1 = noise) with classes (−1 = unlabelled, left out).
 */
export function clusterAgreement(clusters: ArrayLike<number>, classes: ArrayLike<number>): ClusterAgreement {
  const labelledClusters: number[] = [];
  const labelledClasses: number[] = [];
  const clusteredClusters: number[] = [];
  const clusteredClasses: number[] = [];
  for (let i = 0; i < clusters.length; i++) {
    if (classes[i] < 0) continue;
    labelledClusters.push(clusters[i]);
    labelledClasses.push(classes[i]);
    if (clusters[i] >= 0) {
      clusteredClusters.push(clusters[i]);
      clusteredClasses.push(classes[i]);
    }
  }
  const labelled = labelledClusters.length;
  return {
    adjustedRandIndex: adjustedRandIndex(labelledClusters, labelledClasses),
    adjustedRandIndexClustered: adjustedRandIndex(clusteredClusters, clusteredClasses),
    purity: purity(clusteredClusters, clusteredClasses),
    noiseFraction: labelled > 0 ? (labelled - clusteredClusters.length) / labelled : 0,
    classes: new Set(labelledClasses).size,
    clusters: new Set(clusteredClusters).size,
  };
}

/**
 * Share of the k nearest neighbours (Euclidean, in the given low-dimensional coordinates) that
 * share a point's class, over labelled points: how well a map keeps classes apart.
 */
export function neighbourLabelAgreement(
  coordinates: Float64Array | Float32Array,
  count: number,
  dim: number,
  classes: ArrayLike<number>,
  k = 10,
): number {
  const knn = lowDimKnn(coordinates, count, dim, Math.min(k, count - 1));
  let agree = 0;
  let total = 0;
  for (let i = 0; i < count; i++) {
    if (classes[i] < 0) continue;
    for (let j = 0; j < knn.k; j++) {
      const neighbour = knn.indices[i * knn.k + j];
      if (classes[neighbour] < 0) continue;
      total++;
      if (classes[neighbour] === classes[i]) agree++;
    }
  }
  return total > 0 ? agree / total : 0;
}
