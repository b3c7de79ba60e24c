import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { RgbPixels } from '../core/training/augmentation/bicubic-resize.ts';
import { multiCropBatch } from '../core/training/augmentation/multi-crop.ts';
import { resolveTrainingConfig } from '../core/training/config.ts';
import { CropPipeline } from '../core/training/crop-pipeline.ts';
import { trainingPreset } from '../core/training/presets.ts';
import { Random } from '../core/training/random.ts';

/**
 * How fast the multi-crop pipeline feeds training, and whether it really runs beside the step:
 * - augmentation alone, in this thread (images/s) for the reference and cpu presets;
 * - the worker pipeline while this thread is kept busy with a CPU-bound loop standing in for the
 *   tfjs step (wasm is single-threaded): overlap = busy-loop time / wall time per batch.
 * Anchor: the same busy loop alone, measured in the same run.
 */
const batchSize = 32;
const random = new Random(1);
const images: RgbPixels[] = Array.from({ length: batchSize * 2 }, () => {
  const width = 256 + random.integer(0, 128);
  const data = new Uint8Array(width * 256 * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + random.integer(0, 64)) & 255;
  return { width, height: 256, data };
});

function busy(ms: number): number {
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) x += Math.sqrt(x + 1);
  return x;
}

for (const preset of ['reference', 'cpu', 'quick']) {
  const config = resolveTrainingConfig(trainingPreset(preset).settings);
  multiCropBatch(images.slice(0, 4), config, new Random(0));
  const started = performance.now();
  const rounds = preset === 'reference' ? 2 : 4;
  for (let i = 0; i < rounds; i++) multiCropBatch(images.slice(0, batchSize), config, new Random(i));
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `augment in-thread  ${preset.padEnd(9)} ${config.globalCropSize}/${config.localCropSize} px, 2+${config.localCropsNumber} views: ${((rounds * batchSize) / seconds).toFixed(1)} images/s`,
  );
}

const folder = mkdtempSync(join(tmpdir(), 'dinoscope-bench-crops-'));
try {
  for (const preset of ['reference', 'cpu']) {
    const config = resolveTrainingConfig(trainingPreset(preset).settings);
    for (const mode of ['in-thread', 'worker'] as const) {
      const pipeline = await CropPipeline.open({
        source: { images },
        imageIds: images.map((_, i) => i),
        spec: config,
        batchSize,
        seed: 0,
        start: { epoch: 0, stepInEpoch: 0, random: new Random(0).getState() },
        prefetch: 2,
        inThread: mode === 'in-thread',
      });
      await pipeline.next();
      const stepMs = preset === 'reference' ? 1500 : 400;
      const batches = 4;
      const started = performance.now();
      for (let i = 0; i < batches; i++) {
        await pipeline.next();
        busy(stepMs);
      }
      const wall = performance.now() - started;
      await pipeline.close();
      console.log(
        `pipeline ${mode.padEnd(9)} ${preset.padEnd(9)} beside a ${stepMs} ms step: ${(wall / batches).toFixed(0)} ms per batch ` +
          `(anchor: the step alone ${stepMs} ms; ${mode === 'worker' ? 'overlapped' : 'serial'} ${((batches * stepMs) / wall).toFixed(2)})`,
      );
    }
  }
} finally {
  rmSync(folder, { recursive: true, force: true });
}
