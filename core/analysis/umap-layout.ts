import { findABParams } from 'umap-js/dist/umap.js';
import { type FuzzyGraph, fuzzySimplicialSet, type KnnDistances } from './fuzzy-simplicial-set.ts';
import { seededRandom } from './seeded-random.ts';

/**
 * UMAP layout from a precomputed k-NN graph. The algorithm is umap-js 1.4's, step for step
 * (fuzzy simplicial set, random initialisation in [−10, 10], edge sampling by membership
 * strength, negative sampling, clipped gradients, linearly decaying learning rate): with the
 * same random source and the same epoch count it gives umap-js's layout. What changed is the
 * machinery: typed arrays and a CSR graph instead of string-keyed maps and arrays of arrays,
 * which is where umap-js spent its time. The epoch count follows the reference Python UMAP's
 * rule for large data (200 above 10,000 points) instead of umap-js's (200 above 7,500); see
 * `defaultEpochs`.
 */
export interface UmapOptions {
  /** Output dimensions: 2 for the map; a few more for clustering. */
  nComponents: number;
  /** Effective minimum distance between embedded points (UMAP's min_dist). */
  minDist: number;
  /** Scale of the embedded points, with minDist (UMAP's spread). */
  spread: number;
  /** Optimisation epochs; 0 picks `defaultEpochs(count)`. */
  nEpochs: number;
  /** Initial SGD learning rate, decayed linearly to 0. */
  learningRate: number;
  /** Negative samples per positive edge sample. */
  negativeSampleRate: number;
  /** Weight of the negative (repulsive) samples. */
  repulsionStrength: number;
  /** Seed of every random draw: the same seed, graph and options give the same layout. */
  seed: number;
}

export const DEFAULT_UMAP_OPTIONS: UmapOptions = {
  nComponents: 2, // a map on screen
  minDist: 0.1, // UMAP's default: tight clusters that still show their inner structure
  spread: 1, // UMAP's default
  nEpochs: 0, // size-dependent, see defaultEpochs
  learningRate: 1, // UMAP's default
  negativeSampleRate: 5, // UMAP's default
  repulsionStrength: 1, // UMAP's default
  seed: 42, // any fixed number: maps are reproducible unless the user asks for another seed
};

/**
 * Epochs by data size: umap-js's steps up to 7,500 points (500/400/300), then 200 as both
 * umap-js and the reference use for large data. The total work grows with the number of edges
 * either way; the measured label agreement at 10,000 and 100,000 points is in bench/map.ts.
 */
export function defaultEpochs(count: number): number {
  if (count <= 2500) return 500;
  if (count <= 5000) return 400;
  if (count <= 7500) return 300;
  return 200;
}

export interface LayoutHooks {
  /** Called after every epoch with (epochs done, total epochs). */
  onEpoch?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

/** count × nComponents coordinates, row-major. */
export function umapLayout(
  knn: KnnDistances,
  options: Partial<UmapOptions> = {},
  hooks: LayoutHooks = {},
): Float64Array {
  const settings = { ...DEFAULT_UMAP_OPTIONS, ...options };
  if (knn.count <= knn.k) {
    throw new Error(
      `UMAP needs more points (${knn.count}) than neighbours per point (${knn.k}): embed more photos or lower --neighbors.`,
    );
  }
  const graph = fuzzySimplicialSet(knn);
  const optimizer = new LayoutOptimizer(graph, settings);
  for (let epoch = 0; epoch < optimizer.nEpochs; epoch++) {
    hooks.signal?.throwIfAborted();
    optimizer.step();
    hooks.onEpoch?.(epoch + 1, optimizer.nEpochs);
  }
  return optimizer.embedding;
}

/** The SGD state of one layout: the embedding and the per-edge sampling schedule. */
export class LayoutOptimizer {
  readonly nEpochs: number;
  readonly embedding: Float64Array;
  private readonly head: Int32Array;
  private readonly tail: Int32Array;
  private readonly epochsPerSample: Float64Array;
  private readonly epochOfNextSample: Float64Array;
  private readonly epochsPerNegativeSample: Float64Array;
  private readonly epochOfNextNegativeSample: Float64Array;
  private readonly a: number;
  private readonly b: number;
  private readonly random: () => number;
  private epoch = 0;
  private alpha: number;

