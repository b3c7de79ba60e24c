/**
 * `npm run bench:train`: images per second of a full DINO training step (teacher forward on the
 * 2 global views, student forward + backward on every view, AdamW, teacher EMA) on ViT-Tiny/16,
 * batch 32, for 2×96 + 4×48-px views and for the reference's 2×224 + 8×96-px views, on the active
 * backend with data-parallel replicas over the cores; and the same step in PyTorch on the CPU
 * (2 threads, OPENBLAS_NUM_THREADS=1) in the same run when a `python3` with torch is found, with
 * the ratio ours/PyTorch.
 *
 * Options: --batch N, --steps N (timed steps, median), --warmup N (untimed steps first, both
 * sides: ours settles in ~3, while V8 optimises the hot code), --replicas N, --out-dim N,
 * --only small|reference, --no-pytorch, --backend webgpu|wasm|… (as DINOSCOPE_BACKEND),
 * --micro-batch N (images per student forward/backward; default: what the trainer picks, step-memory.ts).
 *
 * On a GPU backend (WebGPU, CUDA) the reference setting trains ViT-S/16 (the `gpu` preset's
 * backbone) instead of ViT-Tiny, and the anchor is PyTorch's eager step on CUDA where
 * `torch.cuda.is_available()`, else on the CPU. Before the timed steps it prints the warm-up
 * estimate the trainer can show: images/s from the warm-up steps and an epoch of 5,000 photos.
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { type BackendKind, initBackend } from '../core/engine/backend.ts';
import type { HostTensor } from '../core/engine/host-tensor.ts';
import { dinoHeadConfig } from '../core/model/dino-head.ts';
import { type VitArch, vitConfig } from '../core/model/vit-config.ts';
import { DEFAULT_TRAINING_CONFIG } from '../core/training/config.ts';
import {
  DataParallelTraining,
  defaultReplicas,
  type StepTimings,
} from '../core/training/data-parallel-training.ts';
import { chooseMicroBatch, memoryBudget } from '../core/training/step-memory.ts';
import { DinoTrainingState } from '../core/training/train-step.ts';
import { formatMinutes } from '../core/training/training-forecast.ts';

const { values: options } = parseArgs({
  options: {
    batch: { type: 'string', default: '32' },
    steps: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '3' },
    replicas: { type: 'string' },
    'out-dim': { type: 'string', default: '4096' },
    only: { type: 'string' },
    'no-pytorch': { type: 'boolean', default: false },
    backend: { type: 'string' },
    'micro-batch': { type: 'string' },
  },
});
const batch = Number(options.batch);
const steps = Number(options.steps);
const warmup = Number(options.warmup);
const outDim = Number(options['out-dim']);

interface Setting {
  name: string;
  arch: VitArch;
  globalSize: number;
  localSize: number;
  localCrops: number;
}
const backend = await initBackend(options.backend ? { prefer: options.backend as BackendKind } : {});
const onGpu = backend.kind === 'webgpu' || backend.kind === 'tensorflow-gpu';
const SETTINGS: Setting[] = [
  { name: 'small', arch: 'vit_tiny' as const, globalSize: 96, localSize: 48, localCrops: 4 },
  {
    name: 'reference',
    arch: onGpu ? ('vit_small' as const) : ('vit_tiny' as const),
    globalSize: 224,
    localSize: 96,
    localCrops: 8,
  },
].filter((s) => !options.only || s.name === options.only);

const replicas = Number(options.replicas ?? defaultReplicas(backend.kind));
const python = options['no-pytorch'] ? null : findTorchPython();
// A GPU backend is compared with PyTorch on the GPU when it has one.
const torchDevice = onGpu && python?.cuda ? 'cuda' : 'cpu';

// Measured before anything runs here: the benchmark itself then loads every core.
if (loadavg()[0] > 0.5 * availableParallelism()) {
  console.log(
    `warning: the machine is busy (load average ${loadavg()[0].toFixed(1)} on ${availableParallelism()} cores): ` +
      'both figures drop, PyTorch’s two synchronised threads more than independent replicas, so the ratio is unreliable; rerun on a quiet machine.\n',
  );
}
console.log(
  `bench:train — ${SETTINGS.map((s) => `${s.arch}/16`).join(' and ')} + DINO head (out_dim ${outDim}), batch ${batch}, median of ${steps} steps after ${warmup} warm-up\n` +
    `machine: ${availableParallelism()} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), load average ${loadavg()[0].toFixed(1)}` +
    ' — figures vary with load; compare the ratio\n' +
    `ours: tfjs ${backend.tfjsVersion} ${backend.kind}${backend.simd ? ' (SIMD)' : ''}${backend.kind === 'webgpu' ? ` on ${backend.webgpu.vendor} ${backend.webgpu.architecture} ${backend.webgpu.device}${backend.webgpu.software ? ' (SOFTWARE adapter: correctness only, not a GPU speed)' : ''}` : ''}, ${backend.threads} thread(s) per replica, ${replicas} data-parallel replica(s)\n` +
    `anchor: ${python ? (torchDevice === 'cuda' ? `PyTorch ${python.version} eager on CUDA (${python.executable})` : `PyTorch ${python.version} on the CPU, 2 threads, OPENBLAS_NUM_THREADS=1 (${python.executable})`) : 'none (no python3 with torch found; Debian: apt install python3-torch libopenblas0-pthread)'}\n` +
    'step: teacher forward (2 global views) + student forward and backward (all views) + AdamW + teacher EMA\n',
);
console.log(
  `${'views'.padEnd(18)}${'ours img/s'.padStart(12)}${'s/step'.padStart(9)}${'PyTorch img/s'.padStart(15)}${'s/step'.padStart(9)}${'ours/PyTorch'.padStart(14)}`,
);

for (const setting of SETTINGS) {
  const label = `${setting.arch === 'vit_small' ? 'S' : 'Ti'} 2×${setting.globalSize} + ${setting.localCrops}×${setting.localSize}`;
  const ours = await measureOurs(setting);
  const theirs = python ? measurePyTorch(python.executable, setting) : null;
  const ratio = theirs ? `${(ours.imagesPerSecond / theirs.imagesPerSecond).toFixed(2)}×` : '–';
  console.log(
    `${label.padEnd(18)}${ours.imagesPerSecond.toFixed(2).padStart(12)}${ours.secondsPerStep.toFixed(1).padStart(9)}` +
      `${(theirs ? theirs.imagesPerSecond.toFixed(2) : '–').padStart(15)}${(theirs ? theirs.secondsPerStep.toFixed(1) : '–').padStart(9)}${ratio.padStart(14)}`,
  );
  const t = ours.timings;
  if (t) {
    const shares = [t.local, ...t.workers].map((x) => x.toFixed(1)).join(' / ');
    const heap = ours.heapBytes
      ? `; wasm heap of this thread's replica ${(ours.heapBytes / 2 ** 30).toFixed(2)} GiB`
      : '';
    console.log(
      `${''.padEnd(18)}last step: replica shares ${shares} s, wait + sums ${t.waitAndSum.toFixed(2)} s, update ${t.update.toFixed(2)} s${heap}`,
    );
  }
}

/** The wasm heap never shrinks, so its size is the peak this thread's replica reached. */
function wasmHeapBytes(): number | null {
  const wasm = (tf.backend() as { wasm?: { HEAPU8?: Uint8Array } }).wasm;
  return wasm?.HEAPU8?.length ?? null;
}

