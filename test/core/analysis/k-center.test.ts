import { describe, expect, it } from 'vitest';
import { normalizeRows } from '../../../core/analysis/cosine-top-k.ts';
import { kCenterGreedy, quotas } from '../../../core/analysis/k-center.ts';
import { seededRandom } from '../../../core/analysis/seeded-random.ts';

function gaussian(seed: number) {
  const random = seededRandom(seed);
  return () => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
}

/** `groups` tight groups of very different sizes around random directions. */
function groupsOf(sizes: number[], dim: number, spread: number, seed = 3) {
  const gauss = gaussian(seed);
  const count = sizes.reduce((a, b) => a + b, 0);
  const vectors = new Float32Array(count * dim);
  const group = new Int32Array(count);
  let row = 0;
  sizes.forEach((size, g) => {
    const centre = Array.from({ length: dim }, gauss);
    for (let i = 0; i < size; i++, row++) {
      group[row] = g;
      for (let d = 0; d < dim; d++) vectors[row * dim + d] = centre[d] + spread * gauss();
    }
  });
  return { vectors: normalizeRows(vectors, count, dim), group, count };
}

/** The textbook farthest-point traversal: a full scan per pick, no pruning. */
function naiveFarthestPoint(
  vectors: Float32Array,
  count: number,
  dim: number,
  wanted: number,
  first: number,
) {
  const best = new Float64Array(count).fill(Number.NEGATIVE_INFINITY); // max similarity to a pick
  const picks: number[] = [];
  let next = first;
  while (picks.length < wanted) {
    picks.push(next);
    let worst = -1;
    for (let i = 0; i < count; i++) {
      let s = 0;
      for (let d = 0; d < dim; d++) s += vectors[i * dim + d] * vectors[next * dim + d];
      best[i] = Math.max(best[i], s);
      if (worst < 0 || best[i] < best[worst]) worst = i;
    }
    next = worst;
  }
  return picks;
}

describe('greedy k-center', () => {
  it('picks one photo from each planted group before a second from any, whatever their sizes', async () => {
    const sizes = [500, 3, 120, 40, 7, 60];
    const { vectors, group, count } = groupsOf(sizes, 48, 0.15);
    const result = await kCenterGreedy(vectors, count, 48, sizes.length, { nearDuplicateSimilarity: 0.999 });
    expect(new Set(Array.from(result.rows, (row) => group[row])).size).toBe(sizes.length);
    // The coverage can only get better with each pick.
    for (let i = 1; i < result.coverage.length; i++)
      expect(result.coverage[i]).toBeGreaterThanOrEqual(result.coverage[i - 1]);
  });

  it('makes exactly the picks of a full farthest-point scan (the pruning only skips work)', async () => {
    const gauss = gaussian(11);
    const count = 600;
    const dim = 16;
    const vectors = normalizeRows(Float32Array.from({ length: count * dim }, gauss), count, dim);
    const result = await kCenterGreedy(vectors, count, dim, 40, { nearDuplicateSimilarity: 1 });
    expect(Array.from(result.rows)).toEqual(naiveFarthestPoint(vectors, count, dim, 40, result.rows[0]));
  });

  it('makes the same picks with ONNX Runtime products as with JS ones', async () => {
    const { vectors, count } = groupsOf([400, 300, 200, 100, 50, 20], 64, 0.8, 5);
    const js = await kCenterGreedy(vectors, count, 64, 60, { engine: 'js', nearDuplicateSimilarity: 1 });
    const onnx = await kCenterGreedy(vectors, count, 64, 60, { engine: 'onnx', nearDuplicateSimilarity: 1 });
    expect(Array.from(onnx.rows)).toEqual(Array.from(js.rows));
    expect(onnx.coverage.at(-1)).toBeCloseTo(js.coverage.at(-1) ?? 0, 5);
  });

  it('stops when everything left is a near-duplicate of a pick', async () => {
    // Three photos, each with nine near-identical copies.
    const { vectors, group, count } = groupsOf([10, 10, 10], 32, 0.01);
    const result = await kCenterGreedy(vectors, count, 32, 20);
    expect(result.rows.length).toBe(3);
    expect(result.exhausted).toBe(true);
    expect(new Set(Array.from(result.rows, (row) => group[row])).size).toBe(3);
  });

  it('starts from seeds (already tagged photos) and picks where they do not reach, within allowed rows', async () => {
    const { vectors, group, count } = groupsOf([50, 50, 50, 50], 24, 0.1);
    const seeds = [0, 50]; // groups 0 and 1 are already covered
    const rows = Array.from({ length: count }, (_, i) => i).filter((i) => i !== 0 && i !== 50);
    const result = await kCenterGreedy(vectors, count, 24, 2, {
      seeds,
      rows,
      nearDuplicateSimilarity: 0.999,
    });
    expect(Array.from(result.rows, (row) => group[row]).sort()).toEqual([2, 3]);
    for (const row of result.rows) expect(seeds).not.toContain(row);
  });

  it('splits a count across clusters by size, at least one each', async () => {
    expect(quotas([100, 10, 1], 10)).toEqual([8, 1, 1]);
    expect(quotas([50, 50], 3)).toEqual([2, 1]);
    expect(quotas([5, 5, 5], 2)).toEqual([1, 1, 0]);
    expect(quotas([2, 1], 10)).toEqual([2, 1]);
    expect(quotas([7, 0, 3], 5).reduce((a, b) => a + b, 0)).toBe(5);
  });
});