  constructor(
    graph: FuzzyGraph,
    private readonly options: UmapOptions,
  ) {
    const { count, rowStart, columns, weights } = graph;
    this.nEpochs = options.nEpochs > 0 ? options.nEpochs : defaultEpochs(count);
    this.random = seededRandom(options.seed);
    ({ a: this.a, b: this.b } = findABParams(options.spread, options.minDist));
    this.alpha = options.learningRate;

    // Edges too weak to be sampled even once in nEpochs are dropped, as in umap-js.
    let graphMax = 0;
    for (let e = 0; e < weights.length; e++) if (weights[e] > graphMax) graphMax = weights[e];
    const threshold = graphMax / this.nEpochs;
    let kept = 0;
    for (let e = 0; e < weights.length; e++) if (weights[e] >= threshold) kept++;
    this.head = new Int32Array(kept);
    this.tail = new Int32Array(kept);
    const edgeWeights = new Float64Array(kept);
    let n = 0;
    for (let row = 0; row < count; row++) {
      for (let e = rowStart[row]; e < rowStart[row + 1]; e++) {
        if (weights[e] < threshold) continue;
        this.tail[n] = row;
        this.head[n] = columns[e];
        edgeWeights[n] = weights[e];
        n++;
      }
    }

    // Random start in [−10, 10], drawn point by point as umap-js does.
    const dim = options.nComponents;
    this.embedding = new Float64Array(count * dim);
    for (let i = 0; i < count * dim; i++) this.embedding[i] = this.random() * 20 - 10;

    let maxWeight = 0;
    for (let e = 0; e < kept; e++) if (edgeWeights[e] > maxWeight) maxWeight = edgeWeights[e];
    this.epochsPerSample = new Float64Array(kept);
    for (let e = 0; e < kept; e++) {
      const samples = (edgeWeights[e] / maxWeight) * this.nEpochs;
      this.epochsPerSample[e] = samples > 0 ? this.nEpochs / samples : -1;
    }
    this.epochOfNextSample = this.epochsPerSample.slice();
    this.epochsPerNegativeSample = this.epochsPerSample.map((e) => e / options.negativeSampleRate);
    this.epochOfNextNegativeSample = this.epochsPerNegativeSample.slice();
  }

  get edgeCount(): number {
    return this.head.length;
  }

  /**
   * One epoch of umap-js's `optimizeLayoutStep`. Powers are taken as exp(b·ln d²) (about twice as
   * fast as Math.pow in V8, equal to it within rounding) and d²^(b−1) as d²^b / d², so each
   * sample costs one power instead of two; the 2-D case has its own loop.
   */
  step(): void {
    if (this.options.nComponents === 2) this.step2d();
    else this.stepAnyDim();
    this.alpha = this.options.learningRate * (1 - this.epoch / this.nEpochs);
    this.epoch++;
  }

