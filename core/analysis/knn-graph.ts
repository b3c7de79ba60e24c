import { checkMatrix, TopKSelection } from './cosine-top-k.ts';
import { jsSimilarityTiles, type SimilarityTiles } from './similarity-tile.ts';

/** Row i's k nearest other rows: count × k, most similar first. */
export interface KnnGraph {
  indices: Int32Array;
  similarities: Float32Array;
}

export type KnnEngine = 'auto' | 'js' | 'onnx';

export interface KnnSearchOptions {
  signal?: AbortSignal;
  /** done/total in rows; called after every tile. */
  onProgress?: (done: number, total: number) => void;
  /**
   * Who multiplies: 'onnx' = ONNX Runtime's Gemm on every core, 'js' = plain JavaScript, 'auto' =
   * ONNX Runtime when the work is large enough to repay starting it and it loads, else JS.
   */
  engine?: KnnEngine;
  /** Rows per tile side: the tile's similarities (tile² floats) are what each step holds in memory. */
  tileRows?: number;
}

/** Below this many multiply-adds JS finishes before ONNX Runtime has started (~0.1 s). */
const AUTO_ONNX_MIN_WORK = 2e8;
/** 2048² floats = 16 MB per tile: large enough for Gemm to run at full speed, small enough to scan in cache-friendly rows. */
const DEFAULT_TILE_ROWS = 2048;

/**
 * The exact cosine k-NN graph of L2-normalised rows (count × dim, row-major): for every row its k
 * most similar other rows, most similar first (ties: lower row first). What the map feeds to
 * umap-js `setPrecomputedKNN` and duplicate finding walks.
 *
 * Exact: every pair is scored (in float32, like any BLAS). The similarity matrix is symmetric,
 * so only tiles on and above the diagonal are computed, and each scored pair is offered to both
 * of its rows: half the arithmetic of querying every row on its own.
 */
export async function knnGraph(
  vectors: Float32Array,
  count: number,
  dim: number,
  k: number,
  options: KnnSearchOptions = {},
): Promise<KnnGraph & { engine: 'js' | 'onnx' }> {
  checkMatrix(vectors, count, dim);
  if (!Number.isInteger(k) || k < 1 || k > count - 1)
    throw new Error(`k = ${k} neighbours need at least ${k + 1} rows; there are ${count}.`);
  const tiles = await similarityTiles(options.engine, (count * count * dim) / 2);
  try {
    const selection = new TopKSelection(count, k);
    const side = options.tileRows ?? DEFAULT_TILE_ROWS;
    const jobs: { a: number; b: number; work: number }[] = [];
    for (let a = 0; a < count; a += side) {
      for (let b = a; b < count; b += side) {
        const rows = Math.min(side, count - a);
        const columns = Math.min(side, count - b);
        jobs.push({ a, b, work: a === b ? (rows * (rows - 1)) / 2 : rows * columns });
      }
    }
    const block = (start: number) => vectors.subarray(start * dim, Math.min(count, start + side) * dim);
    const rowsOf = (start: number) => Math.min(side, count - start);
    await walkTiles(
      jobs,
      Math.min(side, count) ** 2,
      (job, out) => tiles.tile(block(job.a), rowsOf(job.a), block(job.b), rowsOf(job.b), dim, out),
      (job, scores) => scanSymmetricTile(scores, rowsOf(job.a), rowsOf(job.b), job.a, job.b, selection),
      count,
      options,
    );
    return { indices: selection.indices, similarities: selection.similarities, engine: tiles.name };
  } finally {
    await tiles.release();
  }
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
): Promise<KnnGraph & { engine: 'js' | 'onnx' }> {
  checkMatrix(queries, queryCount, dim);
  checkMatrix(database, databaseCount, dim);
  if (!Number.isInteger(k) || k < 1 || k > databaseCount)
    throw new Error(`k = ${k} neighbours need at least ${k} database rows; there are ${databaseCount}.`);
  const tiles = await similarityTiles(options.engine, queryCount * databaseCount * dim);
  try {
    const selection = new TopKSelection(queryCount, k);
    const side = options.tileRows ?? DEFAULT_TILE_ROWS;
    const jobs: { a: number; b: number; work: number }[] = [];
    for (let a = 0; a < queryCount; a += side) {
      for (let b = 0; b < databaseCount; b += side) {
        jobs.push({ a, b, work: Math.min(side, queryCount - a) * Math.min(side, databaseCount - b) });
      }
    }
    const queryRows = (start: number) => Math.min(side, queryCount - start);
    const databaseRows = (start: number) => Math.min(side, databaseCount - start);
    const querySlice = (start: number) => queries.subarray(start * dim, (start + queryRows(start)) * dim);
    const databaseSlice = (start: number) =>
      database.subarray(start * dim, (start + databaseRows(start)) * dim);
    if (tiles.topK) {
      await fusedTopK(
        tiles,
        jobs,
        selection,
        querySlice,
        queryRows,
        databaseSlice,
        databaseRows,
        dim,
        options,
      );
      return { indices: selection.indices, similarities: selection.similarities, engine: tiles.name };
    }
    await walkTiles(
      jobs,
      Math.min(side, queryCount) * Math.min(side, databaseCount),
      (job, out) =>
        tiles.tile(
          queries.subarray(job.a * dim, (job.a + queryRows(job.a)) * dim),
          queryRows(job.a),
          database.subarray(job.b * dim, (job.b + databaseRows(job.b)) * dim),
          databaseRows(job.b),
          dim,
          out,
        ),
      (job, scores) => {
        const columns = databaseRows(job.b);
        for (let r = 0; r < queryRows(job.a); r++)
          selection.offerRun(job.a + r, scores, columns, job.b, r * columns);
      },
      queryCount,
      options,
    );
    return { indices: selection.indices, similarities: selection.similarities, engine: tiles.name };
  } finally {
    await tiles.release();
  }
}

