/**
 * `npm run bench:embed`: photo embedding throughput for ViT-S/16 at 224 px (random weights: speed
 * does not depend on them), each figure next to its anchors measured in the same run:
 *
 *   decode only      images/s of the embed job's first stage alone: training copy from SQLite,
 *                    JPEG decode, centre crop, ImageNet normalisation (batches of the job's size;
 *                    up to 512 photos, measured before and after the end-to-end run: the mean)
 *   inference only   images/s of ONNX Runtime on ready-made batches (the job's second stage;
 *                    6 batches after a warm-up, before and after the end-to-end run: the mean)
 *   end to end       images/s of `embedLibrary` (decode + inference + SQLite writes, the two
 *                    stages overlapped); opening the model (once per job) is timed apart.
 *                    Goal: ≥ 80 % of the slower stage.
 *   PyTorch CPU      images/s of the reference architecture's forward in PyTorch (batch 16,
 *                    same thread count), when `python3 -c "import torch"` works.
 *                    Goal: ONNX Runtime inference ≥ 4× PyTorch.
 *
 * Sets: ../shared/datasets/imagenette-dev (2,000 photos) and ../shared/datasets/photos (45 real
 * photos, 1.3–20 MP), each scanned into a fresh library under os.tmpdir() first (scan not timed).
 *
 * Options: --only imagenette|photos, --limit N (images per set), --batch N, --threads N,
 * --no-spinning (idle ONNX Runtime threads yield the cores to decoding), --skip-pytorch.
 */

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { decodeBatch, embedLibrary } from '../core/analysis/embed-job.ts';
import { cachedOnnxGraph, openModelBackbone } from '../core/analysis/model-backbone.ts';
import type { NamedTensors } from '../core/engine/host-tensor.ts';
import { describeOnnxRuntime } from '../core/engine/onnx-runtime.ts';
import { writeSafetensors } from '../core/engine/safetensors.ts';
import { importModel } from '../core/export/model-library.ts';
import { addFolders } from '../core/library/add-folders.ts';
import { scanLibrary } from '../core/library/scan.ts';
import { listTrainableImages } from '../core/library/training-copy.ts';
import { backboneShapes } from '../core/model/infer-vit-config.ts';
import { vitConfig } from '../core/model/vit-config.ts';
import { openDatabase } from '../core/store/database.ts';
import { hasShared, sharedPath } from '../test/shared-fixtures.ts';

const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    limit: { type: 'string' },
    batch: { type: 'string', default: '16' },
    threads: { type: 'string' },
    'skip-pytorch': { type: 'boolean', default: false },
    'no-spinning': { type: 'boolean', default: false },
  },
});
const batchSize = Number(args.batch);
const threads = args.threads ? Number(args.threads) : undefined;
const limit = args.limit ? Number(args.limit) : Number.POSITIVE_INFINITY;
const work = join(tmpdir(), 'dinoscope-bench-embed');
const config = vitConfig('vit_small', 16);

console.log(
  `bench:embed — ${cpus().length} cores, ViT-S/16 at 224 px, batch ${batchSize}; ${await describeOnnxRuntime()}`,
);
if (!hasShared) {
  console.log('skipped: ../shared (datasets) is not present');
  process.exit(0);
}

mkdirSync(work, { recursive: true });
const weightsFile = join(work, 'vit_small16_random.safetensors');
writeSafetensors(weightsFile, randomWeights());

const results: { set: string; inference: number }[] = [];
if (!args.only || args.only === 'imagenette')
  results.push(await measure('imagenette-dev', sharedPath('datasets/imagenette-dev')));
if (!args.only || args.only === 'photos')
  results.push(await measure('photos', sharedPath('datasets/photos')));

if (!args['skip-pytorch']) {
  const pytorch = runPytorch();
  if (typeof pytorch === 'string') console.log(`PyTorch CPU: skipped (${pytorch})`);
  else {
    const inference = Math.max(...results.map((r) => r.inference));
    console.log(
      `PyTorch CPU ${pytorch.torch} (${pytorch.python}, ${pytorch.threads} threads): ${pytorch.images_per_second.toFixed(1)} images/s inference` +
        ` — ONNX Runtime ${inference.toFixed(1)} images/s is ${(inference / pytorch.images_per_second).toFixed(2)}× (goal ≥ 4×)`,
    );
  }
}

