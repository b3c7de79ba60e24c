import type { KnnEngine } from './knn-graph.ts';
import { jsSimilarityTiles, type SimilarityTiles } from './similarity-tile.ts';

/**
 * The photos worth labelling: greedy k-center (Gonzalez's farthest-point traversal) over the
 * embeddings. Each pick is the photo farthest from everything chosen so far, so N picks cover the
 * collection with the smallest radius a greedy method can promise (at most twice the optimum),
 * and no two picks are near-duplicates unless nothing new is left.
 *
 * Exact, in two parts. Every BLOCK picks, the distances of all photos to those picks are computed
 * at once as one matrix product (ONNX Runtime's Gemm on every core where the work repays it; the
 * textbook traversal does the same arithmetic as one matrix-vector scan per pick, memory-bound
 * and in JS). Between those, a photo's distance to its nearest pick is an upper bound (it only
 * shrinks as picks are added): photos sit in a max-heap by that bound, each remembering how many
 * picks it has been compared with, and only the top is brought up to date, one pick at a time and
 * only while it still beats the next bound. When the top is up to date it is the farthest photo.
 * bench/label.ts measures both against the textbook traversal.
 */
export interface KCenterOptions {
  /** Rows allowed as picks (and to cover); default every row. */
  rows?: ArrayLike<number>;
  /** Rows already chosen (e.g. photos already tagged): picks go where these do not reach. */
  seeds?: ArrayLike<number>;
  /**
   * Stop when every remaining photo is at least this cosine-similar to a pick: what is left are
   * near-duplicates of what was chosen (the duplicates finder's threshold).
   */
  nearDuplicateSimilarity?: number;
  /** Who multiplies the blocks (as for the k-NN graph): 'auto' = ONNX Runtime when the work is large. */
  engine?: KnnEngine;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export interface KCenterResult {
  /** Chosen rows in the order picked (seeds not included). */
  rows: Int32Array;
  /**
   * After each pick, the cosine similarity of the least-covered remaining photo to its nearest
   * pick or seed: how well the picks so far cover the collection (rises towards 1).
   */
  coverage: Float32Array;
  /** Fewer than asked because the rest were near-duplicates of the picks. */
  exhausted: boolean;
}

export const DEFAULT_NEAR_DUPLICATE_SIMILARITY = 0.95;
/**
 * Picks folded in per matrix product. Every photo meets every pick in some product either way (the
 * arithmetic is the same), but a skinny 16-column Gemm ran at half the speed of a 32-column one
 * and folding twice as often rebuilt the heap twice as often: bench:label, CPU seconds for 1,000
 * picks of 100,000, busy machine: 16 → 5.4, 32 → 4.3, 64 → 4.2–4.7 (bounds further behind make
 * the lazy heap refresh more photos one dot product at a time: 830,000 vs 145,000 at 16).
 */
const BLOCK = 32;
/** Rows per product: a 8,192 × 256 block of similarities is 8 MB. */
const CHUNK_ROWS = 8192;
const MAX_CENTRES_PER_PRODUCT = 256;
/** Below this many multiply-adds per product JS finishes before ONNX Runtime would start. */
const ONNX_MIN_WORK = 5e7;

export async function kCenterGreedy(
  vectors: Float32Array,
  count: number,
  dim: number,
  wanted: number,
  options: KCenterOptions = {},
): Promise<KCenterResult> {
  if (!Number.isInteger(wanted) || wanted < 0)
    throw new Error(`The count must be a whole number ≥ 0 (got ${wanted}).`);
  if (vectors.length < count * dim) throw new Error(`The matrix holds fewer than ${count} × ${dim} values.`);
  const universe = options.rows
    ? Int32Array.from(options.rows)
    : Int32Array.from({ length: count }, (_, i) => i);
  const m = universe.length;
  const similarityFloor = options.nearDuplicateSimilarity ?? DEFAULT_NEAR_DUPLICATE_SIMILARITY;
  // Compared as 2 − 2·cos (the squared Euclidean distance of unit rows): same order, no square root.
  const stopDistance = Math.max(0, 2 - 2 * similarityFloor);
  const centres: number[] = options.seeds ? Array.from(options.seeds) : [];
  /** Upper bound of each photo's squared distance to its nearest centre. */
  const bound = new Float64Array(m).fill(Number.POSITIVE_INFINITY);
  /** Centres each photo has been compared with (a prefix of `centres`). */
  const seen = new Int32Array(m);
  const chosen = new Uint8Array(m);
  const heap = new MaxHeap(bound);
  heap.reset(m, chosen);
  /** Centres folded into every bound by a matrix product. */
  let folded = 0;
  const tiles = await blockTiles(options.engine, m * dim * Math.max(BLOCK, centres.length));
  const contiguous = universe.every((row, i) => row === i);
  const matrix = contiguous ? vectors : gather(vectors, dim, universe);

  /** Compares every photo with the centres not yet folded in, by matrix products, and rebuilds the heap. */
  const fold = async () => {
    while (folded < centres.length) {
      options.signal?.throwIfAborted();
      const batch = centres.slice(folded, folded + MAX_CENTRES_PER_PRODUCT);
      const b = gather(vectors, dim, Int32Array.from(batch));
      const out = new Float32Array(Math.min(CHUNK_ROWS, m) * batch.length);
      for (let start = 0; start < m; start += CHUNK_ROWS) {
        const rows = Math.min(CHUNK_ROWS, m - start);
        await tiles.tile(matrix.subarray(start * dim, (start + rows) * dim), rows, b, batch.length, dim, out);
        for (let r = 0; r < rows; r++) {
          const i = start + r;
          let d = bound[i];
          const base = r * batch.length;
          // Centres this photo was already compared with (lazily) are skipped: same value.
          for (let j = Math.max(0, seen[i] - folded); j < batch.length; j++) {
            const dd = 2 - 2 * out[base + j];
            if (dd < d) d = dd;
          }
          bound[i] = Math.max(0, d);
          seen[i] = Math.max(seen[i], folded + batch.length);
        }
      }
      folded += batch.length;
    }
    heap.reset(m, chosen);
  };

  /** Pops until the top is up to date; its index, or −1 when no photo is left. */
  const freshTop = (): number => {
    for (;;) {
      const top = heap.peek();
      if (top < 0) return -1;
      if (chosen[top]) {
        heap.pop();
        continue;
      }
      if (seen[top] === centres.length) return top;
      heap.pop();
      const next = heap.peek();
      const rival = next < 0 ? Number.NEGATIVE_INFINITY : bound[next];
      const row = universe[top];
      let d = bound[top];
      let c = seen[top];
      // Up to date only as far as needed: once below the next bound it is not the farthest.
      for (; c < centres.length; c++) {
        const dd = 2 - 2 * dotProduct(vectors, row * dim, centres[c] * dim, dim);
        if (dd < d) d = dd;
        if (d < rival) {
          c++;
          break;
        }
      }
      bound[top] = Math.max(0, d);
      seen[top] = c;
      heap.push(top);
    }
  };

  const picked: number[] = [];
  const coverage: number[] = [];
  let exhausted = false;
  const total = Math.min(wanted, m);
  try {
    if (centres.length > 0) await fold();
    while (picked.length < total) {
      options.signal?.throwIfAborted();
      let index: number;
      if (centres.length === 0) {
        index = mostTypical(vectors, dim, universe);
      } else {
        index = freshTop();
        if (index < 0 || bound[index] <= stopDistance) {
          exhausted = true;
          break;
        }
      }
      chosen[index] = 1;
      centres.push(universe[index]);
      picked.push(universe[index]);
      if (centres.length - folded >= BLOCK || centres.length === 1) await fold();
      const next = freshTop();
      coverage.push(next < 0 ? 1 : 1 - bound[next] / 2);
      if (picked.length % 16 === 0) options.onProgress?.(picked.length, total);
    }
  } finally {
    await tiles.release();
  }
  options.onProgress?.(picked.length, total);
  return { rows: Int32Array.from(picked), coverage: Float32Array.from(coverage), exhausted };
}

async function blockTiles(engine: KnnEngine = 'auto', work: number): Promise<SimilarityTiles> {
  if (engine === 'js' || (engine === 'auto' && work < ONNX_MIN_WORK)) return jsSimilarityTiles();
  try {
    const { onnxSimilarityTiles } = await import('./similarity-tile-onnx.ts');
    return await onnxSimilarityTiles();
  } catch (error) {
    if (engine === 'onnx') throw error;
    return jsSimilarityTiles(); // ONNX Runtime cannot load here: the same products, slower
  }
}

function gather(vectors: Float32Array, dim: number, rows: Int32Array): Float32Array {
  const out = new Float32Array(rows.length * dim);
  for (let i = 0; i < rows.length; i++)
    out.set(vectors.subarray(rows[i] * dim, (rows[i] + 1) * dim), i * dim);
  return out;
}

/** A binary max-heap of indices ordered by `keys` (ties: the lower index on top). */
class MaxHeap {
  private readonly items: Int32Array;
  private size = 0;

