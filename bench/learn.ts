/**
 * `npm run bench:learn [-- --minutes N --preset P --config-overrides key=value ...]`: does DINO
 * learn here, and how fast? Trains from scratch on `../shared/datasets/imagenette-dev` (the folder
 * names are the classes; they never reach training) through the real trainer, and prints after each
 * epoch DINO's weighted k-NN (k 20, T 0.07, leave-one-out over every photo, teacher CLS of the
 * centre crop at the global crop size) top-1/top-5, images/s and minutes: a learning curve, beside
 * two anchors measured in the same run — raw 32-px pixels and the same network untrained (step 0).
 * Where `python3` has torch, bench/reference_dino_learn.py trains the reference (official DINO
 * model, head, loss and schedules) on the same photos with the same configuration and step count,
 * and its curve is printed beside ours.
 *
 * Options: --minutes N (default 30; training stops at the first epoch end after it), --preset NAME
 * (default cpu), --config-overrides key=value (repeatable, any training setting), --photos N (a
 * class-balanced subset), --seed N, --no-reference, --keep FILE (the curve as JSON), --save-model
 * FILE (the last epoch's teacher backbone, safetensors, for bench:adapt --weights).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { initBackend } from '../core/engine/backend.ts';
import { addFolders } from '../core/library/add-folders.ts';
import { scanLibrary } from '../core/library/scan.ts';
import { listTrainableImages } from '../core/library/training-copy.ts';
import { knnScore, loadProbeImages } from '../core/training/feature-probe.ts';
import type { HealthMeasurement } from '../core/training/health-watch.ts';
import { createTfjsLearner } from '../core/training/tfjs-learner.ts';
import { runTraining } from '../core/training/trainer.ts';
import { resolveTraining } from '../core/training/training-plan.ts';
import { parseConfigOverrides } from './config-overrides.ts';
import { copyImagenetteLibrary, requireImagenette } from './imagenette-library.ts';

const { values: options } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    preset: { type: 'string', default: 'cpu' },
    'config-overrides': { type: 'string', multiple: true, default: [] },
    photos: { type: 'string' },
    seed: { type: 'string', default: '0' },
    'no-reference': { type: 'boolean', default: false },
    keep: { type: 'string' },
    'save-model': { type: 'string' },
  },
});
const minutes = Number(options.minutes);
requireImagenette('bench:learn trains on imagenette-dev');

console.log(
  `machine: ${availableParallelism()} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} at the start`,
);

// A library of the photos (or a class-balanced subset), in a temporary folder.
const { work, photos, classes, libraryFile, db } = copyImagenetteLibrary(
  'dinoscope-bench-learn-',
  options.photos ? Number(options.photos) : undefined,
);
const backend = await initBackend();
try {
  addFolders(db, [photos]);
  await scanLibrary(db);
  const images = listTrainableImages(db);
  const overrides = parseConfigOverrides(options['config-overrides'] ?? []);
  const resolved = await resolveTraining(db, {
    preset: options.preset,
    settings: {
      epochs: 1000,
      seed: Number(options.seed),
      // k-NN on every photo at the start (untrained) and at each epoch end; nothing in between.
      knnSampleSize: images.length,
      ...overrides,
    },
    backendKind: backend.kind,
  });
  // Feature health once per epoch: at its end, with the k-NN.
  const plan = {
    ...resolved.plan,
    config: {
      ...resolved.plan.config,
      healthEverySteps: Math.floor(images.length / resolved.plan.config.batchSize),
    },
  };
  const { config } = plan;
  console.log(
    `backend ${backend.kind}; ${images.length} photos in ${classes.length} classes; preset ${options.preset}` +
      `${Object.keys(overrides).length ? ` with ${JSON.stringify(overrides)}` : ''}: ` +
      `${config.arch}/${config.patchSize} ${config.embedDim || ''} 2x${config.globalCropSize} + ${config.localCropsNumber}x${config.localCropSize} px, ` +
      `out_dim ${config.outDim}, batch ${config.batchSize}, lr ${config.lr}, teacher temp ${config.warmupTeacherTemp}->${config.teacherTemp}, momentum ${config.momentumTeacher}`,
  );

  // Anchor 1: raw pixels (32-px centre crops, ImageNet-normalised, L2-normalised).
  const raw = await loadProbeImages(db, images, 32, true);
  const rawFeatures = Float32Array.from(raw.pixels);
  const dim = 32 * 32 * 3;
  for (let i = 0; i < raw.ids.length; i++) {
    const row = rawFeatures.subarray(i * dim, (i + 1) * dim);
    const norm = Math.hypot(...row) || 1;
    for (let k = 0; k < dim; k++) row[k] /= norm;
  }
  const rawScore = await knnScore(rawFeatures, raw);
  console.log(
    `raw 32-px pixels: k-NN top-1 ${rawScore.top1.toFixed(1)} %, top-5 ${rawScore.top5.toFixed(1)} %`,
  );

  // Ours: the trainer, cancelled at the first epoch end after --minutes.
  const cancel = new AbortController();
  const started = Date.now();
  let trainingSeconds = 0;
  let epochImages = 0;
  let epochSeconds = 0;
  const curve: { step: number; images: number; minutes: number; top1: number; top5: number; rate: number }[] =
    [];
  console.log('\nepoch  step  images seen  minutes  img/s  k-NN top-1  top-5');
  const outcome = await runTraining(db, libraryFile, plan, createTfjsLearner, {
    cancel: cancel.signal,
    backend: backend.kind,
    onStep: (record) => {
      if (record.imagesPerSecond) {
        const seconds = config.batchSize / record.imagesPerSecond;
        trainingSeconds += seconds;
        epochSeconds += seconds;
        epochImages += config.batchSize;
      }
    },
    onHealth: (health: HealthMeasurement) => {
      if (health.knnTop1 === null) return;
      const rate = epochSeconds > 0 ? epochImages / epochSeconds : 0;
      const point = {
        step: health.step,
        images: health.step * config.batchSize,
        minutes: trainingSeconds / 60,
        top1: health.knnTop1,
        top5: health.knnTop5 ?? 0,
        rate,
      };
      curve.push(point);
      console.log(
        `${String(health.step === 0 ? 0 : health.epoch + 1).padStart(5)} ${String(point.step).padStart(5)} ${String(point.images).padStart(12)} ` +
          `${point.minutes.toFixed(1).padStart(8)} ${rate ? rate.toFixed(1).padStart(6) : '     -'} ${point.top1.toFixed(1).padStart(11)} ${point.top5.toFixed(1).padStart(6)}` +
          (health.step === 0 ? '   (untrained)' : ''),
      );
      epochImages = 0;
      epochSeconds = 0;
      if (trainingSeconds / 60 >= minutes) cancel.abort();
    },
    onWarning: (message) =>
      console.log(`  warning: ${message.slice(0, 200)}${message.length > 200 ? '…' : ''}`),
  });
  const untrained = curve[0]?.top1 ?? Number.NaN;
  const best = Math.max(...curve.map((p) => p.top1));
  const firstAbove = (threshold: number) => curve.find((p) => p.step > 0 && p.top1 >= threshold);
  const plus5 = firstAbove(untrained + 5);
  const pastRaw = firstAbove(rawScore.top1);
  console.log(
    `\nours: ${outcome.step} steps in ${(trainingSeconds / 60).toFixed(1)} training minutes (${((Date.now() - started) / 60000).toFixed(1)} wall, with the k-NN evaluations); ` +
      `best k-NN top-1 ${best.toFixed(1)} % vs untrained ${untrained.toFixed(1)} % and raw pixels ${rawScore.top1.toFixed(1)} %; ` +
      `+5 over untrained: ${plus5 ? `${plus5.images} images seen, ${plus5.minutes.toFixed(0)} min` : 'not reached'}; ` +
      `past raw pixels: ${pastRaw ? `${pastRaw.images} images seen, ${pastRaw.minutes.toFixed(0)} min` : 'not reached'}`,
  );
  console.log(
    `load average at the end: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  if (options['save-model'] && outcome.modelId !== null) {
    const { getModel } = await import('../core/store/models.ts');
    copyFileSync(getModel(db, outcome.modelId).weightsPath, options['save-model']);
    console.log(
      `the last epoch's teacher backbone: ${options['save-model']} (bench:adapt -- --weights FILE starts from it)`,
    );
  }
  if (options.keep) {
    writeFileSync(
      options.keep,
      JSON.stringify({ config, raw: rawScore, curve, modelRun: outcome.runId }, null, 1),
    );
    console.log(`curve written to ${options.keep}`);
  }

  // The reference, same photos, configuration and step count.
  const python = options['no-reference'] ? null : findTorchPython();
  const script = fileURLToPath(new URL('./reference_dino_learn.py', import.meta.url));
  if (options['no-reference']) {
    console.log('\nreference: skipped (--no-reference).');
  } else if (!python) {
    console.log('\nreference: skipped (no python3 with torch; `python3 -c "import torch"` fails).');
  } else if (!existsSync(script)) {
    console.log('\nreference: skipped (bench/reference_dino_learn.py is absent).');
  } else {
    console.log(
      `\nreference (official DINO model/head/loss/schedules, torch ${python.version}), ${outcome.step} steps:`,
    );
    const run = spawnSync(
      python.executable,
      [
        script,
        '--data',
        photos,
        '--config',
        JSON.stringify(config),
        '--steps',
        String(outcome.step),
        '--eval-every-steps',
        String(Math.floor(images.length / config.batchSize)),
      ],
      { stdio: 'inherit', env: { ...process.env, OMP_NUM_THREADS: String(availableParallelism()) } },
    );
    if (run.status !== 0) console.log(`reference: exited with ${run.status}`);
  }
} finally {
  db.close();
  rmSync(work, { recursive: true, force: true });
}

function findTorchPython(): { executable: string; version: string } | null {
  for (const executable of ['python3', '/usr/bin/python3']) {
    const probe = spawnSync(executable, ['-c', 'import torch; print(torch.__version__)'], {
      encoding: 'utf8',
    });
    if (probe.status === 0) return { executable, version: probe.stdout.trim() };
  }
  return null;
}