async function measure(name: string, folder: string): Promise<{ set: string; inference: number }> {
  const root = join(work, name);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  const libraryFile = join(root, 'library.sqlite');
  const db = openDatabase(libraryFile);
  addFolders(db, [folder]);
  const scanStart = performance.now();
  await scanLibrary(db);
  let images = listTrainableImages(db);
  if (images.length > limit) {
    // Keep the first `limit` images: the others leave the set (the embed job sees only 'ok' images).
    const keep = new Set(images.slice(0, limit).map((image) => image.id));
    const drop = images.filter((image) => !keep.has(image.id)).map((image) => image.id);
    db.prepare(`UPDATE images SET status = 'missing' WHERE id IN (${drop.join(',')})`).run();
    images = images.slice(0, limit);
  }
  console.log(
    `\n${name}: ${images.length} photos (scan ${((performance.now() - scanStart) / 1000).toFixed(1)} s, not timed below)`,
  );
  const { model } = await importModel(db, libraryFile, weightsFile, { name: 'vit_small16_random' });
  await cachedOnnxGraph(db, libraryFile, model, 224); // built once, as a second embed run would find it

  // Each stage alone, before and after the real job, so that a machine whose load drifts shows it.
  const sample = images.slice(0, 512);
  const failed: { imageId: number; path: string; reason: string }[] = [];
  const decodeRate = async () => {
    const start = performance.now();
    for (let i = 0; i < sample.length; i += batchSize)
      await decodeBatch(db, sample.slice(i, i + batchSize), 224, failed);
    return sample.length / ((performance.now() - start) / 1000);
  };
  const backbone = await openModelBackbone(db, libraryFile, model, { threads });
  const pixels = Float32Array.from({ length: batchSize * 3 * 224 * 224 }, (_, i) => Math.sin(i) * 2);
  await backbone.embed(pixels, batchSize); // warm-up: allocations, weight prepacking
  const inferenceBatches = 6;
  const inferenceRate = async () => {
    const start = performance.now();
    for (let b = 0; b < inferenceBatches; b++) await backbone.embed(pixels, batchSize);
    return (inferenceBatches * batchSize) / ((performance.now() - start) / 1000);
  };
  const before = { decode: await decodeRate(), inference: await inferenceRate() };

  // Both stages overlapped, with the writes: the real job, on a fresh session as a user gets it.
  const result = await embedLibrary(db, libraryFile, { batchSize, threads, spinning: !args['no-spinning'] });

  const after = { decode: await decodeRate(), inference: await inferenceRate() };
  await backbone.release();
  db.close();
  const decode = (before.decode + after.decode) / 2;
  const inference = (before.inference + after.inference) / 2;
  const slower = Math.min(decode, inference);
  const range = (a: number, b: number) => `${a.toFixed(1)} before, ${b.toFixed(1)} after`;
  console.log(
    `  decode only     ${decode.toFixed(1)} images/s (${range(before.decode, after.decode)}; ${sample.length} photos)` +
      `${failed.length ? ` (${failed.length} unreadable)` : ''}`,
  );
  console.log(
    `  inference only  ${inference.toFixed(1)} images/s (${range(before.inference, after.inference)}; ${backbone.engine}, ${inferenceBatches} batches)`,
  );
  console.log(
    `  end to end      ${result.imagesPerSecond.toFixed(1)} images/s (${result.embedded} photos in ${(result.seconds - result.setupSeconds).toFixed(1)} s ` +
      `after ${result.setupSeconds.toFixed(1)} s opening the model) — ` +
      `${((100 * result.imagesPerSecond) / slower).toFixed(0)} % of the slower stage (goal ≥ 80 %)`,
  );
  return { set: name, inference };
}

function randomWeights(): NamedTensors {
  let state = 12345;
  const tensors: NamedTensors = new Map();
  for (const [name, shape] of backboneShapes(config)) {
    const data = new Float32Array(shape.reduce((n, d) => n * d, 1));
    const isNormWeight = /norm\d?\.weight$/.test(name);
    for (let i = 0; i < data.length; i++) {
      state = (state * 1664525 + 1013904223) >>> 0;
      data[i] = isNormWeight ? 1 : (state / 2 ** 32 - 0.5) * 0.04;
    }
    tensors.set(name, { shape, data });
  }
  return tensors;
}

interface PytorchFigure {
  python: string;
  torch: string;
  threads: number;
  images_per_second: number;
}

/** The anchor: `python3` first on PATH, else the system one (the two may differ in having torch). */
function runPytorch(): PytorchFigure | string {
  const script = fileURLToPath(new URL('./embed_pytorch.py', import.meta.url));
  const reasons: string[] = [];
  for (const python of ['python3', '/usr/bin/python3']) {
    const probe = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' });
    if (probe.status !== 0) {
      reasons.push(`${python}: no torch`);
      continue;
    }
    const output = execFileSync(python, [script, String(threads ?? cpus().length), '6'], {
      encoding: 'utf8',
      // The reference measurement in ENGINE-NOTES: OpenBLAS single-threaded under torch's own threads.
      env: { ...process.env, OPENBLAS_NUM_THREADS: '1' },
    });
    return {
      python,
      ...(JSON.parse(output.trim().split('\n').at(-1) ?? '{}') as Omit<PytorchFigure, 'python'>),
    };
  }
  return reasons.join('; ');
}
