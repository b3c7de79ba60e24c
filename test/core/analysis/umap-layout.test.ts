import { UMAP } from 'umap-js';
import { describe, expect, it } from 'vitest';
import { neighbourLabelAgreement } from '../../../core/analysis/cluster-agreement.ts';
import { fuzzySimplicialSet, type KnnDistances } from '../../../core/analysis/fuzzy-simplicial-set.ts';
import { knnGraph } from '../../../core/analysis/knn-graph.ts';
import { withSelf } from '../../../core/analysis/map-compute.ts';
import { seededRandom } from '../../../core/analysis/seeded-random.ts';
import { umapLayout } from '../../../core/analysis/umap-layout.ts';
import { gaussianClasses } from './map-fixtures.ts';

async function cosineKnn(count: number, dim: number, k: number, classes = 3, noise = 0.6) {
  const { vectors, labels } = gaussianClasses(count, dim, classes, noise);
  const graph = await knnGraph(vectors, count, dim, k - 1, { engine: 'js' });
  return { knn: withSelf(graph.indices, graph.similarities, count, k), labels, vectors };
}

function asArrays(knn: KnnDistances) {
  const indices: number[][] = [];
  const distances: number[][] = [];
  for (let i = 0; i < knn.count; i++) {
    indices.push(Array.from(knn.indices.subarray(i * knn.k, (i + 1) * knn.k)));
    distances.push(Array.from(knn.distances.subarray(i * knn.k, (i + 1) * knn.k)));
  }
  return { indices, distances };
}

describe('umapLayout', () => {
  it("follows umap-js's algorithm step for step: same graph, seed and epochs give umap-js's layout", async () => {
    const { knn, vectors } = await cosineKnn(240, 16, 10);
    const { indices, distances } = asArrays(knn);
    const rows = Array.from({ length: 240 }, (_, i) => Array.from(vectors.subarray(i * 16, (i + 1) * 16)));
    for (const nEpochs of [1, 3]) {
      const reference = new UMAP({ nNeighbors: 10, nEpochs, random: seededRandom(7) });
      reference.setPrecomputedKNN(indices, distances);
      const expected = reference.fit(rows);
      const ours = umapLayout(knn, { nEpochs, seed: 7 });
      let maxDifference = 0;
      expected.forEach((point, i) => {
        maxDifference = Math.max(
          maxDifference,
          Math.abs(point[0] - ours[2 * i]),
          Math.abs(point[1] - ours[2 * i + 1]),
        );
      });
      // Powers as exp(b·ln x) differ from Math.pow in the last bits only.
      expect(maxDifference).toBeLessThan(1e-9);
    }
  });

  it('gives the same layout for the same seed and another for another seed', async () => {
    const { knn } = await cosineKnn(150, 16, 10);
    const a = umapLayout(knn, { nEpochs: 50, seed: 1 });
    const b = umapLayout(knn, { nEpochs: 50, seed: 1 });
    const c = umapLayout(knn, { nEpochs: 50, seed: 2 });
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(Array.from(c)).not.toEqual(Array.from(a));
  });

  it('keeps classes apart on the map (10-NN label agreement in 2-D)', async () => {
    const { knn, labels } = await cosineKnn(450, 32, 15, 3, 0.8);
    const layout = umapLayout(knn, { seed: 3 });
    expect(layout.every(Number.isFinite)).toBe(true);
    expect(neighbourLabelAgreement(layout, 450, 2, labels, 10)).toBeGreaterThan(0.95);
  });

  it('lays out in more than two dimensions', async () => {
    const { knn, labels } = await cosineKnn(300, 16, 10);
    const layout = umapLayout(knn, { nComponents: 5, nEpochs: 100, seed: 3 });
    expect(layout.length).toBe(1500);
    expect(neighbourLabelAgreement(layout, 300, 5, labels, 10)).toBeGreaterThan(0.95);
  });

  it('refuses fewer points than neighbours and stops when aborted', async () => {
    const { knn } = await cosineKnn(60, 8, 10);
    expect(() => umapLayout({ ...knn, count: 9, indices: knn.indices.subarray(0, 90) })).toThrow(
      /more points/,
    );
    const controller = new AbortController();
    expect(() =>
      umapLayout(
        knn,
        { nEpochs: 100 },
        { signal: controller.signal, onEpoch: (done) => done === 5 && controller.abort() },
      ),
    ).toThrow();
  });
});

describe('fuzzySimplicialSet', () => {
  it('is the symmetric fuzzy union of the membership graph, with memberships in (0, 1]', async () => {
    const { knn } = await cosineKnn(200, 16, 10);
    const graph = fuzzySimplicialSet(knn);
    const lookup = new Map<string, number>();
    for (let row = 0; row < graph.count; row++) {
      for (let e = graph.rowStart[row]; e < graph.rowStart[row + 1]; e++) {
        expect(graph.columns[e]).not.toBe(row);
        if (e > graph.rowStart[row]) expect(graph.columns[e]).toBeGreaterThan(graph.columns[e - 1]);
        lookup.set(`${row}:${graph.columns[e]}`, graph.weights[e]);
      }
    }
    for (const [key, value] of lookup) {
      const [a, b] = key.split(':');
      expect(lookup.get(`${b}:${a}`)).toBe(value);
      expect(value).toBeGreaterThan(0);
      expect(value).toBeLessThanOrEqual(1);
    }
    // Every point's nearest neighbour has membership 1 (local connectivity 1).
    for (let i = 0; i < 200; i++) expect(lookup.get(`${i}:${knn.indices[i * 10 + 1]}`)).toBeCloseTo(1, 12);
  });
});
