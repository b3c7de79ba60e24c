/**
 * Exact cosine top-k in plain JavaScript. Rows are L2-normalised, so cosine similarity is the dot
 * product. A brute-force scan of 100,000 × 384 float32 values reads 154 MB: it is bound by memory
 * more than by arithmetic, which is why one query in JS is about as fast as an index would be
 * (ENGINE-NOTES: sqlite-vec 29–84 ms, a JS scan 37 ms) and needs no build step or approximation.
 */
export interface TopK {
  /** Row numbers in the searched matrix, most similar first. */
  indices: Int32Array;
  /** Cosine similarities, same order. */
  similarities: Float32Array;
}

/**
 * The k rows of `vectors` (count × dim, row-major, L2-normalised) most similar to `query`.
 * `excludeRow` leaves one row out (the query's own row, when it is in the matrix). Ties keep the
 * lower row number first, so the result is deterministic.
 */
export function cosineTopK(
  vectors: Float32Array,
  count: number,
  dim: number,
  query: Float32Array,
  k: number,
  options: { excludeRow?: number } = {},
): TopK {
  checkMatrix(vectors, count, dim);
  if (query.length !== dim)
    throw new Error(`The query has ${query.length} values; the matrix has ${dim} columns.`);
  const exclude = options.excludeRow ?? -1;
  const kept = Math.max(0, Math.min(k, count - (exclude >= 0 && exclude < count ? 1 : 0)));
  const selection = new TopKSelection(1, kept);
  if (kept === 0) return selection.result(0);
  const scores = new Float32Array(Math.min(count, SCAN_CHUNK));
  for (let start = 0; start < count; start += SCAN_CHUNK) {
    const end = Math.min(count, start + SCAN_CHUNK);
    dotRows(vectors, start, end, dim, query, scores);
    if (exclude >= start && exclude < end) scores[exclude - start] = Number.NEGATIVE_INFINITY;
    selection.offerRun(0, scores, end - start, start);
  }
  return selection.result(0);
}

/** Rows scored per pass: big enough to amortise the loop, small enough to stay in cache. */
const SCAN_CHUNK = 4096;

/** scores[r - start] = ⟨vectors[r], query⟩ for r in [start, end). */
export function dotRows(
  vectors: Float32Array,
  start: number,
  end: number,
  dim: number,
  query: Float32Array,
  scores: Float32Array,
): void {
  const tail = dim & ~3;
  for (let r = start; r < end; r++) {
    const base = r * dim;
    // Four accumulators break the add dependency chain; V8 does not vectorise this loop itself.
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let c = 0;
    for (; c < tail; c += 4) {
      s0 += vectors[base + c] * query[c];
      s1 += vectors[base + c + 1] * query[c + 1];
      s2 += vectors[base + c + 2] * query[c + 2];
      s3 += vectors[base + c + 3] * query[c + 3];
    }
    for (; c < dim; c++) s0 += vectors[base + c] * query[c];
    scores[r - start] = s0 + s1 + s2 + s3;
  }
}

/**
 * The running top-k of several queries at once: per query a list sorted by similarity (then row),
 * and the current k-th best as a threshold in one contiguous array, so that most candidates cost
 * one comparison.
 */
export class TopKSelection {
  readonly indices: Int32Array;
  readonly similarities: Float32Array;
  /** thresholds[q]: the k-th best similarity of query q so far (−∞ until it has k). */
  readonly thresholds: Float32Array;
  /** Entries each query holds so far (at most k). */
  private readonly filled: Int32Array;

  constructor(
    readonly queries: number,
    readonly k: number,
  ) {
    this.indices = new Int32Array(queries * k).fill(-1);
    this.similarities = new Float32Array(queries * k).fill(Number.NEGATIVE_INFINITY);
    this.filled = new Int32Array(queries);
    this.thresholds = new Float32Array(queries).fill(
      k === 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY,
    );
  }

