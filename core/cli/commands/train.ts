import type { Command } from 'commander';
import type { TrainingConfig } from '../../training/config.ts';
import type { HealthMeasurement } from '../../training/health-watch.ts';
import { cliContext } from '../context.ts';

interface TrainFlags {
  arch?: string;
  patch?: string;
  epochs?: string;
  batch?: string;
  preset?: string;
  fromCheckpoint?: string;
  fromModel?: string;
  resume?: string | boolean;
  outDim?: string;
  lr?: string;
  seed?: string;
  teacherTemp?: string;
  warmupTeacherTempEpochs?: string;
  freezeLastLayer?: string;
  localCrops?: string;
  globalSize?: string;
  localSize?: string;
  checkpointMinutes?: string;
  set: string[];
  dryRun?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function register(program: Command): void {
  program
    .command('train')
    .description(
      'train a ViT with DINO self-distillation on the library photos (no labels); Ctrl-C pauses with a checkpoint, --resume continues',
    )
    .option('--arch <arch>', 'vit_tiny | vit_small | vit_base')
    .option('--patch <size>', 'patch size: 16 or 8')
    .option('--epochs <n>', 'passes over the photos')
    .option('--batch <n>', 'images per step (lr scales with it)')
    .option('--preset <name>', 'reference | gpu | cpu | quick (default: gpu on a CUDA backend, else cpu)')
    .option(
      '--from-checkpoint <file>',
      'start from published DINO weights (.pth/.safetensors) or a dinoscope checkpoint',
    )
    .option(
      '--from-model <id>',
      'adapt a library model (id or name) to these photos with the guarded recipe: head first, low lr, stops when features degrade',
    )
    .option(
      '--resume [run]',
      'continue a paused, cancelled or crashed run (default: the newest unfinished) exactly',
    )
    .option('--out-dim <n>', 'DINO head prototypes (reference 65536; 4096-8192 on small data)')
    .option('--lr <value>', 'learning rate at batch 256')
    .option('--seed <n>', 'random seed')
    .option('--teacher-temp <value>', 'teacher temperature after warm-up')
    .option('--warmup-teacher-temp-epochs <n>', 'epochs of teacher temperature warm-up')
    .option('--freeze-last-layer <n>', 'epochs with the head last layer frozen')
    .option('--local-crops <n>', 'local crops per image')
    .option('--global-size <px>', 'global crop side')
    .option('--local-size <px>', 'local crop side')
    .option('--checkpoint-minutes <n>', 'write a checkpoint at least this often')
    .option(
      '--set <key=value>',
      'any other training setting, e.g. --set clipGrad=0 (repeatable)',
      collect,
      [],
    )
    .option('--dry-run', 'print the resolved config and stop')
    .action(async (flags: TrainFlags, command: Command) => {
      const context = cliContext(command);
      const say = (line: string) => process.stderr.write(`${line}\n`);
      const emit = (value: object) => process.stdout.write(`${JSON.stringify(value)}\n`);
      const [
        { initBackend },
        { resolveTraining },
        { describeTrainingConfig, backboneConfig, peakLearningRate },
      ] = await Promise.all([
        import('../../engine/backend.ts'),
        import('../../training/training-plan.ts'),
        import('../../training/config.ts'),
      ]);
      const backend = await initBackend();
      const db = context.openLibrary();
      try {
        const resolved = await resolveTraining(db, {
          preset: flags.preset,
          settings: settingsFromFlags(flags),
          fromCheckpoint: flags.fromCheckpoint,
          fromModel:
            flags.fromModel === undefined
              ? undefined
              : /^\d+$/.test(flags.fromModel)
                ? Number(flags.fromModel)
                : flags.fromModel,
          resume:
            flags.resume === undefined ? undefined : flags.resume === true ? 'latest' : Number(flags.resume),
          backendKind: backend.kind,
          softwareAdapter: backend.kind === 'webgpu' && backend.webgpu.software,
        });
        {
          // The student in micro-batches where the whole batch would not fit the GPU's memory or
          // the adapter's buffer limits: the batch, and so the step, stays the one asked for.
          const { chooseMicroBatch, memoryBudget } = await import('../../training/step-memory.ts');
          const limits = backend.kind === 'webgpu' ? backend.webgpu.limits : null;
          const budget = memoryBudget(backend.kind);
          const memory = chooseMicroBatch(resolved.plan.config, budget, limits);
          if (budget || limits || memory.parts > 1) resolved.notes.push(`Memory: ${memory.description}`);
          if (!memory.fits) {
            const { largestTensorPerImage } = await import('../../training/gpu-batch.ts');
            const largest = largestTensorPerImage(resolved.plan.config);
            if (
              limits &&
              largest.bytes > Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize)
            ) {
              throw new Error(
                `Not even one image fits a step on this GPU: ${memory.description} Use smaller crops or out_dim.`,
              );
            }
            // Over the budget: the estimate may be pessimistic, so try; a step that runs out halves the micro-batch.
            resolved.notes.push(
              resolved.plan.config.microBatchSize > 0
                ? `warning: microBatchSize ${resolved.plan.config.microBatchSize} is over the memory budget (0 = automatic); a step that runs out of memory retries with half.`
                : 'warning: the estimate exceeds the memory budget even one image at a time; a step that runs out of memory will fail.',
            );
          }
        }
        const { config } = resolved.plan;
        const { describeVit } = await import('../../model/vit-config.ts');
        if (context.events) {
          emit({
            type: 'config',
            config,
            preset: resolved.preset,
            backend: backend.kind,
            notes: resolved.notes,
          });
        } else {
          say(`Backend: ${backend.kind} (${backend.reason})`);
          for (const note of resolved.notes) say(note);
          say(
            `Training ${describeVit(backboneConfig(config))} on ${resolved.plan.imageIds.length} photos, ` +
              `${config.epochs} epochs of batch ${config.batchSize}, 2 x ${config.globalCropSize} px + ` +
              `${config.localCropsNumber} x ${config.localCropSize} px crops, peak lr ${peakLearningRate(config).toExponential(2)}` +
              `${resolved.preset ? ` (preset ${resolved.preset}; * = not the reference default)` : ''}:`,
          );
          say(describeTrainingConfig(config, resolved.changed));
        }
        if (flags.dryRun) return;

        const [{ runTraining }, { createTfjsLearner }] = await Promise.all([
          import('../../training/trainer.ts'),
          import('../../training/tfjs-learner.ts'),
        ]);
        const cancel = new AbortController();
        process.once('SIGTERM', () => cancel.abort());
        let lastLine = 0;
        const outcome = await runTraining(db, context.libraryFile, resolved.plan, createTfjsLearner, {
          pause: context.signal,
          cancel: cancel.signal,
          onProgress: context.progress,
          onWarning: (message) =>
            context.events ? emit({ type: 'warning', message }) : say(`warning: ${message}`),
          onInfo: (message) => {
            if (!context.events) say(message);
          },
          backend: backend.kind,
          onForecast: (forecast) => {
            if (context.events) emit({ type: 'forecast', forecast });
          },
          onHealth: (health) => {
            if (context.events) emit({ type: 'health', health });
            else if (!process.stderr.isTTY) say(describeHealth(health));
          },
          onStep: (record) => {
            // A log file (no terminal) gets a progress line every 10 s instead of a redrawn bar.
            if (context.events || process.stderr.isTTY || Date.now() - lastLine < 10_000) return;
            lastLine = Date.now();
            say(
              `epoch ${record.epoch + 1}/${config.epochs} step ${record.step} loss ${record.loss.toFixed(4)} ` +
                `lr ${record.lr.toExponential(2)} wd ${record.weightDecay.toFixed(3)} momentum ${record.momentum.toFixed(4)} ` +
                `teacher temp ${record.teacherTemp.toFixed(3)} entropy ${record.teacherEntropy?.toFixed(3) ?? '-'} ` +
                `${record.imagesPerSecond?.toFixed(1) ?? '-'} img/s`,
            );
          },
        });
        context.progress.stop();
        if (context.events) emit({ type: 'result', result: outcome });
        else {
          say(
            outcome.status === 'finished'
              ? `Run ${outcome.runId} finished: ${outcome.step} steps, last loss ${outcome.lastLoss?.toFixed(4)}. ` +
                  `The teacher is model ${outcome.modelId} in the library (\`dinoscope embed\` uses it).`
              : (outcome.message ?? `Run ${outcome.runId} stopped: ${outcome.status}.`),
          );
        }
        if (outcome.status === 'failed') throw new Error(outcome.message ?? `Run ${outcome.runId} failed.`);
        if (outcome.status === 'paused' || outcome.status === 'cancelled') process.exitCode = 130;
      } finally {
        context.progress.stop();
        db.close();
      }
    });
}