  constructor(private readonly keys: Float64Array) {
    this.items = new Int32Array(keys.length);
  }

  peek(): number {
    return this.size === 0 ? -1 : this.items[0];
  }

  /** Every index below m not yet chosen, heapified bottom-up (O(m)). */
  reset(m: number, chosen: Uint8Array): void {
    this.size = 0;
    for (let i = 0; i < m; i++) if (!chosen[i]) this.items[this.size++] = i;
    for (let p = (this.size >> 1) - 1; p >= 0; p--) this.siftDown(p);
  }

  push(index: number): void {
    let p = this.size++;
    const items = this.items;
    while (p > 0) {
      const parent = (p - 1) >> 1;
      if (!this.above(index, items[parent])) break;
      items[p] = items[parent];
      p = parent;
    }
    items[p] = index;
  }

  pop(): number {
    const items = this.items;
    const top = items[0];
    this.size--;
    if (this.size > 0) {
      items[0] = items[this.size];
      this.siftDown(0);
    }
    return top;
  }

  private siftDown(from: number): void {
    const items = this.items;
    const moving = items[from];
    let p = from;
    for (;;) {
      const left = 2 * p + 1;
      if (left >= this.size) break;
      const right = left + 1;
      const child = right < this.size && this.above(items[right], items[left]) ? right : left;
      if (!this.above(items[child], moving)) break;
      items[p] = items[child];
      p = child;
    }
    items[p] = moving;
  }

