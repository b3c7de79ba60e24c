import { describe, expect, it } from 'vitest';
import { cosineTopK, normalizeRows } from '../../../core/analysis/cosine-top-k.ts';
import { crossTopK, knnGraph } from '../../../core/analysis/knn-graph.ts';

/** Deterministic pseudo-random unit rows (mulberry32), clustered so that neighbours matter. */
function randomRows(count: number, dim: number, seed: number): Float32Array {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const centres = Array.from({ length: 8 }, () => Array.from({ length: dim }, () => random() - 0.5));
  const rows = new Float32Array(count * dim);
  for (let r = 0; r < count; r++) {
    const centre = centres[r % centres.length];
    for (let c = 0; c < dim; c++) rows[r * dim + c] = centre[c] + 0.3 * (random() - 0.5);
  }
  return normalizeRows(rows, count, dim);
}

/** The plain definition: every pair in double precision, sorted. */
function bruteForce(rows: Float32Array, count: number, dim: number, row: number, k: number) {
  const scored: { index: number; similarity: number }[] = [];
  for (let j = 0; j < count; j++) {
    if (j === row) continue;
    let s = 0;
    for (let c = 0; c < dim; c++) s += rows[row * dim + c] * rows[j * dim + c];
    scored.push({ index: j, similarity: s });
  }
  scored.sort((a, b) => b.similarity - a.similarity || a.index - b.index);
  return scored.slice(0, k);
}

/**
 * Exact means: the j-th neighbour returned is truly as similar as the j-th best row, up to float32
 * rounding (a BLAS sums in another order than this double-precision loop, so two rows whose
 * similarities differ by ~1e-7 may swap places; the set of similarities may not change).
 */
function expectExactRow(
  got: Int32Array,
  gotSimilarities: Float32Array,
  rows: Float32Array,
  count: number,
  dim: number,
  row: number,
) {
  const k = got.length;
  const expected = bruteForce(rows, count, dim, row, k);
  expect(new Set(got).size).toBe(k);
  expect(Array.from(got)).not.toContain(row);
  for (let j = 0; j < k; j++) {
    let trueSimilarity = 0;
    for (let c = 0; c < dim; c++) trueSimilarity += rows[row * dim + c] * rows[got[j] * dim + c];
    expect(Math.abs(trueSimilarity - expected[j].similarity)).toBeLessThan(1e-6);
    expect(Math.abs(gotSimilarities[j] - expected[j].similarity)).toBeLessThan(1e-6);
  }
}

