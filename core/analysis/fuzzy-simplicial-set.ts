/**
 * UMAP's high-dimensional graph: the fuzzy simplicial set of a k-NN graph, as umap-js 1.4
 * (`fuzzySimplicialSet`, `smoothKNNDistance`, `computeMembershipStrengths`) and the reference
 * Python UMAP compute it, on typed arrays instead of umap-js's string-keyed sparse matrices
 * (which took most of its 15–18 s on 10,000 points before the first epoch).
 */

/** A k-NN graph in UMAP's convention: row i lists i itself first (distance 0), then its k − 1 nearest. */
export interface KnnDistances {
  count: number;
  k: number;
  /** count × k neighbour rows; -1 marks a missing neighbour. */
  indices: Int32Array;
  /** count × k distances, ascending per row. */
  distances: Float32Array | Float64Array;
}

/** A symmetric sparse matrix in CSR form, columns ascending in each row, no stored zeros. */
export interface FuzzyGraph {
  count: number;
  rowStart: Int32Array;
  columns: Int32Array;
  weights: Float64Array;
}

const SMOOTH_K_TOLERANCE = 1e-5;
const MIN_K_DIST_SCALE = 1e-3;

/**
 * Per point, rho (distance to its nearest neighbour) and sigma (the bandwidth that makes its
 * neighbourhood hold log2(k) in fuzzy membership), by binary search: umap-js's `smoothKNNDistance`.
 */
export function smoothKnnDistances(
  graph: KnnDistances,
  localConnectivity = 1,
  iterations = 64,
  bandwidth = 1,
): { sigmas: Float64Array; rhos: Float64Array } {
  const { count, k, distances } = graph;
  const target = (Math.log(k) / Math.log(2)) * bandwidth;
  const rhos = new Float64Array(count);
  const sigmas = new Float64Array(count);
  let meanOfRowMeans = 0;
  const rowMeans = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    let sum = 0;
    for (let j = 0; j < k; j++) sum += distances[i * k + j];
    rowMeans[i] = sum / k;
    meanOfRowMeans += rowMeans[i];
  }
  meanOfRowMeans /= count;
  const nonZero = new Float64Array(k);
  for (let i = 0; i < count; i++) {
    const row = i * k;
    let nonZeroCount = 0;
    for (let j = 0; j < k; j++) if (distances[row + j] > 0) nonZero[nonZeroCount++] = distances[row + j];
    if (nonZeroCount >= localConnectivity) {
      const index = Math.floor(localConnectivity);
      const interpolation = localConnectivity - index;
      if (index > 0) {
        rhos[i] = nonZero[index - 1];
        if (interpolation > SMOOTH_K_TOLERANCE)
          rhos[i] += interpolation * (nonZero[index] - nonZero[index - 1]);
      } else {
        rhos[i] = interpolation * nonZero[0];
      }
    } else if (nonZeroCount > 0) {
      let max = nonZero[0];
      for (let j = 1; j < nonZeroCount; j++) max = Math.max(max, nonZero[j]);
      rhos[i] = max;
    }
    let lo = 0;
    let hi = Number.POSITIVE_INFINITY;
    let mid = 1;
    for (let n = 0; n < iterations; n++) {
      let psum = 0;
      // Column 0 is the point itself, as in the reference.
      for (let j = 1; j < k; j++) {
        const d = distances[row + j] - rhos[i];
        psum += d > 0 ? Math.exp(-(d / mid)) : 1;
      }
      if (Math.abs(psum - target) < SMOOTH_K_TOLERANCE) break;
      if (psum > target) {
        hi = mid;
        mid = (lo + hi) / 2;
      } else {
        lo = mid;
        mid = hi === Number.POSITIVE_INFINITY ? mid * 2 : (lo + hi) / 2;
      }
    }
    const floor = MIN_K_DIST_SCALE * (rhos[i] > 0 ? rowMeans[i] : meanOfRowMeans);
    sigmas[i] = Math.max(mid, floor);
  }
  return { sigmas, rhos };
}

/**
 * The fuzzy union A + Aᵀ − A∘Aᵀ (mixed with the intersection A∘Aᵀ by `setOpMixRatio`) of the
 * directed membership graph A, where A[i][j] = exp(−(d_ij − rho_i) / sigma_i).
 */
export function fuzzySimplicialSet(
  graph: KnnDistances,
  setOpMixRatio = 1,
  localConnectivity = 1,
): FuzzyGraph {
  const { count, k, indices, distances } = graph;
  const { sigmas, rhos } = smoothKnnDistances(graph, localConnectivity);

  // Directed graph A in CSR, each row sorted by column.
  const directedStart = new Int32Array(count + 1);
  const directedColumns = new Int32Array(count * k);
  const directedWeights = new Float64Array(count * k);
  const order = new Int32Array(k);
  let filled = 0;
  for (let i = 0; i < count; i++) {
    directedStart[i] = filled;
    const row = i * k;
    let m = 0;
    for (let j = 0; j < k; j++) if (indices[row + j] >= 0) order[m++] = j;
    const rowOrder = order.subarray(0, m).sort((a, b) => indices[row + a] - indices[row + b]);
    let previous = -1;
    for (const j of rowOrder) {
      const column = indices[row + j];
      if (column === previous) continue;
      previous = column;
      const d = distances[row + j];
      let value: number;
      if (column === i) value = 0;
      else if (d - rhos[i] <= 0) value = 1;
      else value = Math.exp(-((d - rhos[i]) / sigmas[i]));
      directedColumns[filled] = column;
      directedWeights[filled] = value;
      filled++;
    }
  }
  directedStart[count] = filled;

  // Aᵀ in CSR: visiting rows in order fills each transposed row with ascending columns.
  const transposedStart = new Int32Array(count + 1);
  for (let e = 0; e < filled; e++) transposedStart[directedColumns[e] + 1]++;
  for (let i = 0; i < count; i++) transposedStart[i + 1] += transposedStart[i];
  const transposedColumns = new Int32Array(filled);
  const transposedWeights = new Float64Array(filled);
  const cursor = transposedStart.slice(0, count);
  for (let i = 0; i < count; i++) {
    for (let e = directedStart[i]; e < directedStart[i + 1]; e++) {
      const slot = cursor[directedColumns[e]]++;
      transposedColumns[slot] = i;
      transposedWeights[slot] = directedWeights[e];
    }
  }

  // Merge A and Aᵀ row by row.
  const rowStart = new Int32Array(count + 1);
  const columns = new Int32Array(filled * 2);
  const weights = new Float64Array(filled * 2);
  let out = 0;
  for (let i = 0; i < count; i++) {
    rowStart[i] = out;
    let a = directedStart[i];
    const aEnd = directedStart[i + 1];
    let t = transposedStart[i];
    const tEnd = transposedStart[i + 1];
    while (a < aEnd || t < tEnd) {
      const ca = a < aEnd ? directedColumns[a] : count;
      const ct = t < tEnd ? transposedColumns[t] : count;
      let p = 0;
      let q = 0;
      let column: number;
      if (ca === ct) {
        column = ca;
        p = directedWeights[a++];
        q = transposedWeights[t++];
      } else if (ca < ct) {
        column = ca;
        p = directedWeights[a++];
      } else {
        column = ct;
        q = transposedWeights[t++];
      }
      const product = p * q;
      const value = (p + q - product) * setOpMixRatio + product * (1 - setOpMixRatio);
      if (value !== 0) {
        columns[out] = column;
        weights[out] = value;
        out++;
      }
    }
  }
  rowStart[count] = out;
  return { count, rowStart, columns: columns.slice(0, out), weights: weights.slice(0, out) };
}
