import { TopKSelection } from './cosine-top-k.ts';

/**
 * Batched exact top-k in plain JavaScript: a block of queries is scored against every database
 * row while that row sits in L1 cache. About 1–2 GFLOP/s here: the reference the fast engines are
 * checked against, and the engine for small libraries, where starting ONNX Runtime costs more than
 * it saves.
 */
export async function blockTopKJs(
  queries: Float32Array,
  queryCount: number,
  database: Float32Array,
  databaseCount: number,
  dim: number,
  k: number,
  options: {
    /** Query row i is database row i: leave it out of its own neighbours. */
    excludeSelf?: boolean;
    signal?: AbortSignal;
    onProgress?: (done: number, total: number) => void;
  } = {},
): Promise<TopKSelection> {
  const selection = new TopKSelection(queryCount, k);
  const scores = new Float32Array(QUERY_BLOCK * databaseCount);
  let lastYield = performance.now();
  for (let q0 = 0; q0 < queryCount; q0 += QUERY_BLOCK) {
    const q1 = Math.min(queryCount, q0 + QUERY_BLOCK);
    scoreBlock(queries, q0, q1, database, databaseCount, dim, scores);
    for (let q = q0; q < q1; q++) {
      const offset = (q - q0) * databaseCount;
      if (options.excludeSelf) scores[offset + q] = Number.NEGATIVE_INFINITY;
      selection.offerRun(q, scores, databaseCount, 0, offset);
    }
    if (performance.now() - lastYield > YIELD_MS) {
      // Let an abort or a progress listener run; the cost is one macrotask per ~50 ms of work.
      await new Promise((resolve) => setImmediate(resolve));
      lastYield = performance.now();
      options.signal?.throwIfAborted();
      options.onProgress?.(q1, queryCount);
    }
  }
  options.signal?.throwIfAborted();
  options.onProgress?.(queryCount, queryCount);
  return selection;
}

const QUERY_BLOCK = 4;
const YIELD_MS = 50;

/** scores[(q − q0) · n + j] = ⟨queries[q], database[j]⟩ for a block of up to 4 queries. */
function scoreBlock(
  queries: Float32Array,
  q0: number,
  q1: number,
  database: Float32Array,
  databaseCount: number,
  dim: number,
  scores: Float32Array,
): void {
  const rows = q1 - q0;
  const a = q0 * dim;
  const b = rows > 1 ? a + dim : a;
  const c = rows > 2 ? a + 2 * dim : a;
  const d = rows > 3 ? a + 3 * dim : a;
  for (let j = 0; j < databaseCount; j++) {
    const base = j * dim;
    let sa = 0;
    let sb = 0;
    let sc = 0;
    let sd = 0;
    for (let t = 0; t < dim; t++) {
      const x = database[base + t];
      sa += queries[a + t] * x;
      sb += queries[b + t] * x;
      sc += queries[c + t] * x;
      sd += queries[d + t] * x;
    }
    scores[j] = sa;
    if (rows > 1) scores[databaseCount + j] = sb;
    if (rows > 2) scores[2 * databaseCount + j] = sc;
    if (rows > 3) scores[3 * databaseCount + j] = sd;
  }
}
