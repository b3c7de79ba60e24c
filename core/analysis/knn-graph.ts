import { blockTopKJs } from './block-top-k-js.ts';
import { checkMatrix } from './cosine-top-k.ts';

/** Row i's k nearest other rows: count × k, most similar first. */
export interface KnnGraph {
  indices: Int32Array;
  similarities: Float32Array;
}

export interface KnnSearchOptions {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/**
 * The exact cosine k-NN graph of L2-normalised rows (count × dim, row-major): for every row its k
 * most similar other rows, most similar first (ties: lower row first). What the map feeds to
 * umap-js `setPrecomputedKNN` and duplicate finding walks.
 */
export async function knnGraph(
  vectors: Float32Array,
  count: number,
  dim: number,
  k: number,
  options: KnnSearchOptions = {},
): Promise<KnnGraph> {
  checkMatrix(vectors, count, dim);
  if (!Number.isInteger(k) || k < 1 || k > count - 1)
    throw new Error(`k = ${k} neighbours need at least ${k + 1} rows; there are ${count}.`);
  const selection = await blockTopKJs(vectors, count, vectors, count, dim, k, {
    ...options,
    excludeSelf: true,
  });
  return { indices: selection.indices, similarities: selection.similarities };
}

/**
 * For each query row, its k most similar database rows (queryCount × k, most similar first): k-NN
 * classification of a held-out set against a training set.
 */
export async function crossTopK(
  queries: Float32Array,
  queryCount: number,
  database: Float32Array,
  databaseCount: number,
  dim: number,
  k: number,
  options: KnnSearchOptions = {},
): Promise<KnnGraph> {
  checkMatrix(queries, queryCount, dim);
  checkMatrix(database, databaseCount, dim);
  if (!Number.isInteger(k) || k < 1 || k > databaseCount)
    throw new Error(`k = ${k} neighbours need at least ${k} database rows; there are ${databaseCount}.`);
  const selection = await blockTopKJs(queries, queryCount, database, databaseCount, dim, k, options);
  return { indices: selection.indices, similarities: selection.similarities };
}
