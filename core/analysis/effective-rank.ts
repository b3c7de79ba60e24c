/**
 * Effective rank of a set of embeddings (RankMe, Garrido et al. 2023): exp of the entropy of the
 * normalised singular values of the [n, d] matrix. A label-free sign of feature quality: a collapsed
 * network maps every photo to nearly one direction (rank near 1), a network that separates photos
 * spreads them over many directions. It rises as DINO features improve and stays flat when they do not.
 */
const EPSILON = 1e-7;

/** `rows` holds n row vectors of length d, row-major. */
export function effectiveRank(rows: Float32Array, n: number, d: number): number {
  const singularValues = singularValuesOf(rows, n, d);
  const total = singularValues.reduce((sum, value) => sum + value, 0);
  if (total <= 0) return 0;
  let entropy = 0;
  for (const value of singularValues) {
    const p = value / total + EPSILON;
    entropy -= p * Math.log(p);
  }
  return Math.exp(entropy);
}

/** Singular values from the eigenvalues of the smaller Gram matrix (X·Xᵀ or Xᵀ·X). */
export function singularValuesOf(rows: Float32Array, n: number, d: number): number[] {
  if (rows.length !== n * d) throw new Error(`effectiveRank: ${rows.length} values are not ${n} × ${d}`);
  const size = Math.min(n, d);
  const gram = new Float64Array(size * size);
  if (n <= d) {
    for (let i = 0; i < n; i++) {
      for (let j = i; j < n; j++) {
        let dot = 0;
        for (let k = 0; k < d; k++) dot += rows[i * d + k] * rows[j * d + k];
        gram[i * size + j] = dot;
        gram[j * size + i] = dot;
      }
    }
  } else {
    for (let r = 0; r < n; r++) {
      const offset = r * d;
      for (let i = 0; i < d; i++) {
        const xi = rows[offset + i];
        if (xi === 0) continue;
        for (let j = i; j < d; j++) gram[i * size + j] += xi * rows[offset + j];
      }
    }
    for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) gram[i * size + j] = gram[j * size + i];
  }
  return symmetricEigenvalues(gram, size).map((value) => Math.sqrt(Math.max(value, 0)));
}

/** Cyclic Jacobi rotations until the off-diagonal mass is negligible; exact enough for a few hundred rows. */
function symmetricEigenvalues(matrix: Float64Array, size: number): number[] {
  const a = Float64Array.from(matrix);
  for (let sweep = 0; sweep < 50; sweep++) {
    let off = 0;
    let diagonal = 0;
    for (let i = 0; i < size; i++) {
      diagonal += a[i * size + i] ** 2;
      for (let j = i + 1; j < size; j++) off += a[i * size + j] ** 2;
    }
    if (off <= 1e-22 * diagonal || off === 0) break;
    for (let p = 0; p < size; p++) {
      for (let q = p + 1; q < size; q++) {
        const apq = a[p * size + q];
        if (Math.abs(apq) < 1e-300) continue;
        const app = a[p * size + p];
        const aqq = a[q * size + q];
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < size; k++) {
          const akp = a[k * size + p];
          const akq = a[k * size + q];
          a[k * size + p] = c * akp - s * akq;
          a[k * size + q] = s * akp + c * akq;
        }
        for (let k = 0; k < size; k++) {
          const apk = a[p * size + k];
          const aqk = a[q * size + k];
          a[p * size + k] = c * apk - s * aqk;
          a[q * size + k] = s * apk + c * aqk;
        }
      }
    }
  }
  const values: number[] = [];
  for (let i = 0; i < size; i++) values.push(a[i * size + i]);
  return values.sort((x, y) => y - x);
}
