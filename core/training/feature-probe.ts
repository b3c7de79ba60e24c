import * as tf from '@tensorflow/tfjs';
import { effectiveRank } from '../analysis/effective-rank.ts';
import { knnClassify } from '../analysis/knn-classifier.ts';
import { classOf } from '../analysis/knn-evaluation.ts';
import { knnGraph } from '../analysis/knn-graph.ts';
import type { NamedTensors } from '../engine/host-tensor.ts';
import { readTrainingCopy, type TrainableImage } from '../library/training-copy.ts';
import { VisionTransformer } from '../model/vision-transformer.ts';
import type { VitConfig } from '../model/vit-config.ts';
import type { Db } from '../store/database.ts';
import { resizeCrop } from './augmentation/bicubic-resize.ts';
import { applyColourJitter, sampleColourJitter } from './augmentation/colour-jitter.ts';
import { sampleCropBox } from './augmentation/crop-box.ts';
import { flipHorizontal } from './augmentation/flip.ts';
import { normalizeImagenet } from './augmentation/normalize.ts';
import type { HealthMeasurement } from './health-watch.ts';
import { Random } from './random.ts';

/**
 * What the trainer looks at to tell whether the features improve, without labels: a fixed sample
 * of the library's photos (centre crops of the training copies, as DINO's evaluation prepares
 * them) embedded by the teacher. Their effective rank (RankMe) rises as the network learns to
 * tell photos apart and falls towards 1 on collapse; how many of each photo's 10 nearest
 * neighbours stay the same between two measurements says whether the network moves at all. When
 * the photos sit in class-named folders, a second sample is scored with DINO's weighted k-NN
 * (k 20, T 0.07, leave-one-out: each photo classified by the others), as `eval_knn.py` does.
 */
export interface ProbeImages {
  ids: number[];
  /** Side of the square crops, the run's global crop size. */
  size: number;
  /** NHWC, ImageNet-normalised, one size² × 3 slot per image: the centre crops. */
  pixels: Float32Array;
  /** The same layout: a second, different view of each image (random crop, flip, colour jitter; seeded), or null. */
  views: Float32Array | null;
  /** Class per image (index into `classes`), or null for an unlabelled sample. */
  labels: Int32Array | null;
  classes: string[];
}

/**
 * Area range of the second view: a part of the photo (smaller than the training's global crops,
 * larger than its local ones), so that recognising it takes more than matching colour statistics.
 */
const VIEW_SCALE: readonly [number, number] = [0.25, 0.6];

/** DINO's evaluation crops 224 of a photo resized to 256: the centre 7/8 of the shorter side. */
const CROP_FRACTION = 224 / 256;