  private step2d(): void {
    const n = this.epoch;
    const { head, tail, embedding: y, epochsPerSample, epochOfNextSample } = this;
    const { epochsPerNegativeSample, epochOfNextNegativeSample, a, b, alpha, random } = this;
    const vertexCount = y.length / 2;
    const attraction = -2 * a * b;
    const repulsion = 2 * this.options.repulsionStrength * b;
    const edges = head.length;
    for (let i = 0; i < edges; i++) {
      if (epochOfNextSample[i] > n) continue;
      const j = head[i];
      const cx = j * 2;
      const ox = tail[i] * 2;
      let dx = y[cx] - y[ox];
      let dy = y[cx + 1] - y[ox + 1];
      const distSquared = dx * dx + dy * dy;
      if (distSquared > 0) {
        const powB = Math.exp(b * Math.log(distSquared));
        const coeff = (attraction * (powB / distSquared)) / (a * powB + 1);
        dx = clip4(coeff * dx) * alpha;
        dy = clip4(coeff * dy) * alpha;
      } else {
        dx = 0;
        dy = 0;
      }
      y[cx] += dx;
      y[ox] -= dx;
      y[cx + 1] += dy;
      y[ox + 1] -= dy;
      epochOfNextSample[i] += epochsPerSample[i];

      const negativeSamples = Math.floor((n - epochOfNextNegativeSample[i]) / epochsPerNegativeSample[i]);
      for (let p = 0; p < negativeSamples; p++) {
        const k = Math.floor(random() * vertexCount);
        const nx = k * 2;
        const ndx = y[cx] - y[nx];
        const ndy = y[cx + 1] - y[nx + 1];
        const negDistSquared = ndx * ndx + ndy * ndy;
        if (negDistSquared > 0) {
          const powB = Math.exp(b * Math.log(negDistSquared));
          const coeff = repulsion / ((0.001 + negDistSquared) * (a * powB + 1));
          y[cx] += clip4(coeff * ndx) * alpha;
          y[cx + 1] += clip4(coeff * ndy) * alpha;
        } else if (j !== k) {
          y[cx] += 4 * alpha;
          y[cx + 1] += 4 * alpha;
        }
      }
      epochOfNextNegativeSample[i] += negativeSamples * epochsPerNegativeSample[i];
    }
  }

  private stepAnyDim(): void {
    const n = this.epoch;
    const { head, tail, embedding, epochsPerSample, epochOfNextSample } = this;
    const { epochsPerNegativeSample, epochOfNextNegativeSample, a, b, alpha, random } = this;
    const dim = this.options.nComponents;
    const vertexCount = embedding.length / dim;
    const attraction = -2 * a * b;
    const repulsion = 2 * this.options.repulsionStrength * b;
    const edges = head.length;
    for (let i = 0; i < edges; i++) {
      if (epochOfNextSample[i] > n) continue;
      const j = head[i];
      const current = j * dim;
      const other = tail[i] * dim;

      let distSquared = 0;
      for (let d = 0; d < dim; d++) {
        const diff = embedding[current + d] - embedding[other + d];
        distSquared += diff * diff;
      }
      let gradCoeff = 0;
      if (distSquared > 0) {
        const powB = Math.exp(b * Math.log(distSquared));
        gradCoeff = (attraction * (powB / distSquared)) / (a * powB + 1);
      }
      for (let d = 0; d < dim; d++) {
        const gradD = clip4(gradCoeff * (embedding[current + d] - embedding[other + d]));
        embedding[current + d] += gradD * alpha;
        embedding[other + d] -= gradD * alpha;
      }
      epochOfNextSample[i] += epochsPerSample[i];

      const negativeSamples = Math.floor((n - epochOfNextNegativeSample[i]) / epochsPerNegativeSample[i]);
      for (let p = 0; p < negativeSamples; p++) {
        const k = Math.floor(random() * vertexCount);
        const negative = k * dim;
        let negDistSquared = 0;
        for (let d = 0; d < dim; d++) {
          const diff = embedding[current + d] - embedding[negative + d];
          negDistSquared += diff * diff;
        }
        let negCoeff = 0;
        if (negDistSquared > 0) {
          const powB = Math.exp(b * Math.log(negDistSquared));
          negCoeff = repulsion / ((0.001 + negDistSquared) * (a * powB + 1));
        } else if (j === k) {
          continue;
        }
        for (let d = 0; d < dim; d++) {
          const gradD =
            negCoeff > 0 ? clip4(negCoeff * (embedding[current + d] - embedding[negative + d])) : 4;
          embedding[current + d] += gradD * alpha;
        }
      }
      epochOfNextNegativeSample[i] += negativeSamples * epochsPerNegativeSample[i];
    }
  }
}

function clip4(x: number): number {
  return Math.min(4, Math.max(-4, x));
}
