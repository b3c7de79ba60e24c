/**
 * The photos worth labelling: greedy k-center (Gonzalez's farthest-point traversal) over the
 * embeddings. Each pick is the photo farthest from everything chosen so far, so N picks cover the
 * collection with the smallest radius a greedy method can promise (at most twice the optimum),
 * and no two picks are near-duplicates unless nothing new is left.
 *
 * Distances are Euclidean between L2-normalised rows (√(2 − 2·cos), a true metric), which lets
 * each new pick skip work by the triangle inequality: every photo belongs to its nearest chosen
 * centre; a centre c whose distance to the new pick p is at least twice its group's radius cannot
 * lose a member to p, and neither can a member i with d(c, p) ≥ 2·d(i, c). On clustered embeddings
 * most groups are skipped once a few hundred centres exist, so 1,000 picks out of 100,000 cost far
 * less than 1,000 full scans of the matrix (bench/label.ts measures both).
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

export function kCenterGreedy(
  vectors: Float32Array,
  count: number,
  dim: number,
  wanted: number,
  options: KCenterOptions = {},
): KCenterResult {
  if (!Number.isInteger(wanted) || wanted < 0)
    throw new Error(`The count must be a whole number ≥ 0 (got ${wanted}).`);
  if (vectors.length < count * dim) throw new Error(`The matrix holds fewer than ${count} × ${dim} values.`);
  const universe = options.rows
    ? Int32Array.from(options.rows)
    : Int32Array.from({ length: count }, (_, i) => i);
  const m = universe.length;
  const similarityFloor = options.nearDuplicateSimilarity ?? DEFAULT_NEAR_DUPLICATE_SIMILARITY;
  const stopDistance = Math.sqrt(Math.max(0, 2 - 2 * similarityFloor));
  const dist = new Float64Array(m).fill(Number.POSITIVE_INFINITY);
  const centres: number[] = [];
  const groups: Int32Array[] = [];
  const radius: number[] = [];
  const farthest: number[] = [];

  const distance = (a: number, b: number) => {
    const dot = dotProduct(vectors, a * dim, b * dim, dim);
    return Math.sqrt(Math.max(0, 2 - 2 * dot));
  };

  const addCentre = (row: number) => {
    const mine: number[] = [];
    if (centres.length === 0) {
      for (let i = 0; i < m; i++) {
        dist[i] = distance(row, universe[i]);
        mine.push(i);
      }
    } else {
      for (let g = 0; g < centres.length; g++) {
        const members = groups[g];
        if (members.length === 0) continue;
        const dcp = distance(centres[g], row);
        if (dcp >= 2 * radius[g]) continue; // no member can be nearer to the new centre
        const keep: number[] = [];
        let newRadius = 0;
        let newFarthest = -1;
        for (const i of members) {
          if (dcp < 2 * dist[i]) {
            const d = distance(row, universe[i]);
            if (d < dist[i]) {
              dist[i] = d;
              mine.push(i);
              continue;
            }
          }
          keep.push(i);
          if (dist[i] > newRadius || newFarthest < 0) {
            newRadius = dist[i];
            newFarthest = i;
          }
        }
        groups[g] = Int32Array.from(keep);
        radius[g] = newRadius;
        farthest[g] = newFarthest;
      }
    }
    let r = 0;
    let far = -1;
    for (const i of mine) {
      if (dist[i] > r || far < 0) {
        r = dist[i];
        far = i;
      }
    }
    centres.push(row);
    groups.push(Int32Array.from(mine));
    radius.push(r);
    farthest.push(far);
  };

  const seeds = options.seeds ? Array.from(options.seeds) : [];
  for (const seed of seeds) addCentre(seed);
  const picked: number[] = [];
  const coverage: number[] = [];
  let exhausted = false;
  const total = Math.min(wanted, m);
  while (picked.length < total) {
    options.signal?.throwIfAborted();
    let row: number;
    if (centres.length === 0) {
      row = universe[mostTypical(vectors, dim, universe)];
    } else {
      let best = -1;
      for (let g = 0; g < centres.length; g++) {
        if (groups[g].length > 0 && (best < 0 || radius[g] > radius[best])) best = g;
      }
      if (best < 0 || radius[best] <= stopDistance) {
        exhausted = true;
        break;
      }
      row = universe[farthest[best]];
    }
    addCentre(row);
    picked.push(row);
    let worst = 0;
    for (let g = 0; g < centres.length; g++) if (groups[g].length > 0) worst = Math.max(worst, radius[g]);
    coverage.push(1 - (worst * worst) / 2);
    if (picked.length % 16 === 0) options.onProgress?.(picked.length, total);
  }
  options.onProgress?.(picked.length, total);
  return { rows: Int32Array.from(picked), coverage: Float32Array.from(coverage), exhausted };
}

/** The row nearest the mean direction: the first pick, a photo typical of the whole set. */
function mostTypical(vectors: Float32Array, dim: number, rows: Int32Array): number {
  const mean = new Float64Array(dim);
  for (const row of rows) for (let d = 0; d < dim; d++) mean[d] += vectors[row * dim + d];
  let best = 0;
  let bestScore = Number.NEGATIVE_INFINITY;
  rows.forEach((row, i) => {
    let s = 0;
    for (let d = 0; d < dim; d++) s += vectors[row * dim + d] * mean[d];
    if (s > bestScore) {
      bestScore = s;
      best = i;
    }
  });
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
