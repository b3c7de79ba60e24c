import { describe, expect, it } from 'vitest';
import { adjustedRandIndex, clusterAgreement, purity } from '../../../core/analysis/cluster-agreement.ts';
import { closestToCentroids } from '../../../core/analysis/clusters.ts';
import { hdbscan } from '../../../core/analysis/hdbscan.ts';
import { lowDimKnn } from '../../../core/analysis/kd-tree.ts';
import { seededRandom } from '../../../core/analysis/seeded-random.ts';

function blobs(perBlob: number, centres: [number, number][], spread: number, uniformNoise: number, seed = 1) {
  const random = seededRandom(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
  const points: number[] = [];
  const classes: number[] = [];
  centres.forEach(([x, y], c) => {
    for (let i = 0; i < perBlob; i++) {
      points.push(x + spread * gauss(), y + spread * gauss());
      classes.push(c);
    }
  });
  for (let i = 0; i < uniformNoise; i++) {
    points.push(random() * 60 - 20, random() * 60 - 20);
    classes.push(-1);
  }
  return { points: Float64Array.from(points), classes: Int32Array.from(classes), count: classes.length };
}

describe('hdbscan', () => {
  it('finds blobs of different densities without being told how many, and calls scattered points noise', () => {
    const { points, classes, count } = blobs(
      150,
      [
        [0, 0],
        [12, 0],
        [0, 12],
        [12, 12],
      ],
      1,
      40,
    );
    // One blob twice as wide: HDBSCAN handles varying density.
    for (let i = 450; i < 600; i++) points[2 * i] = 12 + (points[2 * i] - 12) * 2;
    const result = hdbscan(points, count, 2, { minClusterSize: 20, minSamples: 10 });
    expect(result.clusterCount).toBe(4);
    const agreement = clusterAgreement(result.labels, classes);
    expect(agreement.adjustedRandIndexClustered).toBeGreaterThan(0.97);
    expect(agreement.noiseFraction).toBeLessThan(0.05);
    const noiseLabels = Array.from(result.labels.subarray(600));
    expect(noiseLabels.filter((l) => l === -1).length).toBeGreaterThan(30);
    for (let i = 0; i < count; i++) {
      if (result.labels[i] < 0) expect(result.membership[i]).toBe(0);
      else expect(result.membership[i]).toBeGreaterThan(0);
    }
  });

  it('calls everything noise when there is a single blob (no split to prefer), as the reference does', () => {
    const { points, count } = blobs(200, [[0, 0]], 1, 0);
    const result = hdbscan(points, count, 2, { minClusterSize: 150, minSamples: 5 });
    expect(result.clusterCount).toBe(0);
    expect(result.labels.every((l) => l === -1)).toBe(true);
  });

  it('handles fewer points than the minimum cluster size', () => {
    const result = hdbscan(new Float64Array([0, 0, 1, 1, 2, 2]), 3, 2, { minClusterSize: 5, minSamples: 2 });
    expect(Array.from(result.labels)).toEqual([-1, -1, -1]);
  });
});

describe('lowDimKnn', () => {
  it('returns the exact nearest neighbours (brute force check)', () => {
    const random = seededRandom(4);
    const count = 700;
    const dim = 3;
    const points = Float64Array.from({ length: count * dim }, () => random());
    const knn = lowDimKnn(points, count, dim, 7);
    for (let i = 0; i < count; i += 37) {
      const all = Array.from({ length: count }, (_, j) => j)
        .filter((j) => j !== i)
        .map((j) => ({
          j,
          d: Math.hypot(...[0, 1, 2].map((c) => points[i * dim + c] - points[j * dim + c])),
        }))
        .sort((a, b) => a.d - b.d || a.j - b.j);
      expect(Array.from(knn.indices.subarray(i * 7, i * 7 + 7))).toEqual(all.slice(0, 7).map((x) => x.j));
      expect(knn.distances[i * 7 + 6]).toBeCloseTo(all[6].d, 12);
    }
  });
});

describe('agreement measures', () => {
  it("match scikit-learn's adjusted_rand_score on its documented examples", () => {
    expect(adjustedRandIndex([0, 0, 1, 1], [0, 0, 1, 1])).toBe(1);
    expect(adjustedRandIndex([0, 0, 1, 1], [1, 1, 0, 0])).toBe(1);
    expect(adjustedRandIndex([0, 0, 1, 2], [0, 0, 1, 1])).toBeCloseTo(0.5714285714285715, 12);
    expect(adjustedRandIndex([0, 0, 1, 1], [0, 0, 1, 2])).toBeCloseTo(0.5714285714285715, 12);
    expect(adjustedRandIndex([0, 0, 0, 0], [0, 1, 2, 3])).toBe(0);
    expect(adjustedRandIndex([0, 0, 1, 1], [0, 1, 0, 1])).toBeCloseTo(-0.5, 12);
  });

  it('purity counts each group by its majority class; noise is left out of the clustered figures', () => {
    expect(purity([0, 0, 0, 1, 1], [5, 5, 6, 7, 7])).toBeCloseTo(0.8, 12);
    const agreement = clusterAgreement([0, 0, 1, 1, -1, -1], [0, 0, 1, 1, 1, -1]);
    expect(agreement.noiseFraction).toBeCloseTo(1 / 5, 12);
    expect(agreement.purity).toBe(1);
    expect(agreement.adjustedRandIndexClustered).toBe(1);
    expect(agreement.classes).toBe(2);
    expect(agreement.clusters).toBe(2);
  });

  it('ranks representatives by closeness to the cluster centroid', () => {
    const s = Math.SQRT1_2;
    // Cluster 0: three unit vectors around (1, 0); the middle one is the most representative.
    const vectors = new Float32Array([0.96, 0.28, 1, 0, 0.96, -0.28, s, s, 0, 1]);
    const summaries = closestToCentroids(vectors, 5, 2, new Int32Array([0, 0, 0, -1, -1]), 2);
    expect(summaries[0]).toEqual({ cluster: 0, size: 3, representatives: [1, 0] });
    // Two points are equally close to their mean: both listed, in either order.
    expect(summaries[1].cluster).toBe(-1);
    expect(summaries[1].size).toBe(2);
    expect([...summaries[1].representatives].sort()).toEqual([3, 4]);
  });
});
