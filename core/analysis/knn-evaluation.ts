import type { Db } from '../store/database.ts';
import { loadEmbeddings } from '../store/embeddings.ts';
import { resolveModel } from '../store/models.ts';
import { tagsOfImages } from '../store/tags.ts';
import { DEFAULT_K, DEFAULT_TEMPERATURE, knnClassify } from './knn-classifier.ts';
import type { KnnEngine } from './knn-graph.ts';

/**
 * How well a model's embeddings separate the classes that folder names give (`cats/…`, `dogs/…`):
 * DINO's weighted k-NN accuracy, leave-one-out over the library or on a held-out split.
 */
export interface KnnEvaluationOptions {
  model?: string | number;
  k?: number;
  temperature?: number;
  /** Fraction of each class held out as the test set; absent = leave-one-out over every photo. */
  split?: number;
  /** Which photos a split holds out (the same seed, the same split). */
  seed?: number;
  /**
   * Where classes come from: the first folder under the registered folder, or the person's tags
   * (photos with exactly one tag; a few dozen per tag are enough to compare two models).
   */
  labels?: 'folders' | 'tags';
  engine?: KnnEngine;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export interface ClassScore {
  name: string;
  /** Test photos of this class. */
  count: number;
  top1: number;
  top5: number;
}

export interface KnnEvaluation {
  status: 'evaluated';
  model: { id: number; name: string };
  protocol: 'leave-one-out' | 'held-out';
  labels: 'folders' | 'tags';
  k: number;
  temperature: number;
  /** Class names (first folder under the registered folder), sorted; indices below refer to them. */
  classes: string[];
  trainCount: number;
  testCount: number;
  /** Embedded photos without a class: directly in a registered folder, or with no tag or several tags. */
  unlabelled: number;
  /** Percent, as eval_knn.py reports. */
  top1: number;
  top5: number;
  perClass: ClassScore[];
  /** confusion[true][predicted] = test photos. */
  confusion: number[][];
  engine: 'js' | 'onnx';
}

export interface KnnEvaluationSkipped {
  status: 'skipped';
  model: { id: number; name: string };
  reason: string;
  classes: string[];
}

/** The class of a photo: the first folder of its path under the registered folder, if any. */
export function classOf(relPath: string): string | null {
  const parts = relPath.split(/[\\/]/);
  return parts.length > 1 && parts[0] !== '' ? parts[0] : null;
}

export async function evaluateKnn(
  db: Db,
  options: KnnEvaluationOptions = {},
): Promise<KnnEvaluation | KnnEvaluationSkipped> {
  const model = resolveModel(db, options.model);
  const modelRef = { id: model.id, name: model.name };
  const k = options.k ?? DEFAULT_K;
  const temperature = options.temperature ?? DEFAULT_TEMPERATURE;
  if (!Number.isInteger(k) || k < 1) throw new Error(`--k must be a positive whole number (got ${k}).`);
  if (!(temperature > 0)) throw new Error(`--T must be positive (got ${temperature}).`);
  const { imageIds, dim, vectors } = loadEmbeddings(db, model.id);
  const fromTags = options.labels === 'tags';
  const classNames = fromTags ? classesFromTags(db, imageIds) : classesFromFolders(db, imageIds);
  const classes = [...new Set(classNames.filter((c): c is string => c !== null))].sort();
  if (imageIds.length === 0) {
    return {
      status: 'skipped',
      model: modelRef,
      classes,
      reason: `Model "${model.name}" has no embeddings yet: run \`dinoscope embed\`.`,
    };
  }
  if (classes.length < 2) {
    return {
      status: 'skipped',
      model: modelRef,
      classes,
      reason: fromTags
        ? `${classes.length === 0 ? 'No photo has exactly one tag' : `Only one tag (${classes[0]}) is on photos with a single tag`}: evaluating from tags needs at least two tags, each on some photos (\`dinoscope tag add\`).`
        : classes.length === 0
          ? 'No class folders: k-NN evaluation needs photos sorted into folders named by class (e.g. photos/cats/…, photos/dogs/…).'
          : `Only one class folder (${classes[0]}): k-NN evaluation needs at least two.`,
    };
  }
  const classIndex = new Map(classes.map((name, i) => [name, i]));
  const labelled = classNames.flatMap((name, row) =>
    name === null ? [] : [{ row, label: classIndex.get(name) as number }],
  );
  const unlabelled = imageIds.length - labelled.length;
  const { train, test } =
    options.split === undefined
      ? { train: labelled, test: null }
      : splitByClass(labelled, imageIds, options.split, options.seed ?? 0);
  const gather = (rows: { row: number; label: number }[]) => {
    const features = new Float32Array(rows.length * dim);
    rows.forEach(({ row }, i) => {
      features.set(vectors.subarray(row * dim, (row + 1) * dim), i * dim);
    });
    return { features, labels: Int32Array.from(rows, (r) => r.label) };
  };
  const trainSet = gather(train);
  const available = test === null ? train.length - 1 : train.length;
  if (k > available) {
    throw new Error(
      `k = ${k} neighbours, but each photo has only ${available} labelled photos to vote; lower --k.`,
    );
  }
  const testSet = test === null ? null : gather(test);
  const result = await knnClassify(trainSet, testSet ?? 'leave-one-out', {
    k,
    temperature,
    numClasses: classes.length,
    engine: options.engine,
    signal: options.signal,
    onProgress: options.onProgress,
  });
  const testLabels = (testSet ?? trainSet).labels;
  const confusion = classes.map(() => classes.map(() => 0));
  const hits1 = new Array<number>(classes.length).fill(0);
  const hits5 = new Array<number>(classes.length).fill(0);
  const counts = new Array<number>(classes.length).fill(0);
  const topN = Math.min(5, k, result.ranked);
  testLabels.forEach((label, i) => {
    counts[label]++;
    confusion[label][result.predictions[i]]++;
    if (result.predictions[i] === label) hits1[label]++;
    if (result.rankings.subarray(i * result.ranked, i * result.ranked + topN).includes(label)) hits5[label]++;
  });
  const percent = (hits: number, n: number) => (n === 0 ? 0 : (hits * 100) / n);
  return {
    status: 'evaluated',
    model: modelRef,
    protocol: test === null ? 'leave-one-out' : 'held-out',
    labels: fromTags ? 'tags' : 'folders',
    k,
    temperature,
    classes,
    trainCount: train.length,
    testCount: testLabels.length,
    unlabelled,
    top1: result.top1,
    top5: result.top5,
    perClass: classes.map((name, c) => ({
      name,
      count: counts[c],
      top1: percent(hits1[c], counts[c]),
      top5: percent(hits5[c], counts[c]),
    })),
    confusion,
    engine: result.engine,
  };
}

function classesFromFolders(db: Db, imageIds: Int32Array): (string | null)[] {
  const relPath = db.prepare('SELECT rel_path AS relPath FROM images WHERE id = ?');
  return Array.from(imageIds, (id) => classOf((relPath.get(id) as { relPath: string }).relPath));
}

/** A photo's class is its tag when it has exactly one: several tags make it ambiguous for a top-1 score. */
function classesFromTags(db: Db, imageIds: Int32Array): (string | null)[] {
  const tags = tagsOfImages(db);
  return Array.from(imageIds, (id) => {
    const list = tags.get(id);
    return list?.length === 1 ? list[0] : null;
  });
}

/**
 * Holds out `fraction` of every class (at least one photo of a class with two or more), chosen by a
 * hash of the image id and the seed: the split does not change when photos are added elsewhere.
 */
function splitByClass(
  labelled: { row: number; label: number }[],
  imageIds: Int32Array,
  fraction: number,
  seed: number,
): { train: { row: number; label: number }[]; test: { row: number; label: number }[] } {
  if (!(fraction > 0 && fraction < 1)) throw new Error(`--split must be between 0 and 1 (got ${fraction}).`);
  const byClass = new Map<number, { row: number; label: number; key: number }[]>();
  for (const sample of labelled) {
    const list = byClass.get(sample.label) ?? [];
    list.push({ ...sample, key: mix(imageIds[sample.row], seed) });
    byClass.set(sample.label, list);
  }
  const train: { row: number; label: number }[] = [];
  const test: { row: number; label: number }[] = [];
  for (const list of byClass.values()) {
    list.sort((a, b) => a.key - b.key || a.row - b.row);
    const held = list.length < 2 ? 0 : Math.max(1, Math.round(list.length * fraction));
    list.forEach(({ row, label }, i) => {
      (i < held ? test : train).push({ row, label });
    });
  }
  const byRow = (a: { row: number }, b: { row: number }) => a.row - b.row;
  return { train: train.sort(byRow), test: test.sort(byRow) };
}

/** A 32-bit integer hash (murmur3's finaliser) of an id and a seed. */
function mix(id: number, seed: number): number {
  let h = (id ^ Math.imul(seed, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
