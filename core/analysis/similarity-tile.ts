/**
 * Tiles of the similarity matrix: S = A · Bᵀ for a block of rows A (a × dim) and B (b × dim),
 * row-major a × b. The k-NN search walks these tiles; who computes them is the engine's choice.
 */
export interface SimilarityTiles {
  readonly name: 'js' | 'onnx';
  /** Writes S (aRows × bRows) into `out`. */
  tile(
    a: Float32Array,
    aRows: number,
    b: Float32Array,
    bRows: number,
    dim: number,
    out: Float32Array,
  ): Promise<void>;
  /**
   * Optional fused search: for each row of A its `k` most similar rows of B (k ≤ bRows), most
   * similar first, ties to the lower row (values and indices, aRows × k). Where present it replaces
   * `tile` + a JS scan: the similarities never leave the engine.
   */
  topK?(
    a: Float32Array,
    aRows: number,
    b: Float32Array,
    bRows: number,
    dim: number,
    k: number,
    values: Float32Array,
    indices: Int32Array,
  ): Promise<void>;
  release(): Promise<void>;
}

/**
 * Plain JavaScript: four rows of A against each row of B while it sits in L1 cache. About
 * 1–2 GFLOP/s here: the reference the fast engine is checked against, and the engine for small
 * libraries, where starting ONNX Runtime would cost more than it saves.
 */
export function jsSimilarityTiles(): SimilarityTiles {
  return {
    name: 'js',
    async tile(a, aRows, b, bRows, dim, out) {
      for (let r = 0; r < aRows; r += 4) multiplyFourRows(a, r, Math.min(4, aRows - r), b, bRows, dim, out);
    },
    async release() {},
  };
}

/** out[(r + i) · bRows + j] = ⟨a[r + i], b[j]⟩ for i < rows ≤ 4. */
function multiplyFourRows(
  a: Float32Array,
  r: number,
  rows: number,
  b: Float32Array,
  bRows: number,
  dim: number,
  out: Float32Array,
): void {
  // Missing rows alias the first: computed and dropped, which keeps the inner loop branch-free.
  const a0 = r * dim;
  const a1 = rows > 1 ? a0 + dim : a0;
  const a2 = rows > 2 ? a0 + 2 * dim : a0;
  const a3 = rows > 3 ? a0 + 3 * dim : a0;
  const o = r * bRows;
  for (let j = 0; j < bRows; j++) {
    const base = j * dim;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let t = 0; t < dim; t++) {
      const x = b[base + t];
      s0 += a[a0 + t] * x;
      s1 += a[a1 + t] * x;
      s2 += a[a2 + t] * x;
      s3 += a[a3 + t] * x;
    }
    out[o + j] = s0;
    if (rows > 1) out[o + bRows + j] = s1;
    if (rows > 2) out[o + 2 * bRows + j] = s2;
    if (rows > 3) out[o + 3 * bRows + j] = s3;
  }
}
