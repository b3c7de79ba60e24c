import { describe, expect, it } from 'vitest';
import { effectiveRank, singularValuesOf } from '../../../core/analysis/effective-rank.ts';
import { seededRandom } from '../../../core/analysis/seeded-random.ts';

function gaussianRows(n: number, d: number, seed: number, usedDims = d): Float32Array {
  const random = seededRandom(seed);
  const rows = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < usedDims; k++) {
      const u = Math.max(random(), 1e-12);
      rows[i * d + k] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
    }
  }
  return rows;
}

describe('effectiveRank', () => {
  it('finds the singular values of a known matrix', () => {
    // diag(3, 2, 1) padded with a zero row: singular values 3, 2, 1.
    const rows = Float32Array.from([3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0]);
    const values = singularValuesOf(rows, 4, 3);
    expect(values[0]).toBeCloseTo(3, 6);
    expect(values[1]).toBeCloseTo(2, 6);
    expect(values[2]).toBeCloseTo(1, 6);
    // Both Gram orientations agree.
    const wide = singularValuesOf(Float32Array.from([3, 0, 0, 0, 0, 2, 0, 0]), 2, 4);
    expect(wide[0]).toBeCloseTo(3, 6);
    expect(wide[1]).toBeCloseTo(2, 6);
  });

  it('is 1 for collapsed embeddings, near d for isotropic ones, and in between for a few directions', () => {
    const n = 200;
    const d = 32;
    const collapsed = new Float32Array(n * d);
    for (let i = 0; i < n; i++) collapsed[i * d] = 1 + 0.001 * i;
    expect(effectiveRank(collapsed, n, d)).toBeCloseTo(1, 3);
    const isotropic = effectiveRank(gaussianRows(n, d, 1), n, d);
    expect(isotropic).toBeGreaterThan(0.85 * d);
    const fourDims = effectiveRank(gaussianRows(n, d, 2, 4), n, d);
    expect(fourDims).toBeGreaterThan(3.5);
    expect(fourDims).toBeLessThan(4.01);
  });

  it('names a shape mismatch', () => {
    expect(() => effectiveRank(new Float32Array(5), 2, 3)).toThrow(/5 values are not 2 × 3/);
  });
});