async function measureOurs(setting: Setting): Promise<{
  imagesPerSecond: number;
  secondsPerStep: number;
  heapBytes: number | null;
  timings: StepTimings | null;
}> {
  const vit = vitConfig(setting.arch, 16, 224);
  const model = { vit, head: dinoHeadConfig(vit.embedDim, outDim) };
  // The micro-batch the trainer would pick on this backend (a memory budget on a GPU, the adapter's
  // buffer limits on WebGPU), or --micro-batch; the step is the whole batch's either way.
  const memory = chooseMicroBatch(
    {
      ...DEFAULT_TRAINING_CONFIG,
      arch: setting.arch,
      globalCropSize: setting.globalSize,
      localCropSize: setting.localSize,
      localCropsNumber: setting.localCrops,
      outDim,
      batchSize: batch,
      microBatchSize: Number(options['micro-batch'] ?? 0),
    },
    memoryBudget(backend.kind),
    backend.kind === 'webgpu' ? backend.webgpu.limits : null,
  );
  console.log(`  ${setting.name}: ${memory.description}`);
  const state = DinoTrainingState.create(model, {
    dropPathRate: 0.1,
    microBatchSize: memory.parts > 1 ? memory.microBatch : 0,
  });
  state.onNotice = (message) => console.log(`  ${setting.name}: ${message}`);
  const training = await DataParallelTraining.start(state, { replicas, backend: backend.kind });
  const sizes = [
    setting.globalSize,
    setting.globalSize,
    ...Array(setting.localCrops).fill(setting.localSize),
  ];
  const views: HostTensor[] = sizes.map((size) => {
    const data = new Float32Array(batch * size * size * 3);
    for (let i = 0; i < data.length; i++) data[i] = Math.random() * 4 - 2;
    return { shape: [batch, size, size, 3], data };
  });
  const schedule = { epoch: 1, lr: 1e-4, weightDecay: 0.04, teacherMomentum: 0.996, teacherTemp: 0.04 };
  const times: number[] = [];
  let timings: StepTimings | null = null;
  try {
    const warmupTimes: number[] = [];
    for (let step = 0; step < warmup + steps; step++) {
      const start = performance.now();
      await training.step(views, schedule, step);
      const seconds = (performance.now() - start) / 1000;
      if (step >= warmup) times.push(seconds);
      else warmupTimes.push(seconds);
      timings = training.lastTimings;
      if (step === warmup - 1 && warmup >= 2) {
        // The estimate a person gets before a run: the warm-up steps after the first (which compiles).
        const settled = warmupTimes.slice(1);
        const perStep = settled.reduce((a, b) => a + b, 0) / settled.length;
        console.log(
          `  ${setting.name}: warm-up estimate ${(batch / perStep).toFixed(2)} images/s, an epoch of 5,000 photos ≈ ${formatMinutes(((5000 / batch) * perStep) / 60)} (first step ${warmupTimes[0].toFixed(1)} s)`,
        );
      }
    }
  } finally {
    await training.dispose();
  }
  const seconds = times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
  return { imagesPerSecond: batch / seconds, secondsPerStep: seconds, heapBytes: wasmHeapBytes(), timings };
}