  private above(a: number, b: number): boolean {
    const ka = this.keys[a];
    const kb = this.keys[b];
    return ka > kb || (ka === kb && a < b);
  }
}

/** The row nearest the mean direction: the first pick, a photo typical of the whole set. */
function mostTypical(vectors: Float32Array, dim: number, rows: Int32Array): number {
  const mean = new Float64Array(dim);
  for (const row of rows) {
    const base = row * dim;
    for (let d = 0; d < dim; d++) mean[d] += vectors[base + d];
  }
  let best = 0;
  let bestScore = Number.NEGATIVE_INFINITY;
  // A plain loop with hoisted offsets (same sums in the same order): this scan of every row was
  // 0.2–0.3 s of a 1,000-pick run as a forEach.
  for (let i = 0; i < rows.length; i++) {
    const base = rows[i] * dim;
    let s = 0;
    for (let d = 0; d < dim; d++) s += vectors[base + d] * mean[d];
    if (s > bestScore) {
      bestScore = s;
      best = i;
    }
  }
  return best;
}

/** ⟨a, b⟩ of two rows of one matrix; four accumulators break the add chain. */
function dotProduct(v: Float32Array, a: number, b: number, dim: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let c = 0;
  const tail = dim & ~3;
  for (; c < tail; c += 4) {
    s0 += v[a + c] * v[b + c];
    s1 += v[a + c + 1] * v[b + c + 1];
    s2 += v[a + c + 2] * v[b + c + 2];
    s3 += v[a + c + 3] * v[b + c + 3];
  }
  for (; c < dim; c++) s0 += v[a + c] * v[b + c];
  return s0 + s1 + s2 + s3;
}

/**
 * Picks per group (cluster) in proportion to its size (largest remainder), then every group that
 * got none takes one from the group with the most, while there are picks for all: small clusters
 * are not drowned by the big ones, and no group gets more picks than photos.
 */
export function quotas(sizes: readonly number[], wanted: number): number[] {
  const total = sizes.reduce((a, b) => a + b, 0);
  const out = sizes.map(() => 0);
  if (total === 0 || wanted <= 0) return out;
  const capped = Math.min(wanted, total);
  const exact = sizes.map((s) => (s * capped) / total);
  exact.forEach((e, i) => {
    out[i] = Math.floor(e);
  });
  let rest = capped - out.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => ({ i, r: e - Math.floor(e) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of order) {
    if (rest <= 0) break;
    if (out[i] < sizes[i]) {
      out[i]++;
      rest--;
    }
  }
  const nonEmpty = sizes.filter((s) => s > 0).length;
  if (capped >= nonEmpty) {
    sizes.forEach((s, i) => {
      if (s === 0 || out[i] > 0) return;
      let donor = 0;
      for (let j = 1; j < out.length; j++) if (out[j] > out[donor]) donor = j;
      out[donor]--;
      out[i] = 1;
    });
  }
  return out;
}
