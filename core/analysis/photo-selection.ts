import type { PhotoFilter } from '../api.ts';
import { loadClusters } from '../store/clusters.ts';
import type { Db } from '../store/database.ts';
import { loadEmbeddings } from '../store/embeddings.ts';
import { resolveModel } from '../store/models.ts';
import { filterPhotos, isEmptyFilter } from '../store/photo-filter.ts';
import { tagsOfImages } from '../store/tags.ts';
import { DEFAULT_NEAR_DUPLICATE_SIMILARITY, kCenterGreedy, quotas } from './k-center.ts';

/**
 * `dinoscope select`: N photos that cover the collection (greedy k-center over the embeddings),
 * optionally with a quota per cluster, ready to tag or export. Photos already tagged count as
 * chosen, so the picks go where no label reaches yet (`ignoreTags` turns that off).
 */
export interface SelectionOptions {
  model?: string | number;
  count: number;
  perCluster?: boolean;
  nearDuplicateSimilarity?: number;
  ignoreTags?: boolean;
  filter?: PhotoFilter;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export interface PhotoSelection {
  model: { id: number; name: string };
  /** Image ids in the order picked (per cluster, clusters in order, then any extra global picks). */
  imageIds: number[];
  /** Cluster of each pick (−1: noise or no map). */
  clusters: number[];
  /** Photos considered (embedded, readable, inside the filter). */
  candidates: number;
  /** Tagged photos that counted as already chosen. */
  seeds: number;
  /** Fewer than asked: everything else is a near-duplicate of a pick. */
  exhausted: boolean;
  /** Cosine similarity of the least-covered candidate to its nearest pick, after the last pick. */
  coverage: number | null;
}

export async function selectPhotos(db: Db, options: SelectionOptions): Promise<PhotoSelection> {
  const model = resolveModel(db, options.model);
  const count = options.count;
  if (!Number.isInteger(count) || count < 1)
    throw new Error(`--count must be a positive whole number (got ${count}).`);
  const { imageIds, dim, vectors } = loadEmbeddings(db, model.id);
  const inFilter =
    options.filter && !isEmptyFilter(options.filter)
      ? new Set(filterPhotos(db, options.filter, { modelId: model.id }))
      : null;
  const tagged = options.ignoreTags ? new Map<number, string[]>() : tagsOfImages(db);
  const candidateRows: number[] = [];
  const seedRows: number[] = [];
  imageIds.forEach((id, row) => {
    if (tagged.has(id)) seedRows.push(row);
    else if (!inFilter || inFilter.has(id)) candidateRows.push(row);
  });
  const { members } = loadClusters(db, model.id);
  const clusterOf = (row: number) => members.get(imageIds[row]) ?? -1;
  const nearDuplicateSimilarity = options.nearDuplicateSimilarity ?? DEFAULT_NEAR_DUPLICATE_SIMILARITY;
  const picked: number[] = [];
  let exhausted = false;
  let coverage: number | null = null;
  const common = { nearDuplicateSimilarity, signal: options.signal };
  if (options.perCluster && members.size > 0) {
    const byCluster = new Map<number, number[]>();
    for (const row of candidateRows) {
      const cluster = clusterOf(row);
      const list = byCluster.get(cluster) ?? [];
      list.push(row);
      byCluster.set(cluster, list);
    }
    const order = [...byCluster.keys()].sort((a, b) => (a < 0 ? 1 : b < 0 ? -1 : a - b));
    const shares = quotas(
      order.map((c) => (byCluster.get(c) as number[]).length),
      count,
    );
    const seedsByCluster = new Map<number, number[]>();
    for (const row of seedRows) {
      const list = seedsByCluster.get(clusterOf(row)) ?? [];
      list.push(row);
      seedsByCluster.set(clusterOf(row), list);
    }
    for (const [i, cluster] of order.entries()) {
      if (shares[i] === 0) continue;
      const result = await kCenterGreedy(vectors, imageIds.length, dim, shares[i], {
        ...common,
        rows: byCluster.get(cluster),
        seeds: seedsByCluster.get(cluster),
      });
      picked.push(...result.rows);
    }
    // Clusters made of near-duplicates give back their unused quota: spend it on the whole set.
    if (picked.length < Math.min(count, candidateRows.length)) {
      const chosen = new Set(picked);
      const extra = await kCenterGreedy(vectors, imageIds.length, dim, count - picked.length, {
        ...common,
        rows: candidateRows.filter((row) => !chosen.has(row)),
        seeds: [...seedRows, ...picked],
      });
      picked.push(...extra.rows);
      exhausted = extra.exhausted;
      coverage = extra.coverage.at(-1) ?? null;
    }
  } else {
    const result = await kCenterGreedy(vectors, imageIds.length, dim, count, {
      ...common,
      rows: candidateRows,
      seeds: seedRows,
      onProgress: options.onProgress,
    });
    picked.push(...result.rows);
    exhausted = result.exhausted;
    coverage = result.coverage.at(-1) ?? null;
  }
  return {
    model: { id: model.id, name: model.name },
    imageIds: picked.map((row) => imageIds[row]),
    clusters: picked.map(clusterOf),
    candidates: candidateRows.length,
    seeds: seedRows.length,
    exhausted,
    coverage,
  };
}