describe('exact k-NN graph', () => {
  it.each([
    { engine: 'js' as const, tileRows: 2048 },
    { engine: 'js' as const, tileRows: 96 },
    { engine: 'onnx' as const, tileRows: 2048 },
    { engine: 'onnx' as const, tileRows: 128 },
  ])(
    'matches brute force row for row ($engine engine, tiles of $tileRows rows)',
    async ({ engine, tileRows }) => {
      const count = 700;
      const dim = 37; // not a multiple of 4: exercises the loop tails
      const k = 15;
      const rows = randomRows(count, dim, 7);
      const graph = await knnGraph(rows, count, dim, k, { engine, tileRows });
      expect(graph.engine).toBe(engine);
      expect(graph.indices.length).toBe(count * k);
      for (let row = 0; row < count; row++) {
        const span = [row * k, (row + 1) * k] as const;
        expectExactRow(
          graph.indices.subarray(...span),
          graph.similarities.subarray(...span),
          rows,
          count,
          dim,
          row,
        );
      }
    },
  );

  it('agrees with the single-query search and never lists a row as its own neighbour', async () => {
    const count = 300;
    const dim = 16;
    const rows = randomRows(count, dim, 3);
    const graph = await knnGraph(rows, count, dim, 10);
    for (const row of [0, 1, 150, 299]) {
      const single = cosineTopK(rows, count, dim, rows.subarray(row * dim, (row + 1) * dim), 10, {
        excludeRow: row,
      });
      expect(Array.from(graph.indices.subarray(row * 10, row * 10 + 10))).toEqual(Array.from(single.indices));
      expect(Array.from(single.indices)).not.toContain(row);
    }
  });

  it('keeps exact duplicates as each other’s nearest neighbours', async () => {
    const rows = randomRows(50, 8, 11);
    rows.set(rows.subarray(0, 8), 49 * 8);
    const graph = await knnGraph(rows, 50, 8, 3);
    expect(graph.indices[0]).toBe(49);
    expect(graph.indices[49 * 3]).toBe(0);
    expect(graph.similarities[0]).toBeCloseTo(1, 6);
  });

  it('searches a held-out set against a database', async () => {
    const rows = randomRows(200, 12, 5);
    for (const engine of ['js', 'onnx'] as const) {
      const result = await crossTopK(rows.subarray(0, 12 * 20), 20, rows, 200, 12, 4, {
        engine,
        tileRows: 64,
      });
      for (let q = 0; q < 20; q++) {
        expect(result.indices[q * 4]).toBe(q); // itself, similarity 1
        // The rest are row q's 3 nearest others.
        const span = [q * 4 + 1, q * 4 + 4] as const;
        expectExactRow(
          result.indices.subarray(...span),
          result.similarities.subarray(...span),
          rows,
          200,
          12,
          q,
        );
      }
    }
  });

  it('breaks ties to the lower row alike in every engine, with tiles smaller than k', async () => {
    // Small whole numbers: every dot product is exact in float32 whatever the summation order, and
    // many are equal, so the order of ties is what is tested (ONNX TopK vs the JS scan).
    let state = 3;
    const whole = () => {
      state = (state * 1103515245 + 12345) >>> 0;
      return ((state >>> 16) % 3) - 1;
    };
    const dim = 8;
    const database = Float32Array.from({ length: 45 * dim }, whole);
    const queries = Float32Array.from({ length: 30 * dim }, whole);
    const k = 15;
    const expected: number[] = [];
    for (let q = 0; q < 30; q++) {
      const scored = Array.from({ length: 45 }, (_, row) => {
        let s = 0;
        for (let c = 0; c < dim; c++) s += queries[q * dim + c] * database[row * dim + c];
        return { row, s };
      });
      scored.sort((x, y) => y.s - x.s || x.row - y.row);
      expected.push(...scored.slice(0, k).map((x) => x.row));
    }
    for (const engine of ['js', 'onnx'] as const) {
      // Database tiles of 16, 16 and 13 rows: the last holds fewer than k.
      const result = await crossTopK(queries, 30, database, 45, dim, k, { engine, tileRows: 16 });
      expect(Array.from(result.indices)).toEqual(expected);
    }
  });

  it('keeps ties and the floor pass exact in a long JS scan', () => {
    // 600 candidates ≥ 8·k: TopKSelection first finds a floor from part maxima, then inserts.
    let state = 9;
    const whole = () => {
      state = (state * 1103515245 + 12345) >>> 0;
      return ((state >>> 16) % 3) - 1;
    };
    const dim = 6;
    const rows = Float32Array.from({ length: 600 * dim }, whole);
    const query = Float32Array.from({ length: dim }, whole);
    const scored = Array.from({ length: 600 }, (_, row) => {
      let s = 0;
      for (let c = 0; c < dim; c++) s += query[c] * rows[row * dim + c];
      return { row, s };
    });
    scored.sort((x, y) => y.s - x.s || x.row - y.row);
    for (const k of [1, 20, 60]) {
      const result = cosineTopK(rows, 600, dim, query, k);
      expect(Array.from(result.indices)).toEqual(scored.slice(0, k).map((x) => x.row));
    }
  });

  it('stops when cancelled and reports progress', async () => {
    const rows = randomRows(3000, 64, 1);
    const controller = new AbortController();
    const seen: number[] = [];
    const run = knnGraph(rows, 3000, 64, 5, {
      signal: controller.signal,
      onProgress: (done) => {
        seen.push(done);
        controller.abort();
      },
    });
    await expect(run).rejects.toThrow();
    expect(seen.length).toBeGreaterThan(0);
  });

  it('refuses k that the rows cannot give', async () => {
    await expect(knnGraph(new Float32Array(6), 3, 2, 3)).rejects.toThrow(/at least 4 rows/);
  });
});
