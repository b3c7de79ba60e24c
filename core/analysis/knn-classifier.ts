import { crossTopK, type KnnGraph, type KnnSearchOptions, knnGraph } from './knn-graph.ts';

/**
 * The weighted k-NN classifier of DINO's `eval_knn.py` (`knn_classifier`): each test feature
 * takes its k most cosine-similar training features, each votes for its label with weight
 * exp(similarity / T), and classes rank by summed votes. Arithmetic is float32 as in PyTorch, so
 * predictions match the reference sample for sample (fixtures/dino-reference/knn.safetensors).
 */
export interface KnnClassifierOptions extends KnnSearchOptions {
  /** Neighbours that vote (eval_knn.py's --nb_knn; DINO reports k = 20). */
  k?: number;
  /** Vote temperature (eval_knn.py's --temperature). */
  temperature?: number;
  /** Labels run from 0 to numClasses − 1. */
  numClasses: number;
}

export interface LabelledFeatures {
  /** count × dim, row-major, L2-normalised. */
  features: Float32Array;
  /** One class per row, 0 … numClasses − 1. */
  labels: Int32Array;
}

export interface KnnClassification {
  /** Predicted class of each test sample (the top-ranked one). */
  predictions: Int32Array;
  /** Per test sample, the `ranked` best classes, best first (count × ranked). */
  rankings: Int32Array;
  ranked: number;
  /** Per test sample, the summed vote of every class (count × numClasses). */
  votes: Float32Array;
  /** Who computed the similarities ('js' or 'onnx'; see knn-graph.ts). */
  engine: 'js' | 'onnx';
  /** Percent of test samples whose label is ranked first. */
  top1: number;
  /** Percent whose label is among the first min(5, k) (eval_knn.py: top-5 means nothing when k < 5). */
  top5: number;
}

export const DEFAULT_K = 20;
export const DEFAULT_TEMPERATURE = 0.07;

/**
 * Classifies `test` by its neighbours in `train`; with `test` = 'leave-one-out' every training
 * sample is classified by the others (how `dinoscope eval` scores a library without a split).
 */
export async function knnClassify(
  train: LabelledFeatures,
  test: LabelledFeatures | 'leave-one-out',
  options: KnnClassifierOptions,
): Promise<KnnClassification> {
  const k = options.k ?? DEFAULT_K;
  const temperature = options.temperature ?? DEFAULT_TEMPERATURE;
  const trainCount = train.labels.length;
  if (trainCount === 0) throw new Error('k-NN classification needs at least one training sample.');
  const dim = train.features.length / trainCount;
  if (!Number.isInteger(dim)) throw new Error('Training features and labels disagree on the sample count.');
  checkLabels(train.labels, options.numClasses, 'training');
  const searchOptions = { signal: options.signal, onProgress: options.onProgress, engine: options.engine };
  let neighbours: KnnGraph & { engine: 'js' | 'onnx' };
  let testLabels: Int32Array;
  if (test === 'leave-one-out') {
    neighbours = await knnGraph(train.features, trainCount, dim, k, searchOptions);
    testLabels = train.labels;
  } else {
    if (test.features.length !== test.labels.length * dim)
      throw new Error(`Test features are not ${test.labels.length} × ${dim}.`);
    checkLabels(test.labels, options.numClasses, 'test');
    neighbours = await crossTopK(
      test.features,
      test.labels.length,
      train.features,
      trainCount,
      dim,
      k,
      searchOptions,
    );
    testLabels = test.labels;
  }
  return {
    ...weightedVotes(neighbours, k, train.labels, testLabels, options.numClasses, temperature),
    engine: neighbours.engine,
  };
}

/** eval_knn.py's vote on already-found neighbours (count × k). */
export function weightedVotes(
  neighbours: KnnGraph,
  k: number,
  trainLabels: Int32Array,
  testLabels: Int32Array,
  numClasses: number,
  temperature: number,
): Omit<KnnClassification, 'engine'> {
  const count = testLabels.length;
  const ranked = Math.min(5, numClasses);
  const topN = Math.min(5, k);
  const predictions = new Int32Array(count);
  const rankings = new Int32Array(count * ranked);
  const votes = new Float32Array(count * numClasses);
  const order = new Int32Array(numClasses);
  const t = Math.fround(temperature);
  let correct1 = 0;
  let correct5 = 0;
  for (let i = 0; i < count; i++) {
    const classVotes = votes.subarray(i * numClasses, (i + 1) * numClasses);
    for (let j = 0; j < k; j++) {
      const neighbour = neighbours.indices[i * k + j];
      if (neighbour < 0) continue;
      // distances.div_(T).exp_() then a float32 sum over the neighbours, as torch does.
      const weight = Math.fround(Math.exp(Math.fround(neighbours.similarities[i * k + j] / t)));
      const label = trainLabels[neighbour];
      classVotes[label] = Math.fround(classVotes[label] + weight);
    }
    rankClasses(classVotes, order);
    predictions[i] = order[0];
    rankings.set(order.subarray(0, ranked), i * ranked);
    const label = testLabels[i];
    if (order[0] === label) correct1++;
    for (let r = 0; r < Math.min(topN, numClasses); r++) {
      if (order[r] === label) correct5++;
    }
  }
  return {
    predictions,
    rankings,
    ranked,
    votes,
    top1: count === 0 ? 0 : (correct1 * 100) / count,
    top5: count === 0 ? 0 : (correct5 * 100) / count,
  };
}

/** Classes by descending vote; equal votes keep the lower class first (a stable sort). */
function rankClasses(classVotes: Float32Array, order: Int32Array): void {
  for (let c = 0; c < order.length; c++) order[c] = c;
  order.sort((a, b) => classVotes[b] - classVotes[a] || a - b);
}

function checkLabels(labels: Int32Array, numClasses: number, which: string): void {
  for (const label of labels) {
    if (!(label >= 0 && label < numClasses))
      throw new Error(`A ${which} label is ${label}; labels must run from 0 to ${numClasses - 1}.`);
  }
}