/** `count` ids drawn without replacement by a seeded generator (all when there are fewer), in id order. */
export function sampleIds(ids: readonly number[], count: number, seed: number): number[] {
  if (ids.length <= count) return [...ids];
  const random = new Random(seed);
  const pool = [...ids];
  for (let i = 0; i < count; i++) {
    const j = i + random.integer(0, pool.length - i);
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return pool.slice(0, count).sort((a, b) => a - b);
}

/** Loads and crops the images; unreadable ones are left out (the trainer warns about them anyway). */
export async function loadProbeImages(
  db: Db,
  images: readonly Pick<TrainableImage, 'id' | 'relPath'>[],
  size: number,
  withLabels: boolean,
  viewSeed: number | null = null,
): Promise<ProbeImages> {
  const slot = size * size * 3;
  const random = viewSeed === null ? null : new Random(viewSeed);
  const kept: { id: number; relPath: string; pixels: Float32Array; view: Float32Array | null }[] = [];
  for (const image of images) {
    let copy: Awaited<ReturnType<typeof readTrainingCopy>>;
    try {
      copy = await readTrainingCopy(db, image.id);
    } catch {
      continue;
    }
    const side = Math.max(1, Math.round(Math.min(copy.width, copy.height) * CROP_FRACTION));
    const box = {
      top: Math.floor((copy.height - side) / 2),
      left: Math.floor((copy.width - side) / 2),
      width: side,
      height: side,
    };
    const pixels = new Float32Array(slot);
    resizeCrop(copy, box, size, pixels);
    normalizeImagenet(pixels);
    let view: Float32Array | null = null;
    if (random) {
      view = new Float32Array(slot);
      resizeCrop(copy, sampleCropBox(random, copy.width, copy.height, VIEW_SCALE), size, view);
      if (random.random() < 0.5) flipHorizontal(view, size, size);
      applyColourJitter(view, sampleColourJitter(random));
      normalizeImagenet(view);
    }
    kept.push({ id: image.id, relPath: image.relPath, pixels, view });
  }
  const pixels = new Float32Array(kept.length * slot);
  const views = random ? new Float32Array(kept.length * slot) : null;
  kept.forEach((image, i) => {
    pixels.set(image.pixels, i * slot);
    if (views && image.view) views.set(image.view, i * slot);
  });
  let labels: Int32Array | null = null;
  let classes: string[] = [];
  if (withLabels) {
    const names = kept.map((image) => classOf(image.relPath) ?? '');
    classes = [...new Set(names)].sort();
    labels = Int32Array.from(names, (name) => classes.indexOf(name));
  }
  return { ids: kept.map((image) => image.id), size, pixels, views, labels, classes };
}

/**
 * The class-named folders among the images: a map image id → class, or null when fewer than two
 * classes with at least two photos each exist (then there is nothing for k-NN to score).
 */
export function classNamedImages(
  images: readonly Pick<TrainableImage, 'id' | 'relPath'>[],
): Pick<TrainableImage, 'id' | 'relPath'>[] | null {
  const counts = new Map<string, number>();
  for (const image of images) {
    const name = classOf(image.relPath);
    if (name !== null) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  const classes = [...counts].filter(([, count]) => count >= 2).map(([name]) => name);
  if (classes.length < 2) return null;
  const kept = new Set(classes);
  return images.filter((image) => kept.has(classOf(image.relPath) ?? ''));
}

/** L2-normalised final-norm CLS embeddings [n, D] of the images by this backbone, in batches. */
export function embedProbe(
  backbone: NamedTensors,
  vit: VitConfig,
  images: ProbeImages,
  batchSize = 32,
  source: Float32Array = images.pixels,
): Float32Array {
  const count = images.ids.length;
  const slot = images.size * images.size * 3;
  const out = new Float32Array(count * vit.embedDim);
  const network = new VisionTransformer(vit, backbone);
  try {
    for (let start = 0; start < count; start += batchSize) {
      const n = Math.min(batchSize, count - start);
      const features = tf.tidy(() => {
        const input = tf.tensor4d(source.subarray(start * slot, (start + n) * slot), [
          n,
          images.size,
          images.size,
          3,
        ]);
        const cls = network.forward(input);
        return tf.div(cls, tf.maximum(tf.norm(cls, 2, 1, true), 1e-12));
      });
      out.set(features.dataSync() as Float32Array, start * vit.embedDim);
      features.dispose();
    }
  } finally {
    network.dispose();
  }
  return out;
}

/** Mean share of each row's k nearest neighbours that are the same in both embeddings of the same rows. */
export async function neighbourAgreement(
  previous: Float32Array,
  current: Float32Array,
  count: number,
  dims: [number, number],
  k = 10,
): Promise<number> {
  const neighbours = Math.min(k, count - 1);
  if (neighbours < 1) return 1;
  const [a, b] = await Promise.all([
    knnGraph(previous, count, dims[0], neighbours, { engine: 'js' }),
    knnGraph(current, count, dims[1], neighbours, { engine: 'js' }),
  ]);
  let shared = 0;
  for (let row = 0; row < count; row++) {
    const before = new Set(a.indices.subarray(row * neighbours, (row + 1) * neighbours));
    for (const index of b.indices.subarray(row * neighbours, (row + 1) * neighbours))
      if (before.has(index)) shared += 1;
  }
  return shared / (count * neighbours);
}

/**
 * Label-free: the percentage of photos whose second view finds its own centre crop as the most
 * similar among all the sample's centre crops (chance: 1 in n). What DINO trains for — the same
 * photo recognised across crops, flips and colour changes while different photos stay apart —
 * measured on views the training never sees.
 */
export function viewRetrieval(
  centres: Float32Array,
  views: Float32Array,
  count: number,
  dim: number,
): number {
  let found = 0;
  for (let i = 0; i < count; i++) {
    let best = -1;
    let bestSimilarity = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < count; j++) {
      let dot = 0;
      for (let k = 0; k < dim; k++) dot += views[i * dim + k] * centres[j * dim + k];
      if (dot > bestSimilarity) {
        bestSimilarity = dot;
        best = j;
      }
    }
    if (best === i) found += 1;
  }
  return (100 * found) / count;
}

export interface KnnScore {
  top1: number;
  top5: number;
}

/** DINO's weighted k-NN (k 20, T 0.07), leave-one-out over the labelled sample. */
export async function knnScore(features: Float32Array, images: ProbeImages): Promise<KnnScore> {
  if (!images.labels) throw new Error('knnScore needs a labelled sample.');
  const k = Math.min(20, images.ids.length - 1);
  const result = await knnClassify({ features, labels: images.labels }, 'leave-one-out', {
    k,
    temperature: 0.07,
    numClasses: images.classes.length,
    engine: 'js',
  });
  return { top1: result.top1, top5: result.top5 };
}

/** The effective rank of the probe's embeddings (see effective-rank.ts). */
export function probeRank(features: Float32Array, count: number, dim: number): number {
  return effectiveRank(features, count, dim);
}

/**
 * The probe a run keeps: the unlabelled sample (and the labelled one where folders are
 * class-named), chosen once from the run's images with its seed, and the last embeddings for the
 * neighbour agreement. Each `measure` embeds with the teacher backbone it is given.
 */
export class FeatureProbe {
  private previous: { features: Float32Array; dim: number } | null = null;

  private constructor(
    private readonly vit: VitConfig,
    readonly sample: ProbeImages,
    readonly labelled: ProbeImages | null,
  ) {}

  static async open(
    db: Db,
    images: readonly Pick<TrainableImage, 'id' | 'relPath'>[],
    options: { vit: VitConfig; size: number; sampleSize: number; knnSampleSize: number; seed: number },
  ): Promise<FeatureProbe | null> {
    if (options.sampleSize < 2 || images.length < 2) return null;
    const byId = new Map(images.map((image) => [image.id, image]));
    const pick = (pool: readonly Pick<TrainableImage, 'id' | 'relPath'>[], count: number) =>
      sampleIds(
        pool.map((image) => image.id),
        count,
        options.seed,
      ).map((id) => byId.get(id) as Pick<TrainableImage, 'id' | 'relPath'>);
    const sample = await loadProbeImages(
      db,
      pick(images, options.sampleSize),
      options.size,
      false,
      options.seed + 1,
    );
    if (sample.ids.length < 2) return null;
    const named = options.knnSampleSize >= 2 ? classNamedImages(images) : null;
    let labelled: ProbeImages | null = null;
    if (named) {
      labelled = await loadProbeImages(db, pick(named, options.knnSampleSize), options.size, true);
      if (labelled.classes.length < 2 || labelled.ids.length < 3) labelled = null;
    }
    return new FeatureProbe(options.vit, sample, labelled);
  }

  /** Embeds the sample(s) with this teacher backbone and measures; k-NN only when asked (epoch ends). */
  async measure(
    backbone: NamedTensors,
    at: { step: number; epoch: number },
    withKnn: boolean,
  ): Promise<HealthMeasurement> {
    const dim = this.vit.embedDim;
    const features = embedProbe(backbone, this.vit, this.sample);
    const count = this.sample.ids.length;
    const views = embedProbe(backbone, this.vit, this.sample, 32, this.sample.views as Float32Array);
    const agreement = this.previous
      ? await neighbourAgreement(this.previous.features, features, count, [this.previous.dim, dim])
      : null;
    this.previous = { features, dim };
    let knn: KnnScore | null = null;
    if (withKnn && this.labelled)
      knn = await knnScore(embedProbe(backbone, this.vit, this.labelled), this.labelled);
    return {
      step: at.step,
      epoch: at.epoch,
      effectiveRank: probeRank(features, count, dim),
      viewRetrieval: viewRetrieval(features, views, count, dim),
      neighbourAgreement: agreement,
      knnTop1: knn?.top1 ?? null,
      knnTop5: knn?.top5 ?? null,
    };
  }
}