/**
 * crossTopK where the engine selects each tile's top k itself: per tile only k candidates per
 * query come back, merged in tile order (lower database rows first, so ties stay deterministic).
 */
async function fusedTopK(
  tiles: SimilarityTiles,
  jobs: { a: number; b: number; work: number }[],
  selection: TopKSelection,
  querySlice: (start: number) => Float32Array,
  queryRows: (start: number) => number,
  databaseSlice: (start: number) => Float32Array,
  databaseRows: (start: number) => number,
  dim: number,
  options: KnnSearchOptions,
): Promise<void> {
  const k = selection.k;
  const values = new Float32Array(queryRows(0) * k);
  const indices = new Int32Array(queryRows(0) * k);
  const thresholds = selection.thresholds;
  const totalWork = jobs.reduce((sum, job) => sum + job.work, 0) || 1;
  let doneWork = 0;
  let lastYield = performance.now();
  for (const job of jobs) {
    options.signal?.throwIfAborted();
    const rows = queryRows(job.a);
    const kk = Math.min(k, databaseRows(job.b));
    await tiles.topK?.(
      querySlice(job.a),
      rows,
      databaseSlice(job.b),
      databaseRows(job.b),
      dim,
      kk,
      values,
      indices,
    );
    for (let r = 0; r < rows; r++) {
      const query = job.a + r;
      for (let j = r * kk; j < (r + 1) * kk; j++) {
        const s = values[j];
        // Sorted: the first that does not beat the query's k-th best ends the row.
        if (!(s > thresholds[query])) break;
        selection.insert(query, s, job.b + indices[j]);
      }
    }
    doneWork += job.work;
    if (performance.now() - lastYield > YIELD_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      lastYield = performance.now();
    }
    options.signal?.throwIfAborted();
    options.onProgress?.(Math.round((selection.queries * doneWork) / totalWork), selection.queries);
  }
}

async function similarityTiles(engine: KnnEngine = 'auto', work: number): Promise<SimilarityTiles> {
  if (engine === 'js' || (engine === 'auto' && work < AUTO_ONNX_MIN_WORK)) return jsSimilarityTiles();
  try {
    const { onnxSimilarityTiles } = await import('./similarity-tile-onnx.ts');
    return await onnxSimilarityTiles();
  } catch (error) {
    if (engine === 'onnx') throw error;
    // ONNX Runtime failed to load (no binary for this platform): the same exact search, slower.
    return jsSimilarityTiles();
  }
}

/**
 * Computes the next tile while JS scans the current one (ONNX Runtime multiplies on its own
 * threads), in two buffers. Tiles are scanned in order, which keeps ties deterministic.
 */
async function walkTiles<Job extends { work: number }>(
  jobs: Job[],
  tileValues: number,
  compute: (job: Job, out: Float32Array) => Promise<void>,
  scan: (job: Job, scores: Float32Array) => void,
  rows: number,
  options: KnnSearchOptions,
): Promise<void> {
  if (jobs.length === 0) return;
  const totalWork = jobs.reduce((sum, job) => sum + job.work, 0) || 1;
  let doneWork = 0;
  let lastYield = performance.now();
  let filling = new Float32Array(tileValues);
  let spare = new Float32Array(tileValues);
  let computing = compute(jobs[0], filling);
  try {
    for (let j = 0; j < jobs.length; j++) {
      options.signal?.throwIfAborted();
      await computing;
      const scores = filling;
      if (j + 1 < jobs.length) {
        filling = spare;
        spare = scores;
        computing = compute(jobs[j + 1], filling);
      }
      scan(jobs[j], scores);
      doneWork += jobs[j].work;
      if (performance.now() - lastYield > YIELD_MS) {
        // A macrotask turn lets Ctrl-C and progress listeners run during pure-JS stretches.
        await new Promise((resolve) => setImmediate(resolve));
        lastYield = performance.now();
      }
      options.signal?.throwIfAborted();
      options.onProgress?.(Math.round((rows * doneWork) / totalWork), rows);
    }
  } finally {
    // A tile still being computed must finish before its session can be released.
    await computing.catch(() => undefined);
  }
}

const YIELD_MS = 50;

/**
 * Offers every pair of a tile above the diagonal to both of its rows. Row i receives candidates in
 * increasing index order (earlier tiles hold lower indices), so ties resolve to the lower index.
 */
function scanSymmetricTile(
  scores: Float32Array,
  rows: number,
  columns: number,
  rowStart: number,
  columnStart: number,
  selection: TopKSelection,
): void {
  const thresholds = selection.thresholds;
  const diagonal = rowStart === columnStart;
  for (let r = 0; r < rows; r++) {
    const row = rowStart + r;
    const offset = r * columns;
    let rowThreshold = thresholds[row];
    for (let c = diagonal ? r + 1 : 0; c < columns; c++) {
      const s = scores[offset + c];
      if (s > rowThreshold) {
        selection.insert(row, s, columnStart + c);
        rowThreshold = thresholds[row];
      }
      if (s > thresholds[columnStart + c]) selection.insert(columnStart + c, s, row);
    }
  }
}
