import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RgbPixels } from '../../../core/training/augmentation/bicubic-resize.ts';
import type { MultiCropSpec } from '../../../core/training/augmentation/multi-crop.ts';
import { CropPipeline, type CropPipelineOptions, epochOrder } from '../../../core/training/crop-pipeline.ts';
import { Random } from '../../../core/training/random.ts';
import { makeRawLibrary } from './raw-library.ts';

const spec: MultiCropSpec = {
  globalCropSize: 16,
  localCropSize: 8,
  localCropsNumber: 2,
  globalCropsScale: [0.4, 1],
  localCropsScale: [0.05, 0.4],
};

function noiseImage(seed: number): RgbPixels {
  const random = new Random(seed);
  const data = new Uint8Array(30 * 24 * 3);
  for (let i = 0; i < data.length; i++) data[i] = random.integer(0, 256);
  return { width: 30, height: 24, data };
}

const folder = mkdtempSync(join(tmpdir(), 'dinoscope-crop-pipeline-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

function makeLibrary(count: number, broken: number[] = []) {
  return makeRawLibrary(folder, `library-${count}-${broken.length}`, count, { broken });
}

async function take(pipeline: CropPipeline, count: number) {
  const batches = [];
  for (let i = 0; i < count; i++) batches.push(await pipeline.next());
  return batches;
}

describe('crop pipeline', () => {
  const images = Array.from({ length: 10 }, (_, i) => noiseImage(i));
  const base: CropPipelineOptions = {
    source: { images },
    imageIds: images.map((_, i) => i),
    spec,
    batchSize: 4,
    seed: 5,
    start: { epoch: 0, stepInEpoch: 0, random: new Random(5).getState() },
    prefetch: 2,
  };

  it('walks epochs in a seeded order without repeats, dropping the last incomplete batch', async () => {
    const pipeline = await CropPipeline.open({ ...base, inThread: true });
    const batches = await take(pipeline, 5);
    await pipeline.close();
    expect(batches.map((b) => [b.epoch, b.stepInEpoch])).toEqual([
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
      [2, 0],
    ]);
    const order0 = Array.from(epochOrder(10, 5, 0)).slice(0, 8);
    expect([...batches[0].imageIds, ...batches[1].imageIds]).toEqual(order0);
    expect(new Set([...batches[2].imageIds, ...batches[3].imageIds]).size).toBe(8);
    expect(Array.from(epochOrder(10, 5, 1))).not.toEqual(Array.from(epochOrder(10, 5, 0)));
    expect(batches[0].views.map((v) => v.shape)).toEqual([
      [4, 16, 16, 3],
      [4, 16, 16, 3],
      [4, 8, 8, 3],
      [4, 8, 8, 3],
    ]);
  });

  it('gives the same batches in a worker thread as in-thread, and resumes exactly from a saved position', async () => {
    const inThread = await CropPipeline.open({ ...base, inThread: true });
    const expected = await take(inThread, 4);
    await inThread.close();
    const worker = await CropPipeline.open(base);
    expect(worker.mode).toBe('worker');
    const got = await take(worker, 4);
    await worker.close();
    for (let i = 0; i < 4; i++) {
      expect(got[i].imageIds).toEqual(expected[i].imageIds);
      expect(got[i].stepSeed).toBe(expected[i].stepSeed);
      expect(got[i].views[2].data).toEqual(expected[i].views[2].data);
    }
    const resumed = await CropPipeline.open({
      ...base,
      inThread: true,
      start: expected[1].next,
      prefetch: 0,
    });
    const [third] = await take(resumed, 1);
    await resumed.close();
    expect([third.epoch, third.stepInEpoch]).toEqual([1, 0]);
    expect(third.imageIds).toEqual(expected[2].imageIds);
    expect(third.views[0].data).toEqual(expected[2].views[0].data);
  });

  it('reads training copies from the library in the worker and replaces an unreadable one, naming it', async () => {
    const library = makeLibrary(6, [2]);
    const pipeline = await CropPipeline.open({
      ...base,
      source: { libraryFile: library.file },
      imageIds: library.ids,
      batchSize: 6,
    });
    const [batch] = await take(pipeline, 1);
    await pipeline.close();
    expect(batch.imageIds).toHaveLength(6);
    expect(batch.imageIds).not.toContain(library.ids[2]);
    expect(batch.skipped).toHaveLength(1);
    expect(batch.skipped[0]).toContain('photo-2.jpg');
  });

  it('says what to do when there are fewer images than one batch', async () => {
    await expect(CropPipeline.open({ ...base, inThread: true, batchSize: 11 })).rejects.toThrow(
      /Only 10 trainable images/,
    );
    const worker = await CropPipeline.open({ ...base, batchSize: 11 });
    await expect(worker.next()).rejects.toThrow(/smaller --batch/);
    await worker.close();
  });
});
