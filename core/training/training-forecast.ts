import { type TrainingConfig, validateTrainingConfig } from './config.ts';
import { TRAINING_PRESETS } from './presets.ts';

/**
 * The honest plan a run states once its first steps are timed on this machine: images per second,
 * the time one epoch of this library takes, the whole run, and — from what was measured with
 * `npm run bench:learn` (bench/README.md) — how long from scratch until the features beat an
 * untrained network and raw pixels. Where that is more than a few hours without a usable GPU it
 * says so and points to published weights instead.
 */
export interface LearningMeasurement {
  /** The preset whose configuration was measured (at its batch; the forecast applies to runs with its model, crops and head). */
  preset: string;
  /** Images seen (steps × batch) in the longest measured run. */
  imagesMeasured: number;
  /** Images seen until k-NN top-1 was 5 points above the untrained network; null: not within imagesMeasured. */
  beatUntrained: number | null;
  /** Images seen until k-NN top-1 passed raw 32-px pixels; null: not within imagesMeasured. */
  beatRawPixels: number | null;
  /** Where and how it was measured. */
  source: string;
}

/**
 * What was measured, from scratch on the 2 CPU cores of the development machine. Each entry names
 * its run; bench/README.md holds the curves.
 */
export const LEARNING_MEASUREMENTS: LearningMeasurement[] = [
  {
    preset: 'cpu',
    imagesMeasured: 17_856,
    beatUntrained: null,
    beatRawPixels: 9_920,
    source:
      'bench:learn on imagenette-dev (2,000 photos, 10 classes), the cpu/quick model and crops, 9 epochs: k-NN top-1 28.9 % untrained -> 32.6 % after 9,920 images (raw pixels 31.6 %) -> 33.4 % after 17,856 (+4.5 points)',
  },
];

export interface TrainingForecast {
  imagesPerSecond: number;
  photos: number;
  epochMinutes: number;
  runMinutes: number;
  /** Hours from scratch until features beat the untrained network / raw pixels here; null = unknown. */
  hoursToBeatUntrained: number | null;
  hoursToBeatRawPixels: number | null;
  /** The plan in sentences. */
  text: string;
  /** Set when from-scratch training here is a long road: the advice to use published weights instead. */
  warning: string | null;
}

/** Beyond this many hours to useful features, a CPU run is not a reasonable first step. */
export const LONG_ROAD_HOURS = 3;

export function forecastTraining(options: {
  config: TrainingConfig;
  photos: number;
  imagesPerSecond: number;
  /** The compute backend's kind: a GPU backend gets no CPU warning. */
  backend: string;
  /** True when the run starts from other weights (published or a checkpoint), not from scratch. */
  fromWeights: boolean;
}): TrainingForecast {
  const { config, photos, imagesPerSecond, fromWeights } = options;
  const epochSeconds = (Math.floor(photos / config.batchSize) * config.batchSize) / imagesPerSecond;
  const epochMinutes = epochSeconds / 60;
  const runMinutes = epochMinutes * config.epochs;
  const sentences = [
    `Measured on this machine: ${imagesPerSecond.toFixed(1)} images/s; one epoch of ${photos} photos takes ${formatMinutes(epochMinutes)}, the whole run (${config.epochs} epochs) ${formatMinutes(runMinutes)}.`,
  ];
  let hoursToBeatUntrained: number | null = null;
  let hoursToBeatRawPixels: number | null = null;
  let warning: string | null = null;
  const gpu = /gpu|cuda|webgpu|webgl/i.test(options.backend);
  if (!fromWeights) {
    const preset = presetOf(config);
    const measured = LEARNING_MEASUREMENTS.find((m) => m.preset === preset) ?? null;
    const hours = (images: number) => images / imagesPerSecond / 3600;
    if (!measured) {
      sentences.push(
        'How long this configuration needs to learn useful features was not measured (bench/README.md has the presets that were); watch the feature-health line.',
      );
    } else {
      hoursToBeatUntrained = measured.beatUntrained === null ? null : hours(measured.beatUntrained);
      hoursToBeatRawPixels = measured.beatRawPixels === null ? null : hours(measured.beatRawPixels);
      const reach = (what: string, images: number | null) =>
        images === null
          ? `had not beaten ${what} after ${measured.imagesMeasured.toLocaleString('en')} images seen (${formatHours(hours(measured.imagesMeasured))} here)`
          : `beat ${what} after ${images.toLocaleString('en')} images seen (${formatHours(hours(images))} here)`;
      sentences.push(
        `From scratch, the ${preset} preset's model and crops ${reach('an untrained network by 5 k-NN points', measured.beatUntrained)} and ${reach('raw pixels', measured.beatRawPixels)} in our measurements (${measured.source}).`,
      );
      // The first milestone measured (5 points over untrained, or raw pixels) is when features get useful.
      const reached = [measured.beatUntrained, measured.beatRawPixels].filter((n): n is number => n !== null);
      const usefulHours = reached.length ? hours(Math.min(...reached)) : null;
      if ((usefulHours === null || usefulHours > LONG_ROAD_HOURS) && !gpu) {
        warning =
          'Without a usable GPU, training from scratch here is a long road: ' +
          (usefulHours === null
            ? `in our measurements its features beat neither an untrained network by 5 k-NN points nor raw pixels within ${formatHours(hours(measured.imagesMeasured))} of this machine's time (the longest run measured). `
            : `it needs about ${formatHours(usefulHours)} before its features are better than raw pixels or an untrained network. `) +
          'Start from published weights instead: `dinoscope weights fetch dino-vits16`, then `dinoscope embed` and ' +
          '`dinoscope map` give good features in minutes (and `dinoscope train --from-model ID` adapts them to your photos safely). ' +
          'This run continues; Ctrl-C pauses it.';
      }
    }
  }
  return {
    imagesPerSecond,
    photos,
    epochMinutes,
    runMinutes,
    hoursToBeatUntrained,
    hoursToBeatRawPixels,
    text: sentences.join(' '),
    warning,
  };
}

/**
 * The preset whose model, crops and head the config has, or null. Epochs, warm-up and batch may
 * differ: progress is counted in images seen.
 */
export function presetOf(config: TrainingConfig): string | null {
  validateTrainingConfig(config);
  for (const [name, preset] of Object.entries(TRAINING_PRESETS)) {
    const settings = preset.settings as Partial<TrainingConfig>;
    const keys = Object.keys(settings) as (keyof TrainingConfig)[];
    if (keys.length === 0) continue;
    const matches = keys.every(
      (key) => IGNORED.has(key) || JSON.stringify(settings[key]) === JSON.stringify(config[key]),
    );
    if (matches) return name;
  }
  return null;
}

const IGNORED = new Set<keyof TrainingConfig>(['epochs', 'warmupEpochs', 'batchSize']);

export function formatMinutes(minutes: number): string {
  if (minutes < 1) return `${Math.max(1, Math.round(minutes * 60))} s`;
  if (minutes < 120) return `${Math.round(minutes)} min`;
  return formatHours(minutes / 60);
}

function formatHours(hours: number): string {
  if (hours < 2) return `${Math.round(hours * 60)} min`;
  if (hours < 48) return `${hours.toFixed(1)} h`;
  return `${(hours / 24).toFixed(1)} days`;
}