/** One line per feature-health measurement, for logs. */
export function describeHealth(health: HealthMeasurement): string {
  return (
    `health at step ${health.step}: view retrieval ${health.viewRetrieval.toFixed(1)} %, effective rank ${health.effectiveRank.toFixed(1)}` +
    (health.neighbourAgreement === null
      ? ''
      : `, ${(100 * health.neighbourAgreement).toFixed(0)} % of 10-NN unchanged`) +
    (health.knnTop1 === null
      ? ''
      : `, k-NN top-1 ${health.knnTop1.toFixed(1)} % / top-5 ${(health.knnTop5 ?? 0).toFixed(1)} %`)
  );
}

const FLAG_KEYS: [keyof TrainFlags, keyof TrainingConfig][] = [
  ['arch', 'arch'],
  ['patch', 'patchSize'],
  ['epochs', 'epochs'],
  ['batch', 'batchSize'],
  ['outDim', 'outDim'],
  ['lr', 'lr'],
  ['seed', 'seed'],
  ['teacherTemp', 'teacherTemp'],
  ['warmupTeacherTempEpochs', 'warmupTeacherTempEpochs'],
  ['freezeLastLayer', 'freezeLastLayer'],
  ['localCrops', 'localCropsNumber'],
  ['globalSize', 'globalCropSize'],
  ['localSize', 'localCropSize'],
  ['checkpointMinutes', 'checkpointEveryMinutes'],
];

/** Flags and `--set key=value` as config settings: numbers parsed, JSON accepted for lists and booleans. */
export function settingsFromFlags(flags: TrainFlags): Partial<TrainingConfig> {
  const settings: Record<string, unknown> = {};
  for (const [flag, key] of FLAG_KEYS) {
    const value = flags[flag];
    if (typeof value === 'string') settings[key] = key === 'arch' ? value : parseValue(value, `--${flag}`);
  }
  for (const pair of flags.set ?? []) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new Error(`--set ${pair}: expected KEY=VALUE, e.g. --set clipGrad=0.`);
    settings[pair.slice(0, at)] = parseValue(pair.slice(at + 1), `--set ${pair}`);
  }
  return settings as Partial<TrainingConfig>;
}

function parseValue(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    if (/^[a-z_]+$/i.test(text)) return text;
    throw new Error(`${what}: "${text}" is not a number, boolean or JSON list.`);
  }
}
