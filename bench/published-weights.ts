/**
 * `npm run bench:weights`: how fast each published backbone embeds photos on this machine's CPU
 * with ONNX Runtime (random weights of each one's exact architecture: speed does not depend on
 * the values), at the size `embed` uses (224 px; DINOv2's positions interpolated from 518 px),
 * batch 8, after one warm-up batch. The anchor is DINO ViT-S/16 measured in the same run: read
 * the others as multiples of its time. The README's table of which weights to pick quotes this.
 *
 * Options: --batches N (timed batches per model, default 3), --batch N, --only KEY[,KEY…].
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { NamedTensors } from '../core/engine/host-tensor.ts';
import { describeOnnxRuntime, openBackboneSession } from '../core/engine/onnx-runtime.ts';
import { buildVitOnnx } from '../core/export/vit-onnx.ts';
import { backboneShapes } from '../core/model/infer-vit-config.ts';
import type { VitConfig } from '../core/model/vit-config.ts';
import { PUBLISHED_WEIGHTS } from '../core/weights/published-weights.ts';

const { values: args } = parseArgs({
  options: {
    batches: { type: 'string', default: '3' },
    batch: { type: 'string', default: '8' },
    only: {
      type: 'string',
      default: 'dino-vits16,dino-vits8,dino-vitb16,dinov2-vits14,dinov2-vits14-reg,dinov2-vitb14',
    },
  },
});
const batches = Number(args.batches);
const batch = Number(args.batch);
const keys = args.only.split(',');
const SIZE = 224;

function randomWeights(config: VitConfig): NamedTensors {
  let state = 7;
  const tensors: NamedTensors = new Map();
  for (const [name, shape] of backboneShapes(config)) {
    const data = new Float32Array(shape.reduce((n, d) => n * d, 1));
    for (let i = 0; i < data.length; i++) {
      state = (state * 1664525 + 1013904223) >>> 0;
      data[i] = (state / 2 ** 32 - 0.5) * 0.1;
    }
    tensors.set(name, { shape, data });
  }
  return tensors;
}

console.log(
  `published backbones on ${cpus().length} cores (${cpus()[0]?.model ?? 'cpu'}), ${await describeOnnxRuntime()}`,
);
console.log(
  `load average before: ${loadavg()
    .map((v) => v.toFixed(2))
    .join(' ')}`,
);
const pixels = Float32Array.from({ length: batch * 3 * SIZE * SIZE }, (_, i) => Math.sin(i * 0.013));
const results: { key: string; imagesPerSecond: number; bytes: number }[] = [];
for (const key of keys) {
  const entry = PUBLISHED_WEIGHTS.find((e) => e.key === key);
  if (!entry) throw new Error(`unknown catalogue key ${key}`);
  const { registers, layerScale, ...shape } = entry.architecture;
  const config: VitConfig = { ...shape, ...(layerScale || registers ? { registers, layerScale } : {}) };
  const session = await openBackboneSession(
    buildVitOnnx(config, randomWeights(config), { height: SIZE, width: SIZE }),
    { height: SIZE, width: SIZE, ...config },
  );
  await session.embed(pixels, batch);
  const start = performance.now();
  for (let i = 0; i < batches; i++) await session.embed(pixels, batch);
  const seconds = (performance.now() - start) / 1000;
  await session.release();
  const imagesPerSecond = (batches * batch) / seconds;
  results.push({ key, imagesPerSecond, bytes: entry.approximateBytes });
  console.log(`  ${key.padEnd(18)} ${imagesPerSecond.toFixed(2).padStart(7)} images/s`);
}
const anchor = results.find((r) => r.key === 'dino-vits16');
console.log('\nmodel               images/s  time vs ViT-S/16  2,000 photos  download');
for (const r of results) {
  const ratio = anchor ? anchor.imagesPerSecond / r.imagesPerSecond : Number.NaN;
  const minutes = 2000 / r.imagesPerSecond / 60;
  console.log(
    `${r.key.padEnd(19)} ${r.imagesPerSecond.toFixed(1).padStart(8)}  ${`${ratio.toFixed(2)}×`.padStart(16)}  ${`${minutes.toFixed(1)} min`.padStart(12)}  ${`${(r.bytes / 1e6).toFixed(0)} MB`.padStart(8)}`,
  );
}
console.log(
  `load average after: ${loadavg()
    .map((v) => v.toFixed(2))
    .join(' ')}`,
);