  /**
   * Offers candidates `firstIndex + i` with scores[scoresOffset + i] for i < length. Candidates
   * must reach a query in increasing index order: an equal score then never displaces an earlier
   * (lower) index, which makes ties deterministic.
   */
  offerRun(query: number, scores: Float32Array, length: number, firstIndex: number, scoresOffset = 0): void {
    const thresholds = this.thresholds;
    let threshold = thresholds[query];
    const k = this.k;
    // A floor for the run's k-th best, found in one pass: split the run into k parts; each part's
    // maximum is one distinct candidate, so k candidates are at least the smallest of those maxima
    // and no score below it can be in the top k. Without it, a fresh query's threshold climbs from
    // −∞ through about k·ln(length / k) insertions of up to k shifts each, which dominated a
    // 99,000 × 1,000 propagation scan (1.3 s of 1.9 s); with it, a handful of insertions remain.
    let floor = Number.NEGATIVE_INFINITY;
    if (k > 0 && length >= PREFILTER_MIN_RUN * k) {
      floor = Number.POSITIVE_INFINITY;
      const size = Math.floor(length / k);
      const last = scoresOffset + length;
      for (let start = scoresOffset, part = 0; part < k; part++, start += size) {
        // The last part takes the remainder.
        const end = part === k - 1 ? last : start + size;
        let best = Number.NEGATIVE_INFINITY;
        for (let i = start; i < end; i++) {
          const s = scores[i];
          if (s > best) best = s;
        }
        if (best < floor) floor = best;
      }
    }
    for (let i = 0; i < length; i++) {
      const s = scores[scoresOffset + i];
      // `>= floor` keeps ties with the floor: one of them may still be the k-th best.
      if (s > threshold && s >= floor) {
        this.insert(query, s, firstIndex + i);
        threshold = thresholds[query];
      }
    }
  }

  /** Inserts a candidate known to beat thresholds[query] (callers test that first, inline). */
  insert(query: number, similarity: number, index: number): void {
    const sims = this.similarities;
    const idx = this.indices;
    const base = query * this.k;
    // A list not yet full shifts only its filled entries: walking the empty (−∞) tail on every
    // early insertion cost up to k moves each, for every query.
    const filled = this.filled[query];
    let p = base + filled;
    if (filled < this.k) this.filled[query] = filled + 1;
    else p--;
    // Shift worse entries down; equal similarities stay ordered by index.
    while (p > base && (sims[p - 1] < similarity || (sims[p - 1] === similarity && idx[p - 1] > index))) {
      sims[p] = sims[p - 1];
      idx[p] = idx[p - 1];
      p--;
    }
    sims[p] = similarity;
    idx[p] = index;
    this.thresholds[query] = sims[base + this.k - 1];
  }

  result(query: number): TopK {
    const base = query * this.k;
    return {
      indices: this.indices.slice(base, base + this.k),
      similarities: this.similarities.slice(base, base + this.k),
    };
  }
}

/** Runs shorter than this many times k are scanned without the floor pass: it would not repay itself. */
const PREFILTER_MIN_RUN = 8;

export function checkMatrix(vectors: Float32Array, count: number, dim: number): void {
  if (!Number.isInteger(count) || !Number.isInteger(dim) || count < 0 || dim <= 0)
    throw new Error(`Bad matrix shape ${count} × ${dim}.`);
  if (vectors.length < count * dim)
    throw new Error(`The matrix holds ${vectors.length} values, fewer than ${count} × ${dim}.`);
}

/** L2-normalises each row in place (a zero row stays zero). */
export function normalizeRows(vectors: Float32Array, count: number, dim: number): Float32Array {
  for (let r = 0; r < count; r++) {
    let sum = 0;
    for (let c = 0; c < dim; c++) sum += vectors[r * dim + c] ** 2;
    const scale = sum > 0 ? 1 / Math.sqrt(sum) : 0;
    for (let c = 0; c < dim; c++) vectors[r * dim + c] *= scale;
  }
  return vectors;
}