function measurePyTorch(
  executable: string,
  setting: Setting,
): { imagesPerSecond: number; secondsPerStep: number } | null {
  const script = fileURLToPath(new URL('./train_pytorch.py', import.meta.url));
  const config = {
    batch,
    globalSize: setting.globalSize,
    localSize: setting.localSize,
    localCrops: setting.localCrops,
    outDim,
    steps,
    warmup,
    threads: 2,
    dim: vitConfig(setting.arch).embedDim,
    heads: vitConfig(setting.arch).numHeads,
    device: torchDevice,
  };
  const run = spawnSync(executable, [script, JSON.stringify(config)], {
    encoding: 'utf8',
    env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '2' },
    maxBuffer: 1 << 20,
  });
  if (run.status !== 0) {
    console.log(`  (PyTorch run failed: ${run.stderr.trim().split('\n').slice(-1)[0]})`);
    return null;
  }
  return JSON.parse(run.stdout.trim().split('\n').slice(-1)[0]);
}

/** The first python3 that imports torch: PATH's, then the system's (a pyenv shim may come first). */
function findTorchPython(): { executable: string; version: string; cuda: boolean } | null {
  for (const executable of ['python3', '/usr/bin/python3']) {
    const probe = spawnSync(
      executable,
      ['-c', 'import torch; print(torch.__version__, torch.cuda.is_available())'],
      { encoding: 'utf8' },
    );
    if (probe.status === 0) {
      const [version, cuda] = probe.stdout.trim().split(' ');
      return { executable, version, cuda: cuda === 'True' };
    }
  }
  return null;
}
