import { describe, expect, it } from 'vitest';
import { resolveTrainingConfig } from '../../../core/training/config.ts';
import { TRAINING_PRESETS } from '../../../core/training/presets.ts';
import { forecastTraining, presetOf } from '../../../core/training/training-forecast.ts';

const cpu = resolveTrainingConfig(TRAINING_PRESETS.cpu.settings);

describe('training forecast', () => {
  it('knows a preset by its model, crops and head, whatever the epochs and batch', () => {
    expect(presetOf(cpu)).toBe('cpu');
    expect(presetOf(resolveTrainingConfig(TRAINING_PRESETS.cpu.settings, { epochs: 3, batchSize: 8 }))).toBe(
      'cpu',
    );
    expect(presetOf(resolveTrainingConfig(TRAINING_PRESETS.cpu.settings, { outDim: 1024 }))).toBeNull();
  });

  it('states images/s, epoch and run time, and the measured road to useful features', () => {
    const forecast = forecastTraining({
      config: cpu,
      photos: 3925,
      imagesPerSecond: 7.2,
      backend: 'wasm',
      fromWeights: false,
    });
    // 122 batches of 32 = 3,904 images at 7.2/s.
    expect(forecast.epochMinutes).toBeCloseTo(3904 / 7.2 / 60, 6);
    expect(forecast.runMinutes).toBeCloseTo((30 * 3904) / 7.2 / 60, 6);
    expect(forecast.text).toMatch(
      /7\.2 images\/s; one epoch of 3925 photos takes 9 min, the whole run \(30 epochs\) 4\.5 h/,
    );
    expect(forecast.text).toMatch(
      /cpu preset's model and crops had not beaten an untrained network by 5 k-NN points after 17,856 images seen \(41 min here\) and beat raw pixels after 9,920 images seen \(23 min here\)/,
    );
    expect(forecast.warning).toBeNull();
    // On a slow machine the same road takes hours: say so, and point to published weights.
    const slow = forecastTraining({
      config: cpu,
      photos: 3925,
      imagesPerSecond: 0.5,
      backend: 'wasm',
      fromWeights: false,
    });
    expect(slow.warning).toMatch(
      /Without a usable GPU.*needs about 5\.5 h before its features are better than raw pixels.*dinoscope weights fetch dino-vits16/,
    );
  });

  it('gives no CPU warning on a GPU backend, and no from-scratch estimate when starting from weights', () => {
    expect(
      forecastTraining({
        config: cpu,
        photos: 100,
        imagesPerSecond: 500,
        backend: 'tensorflow-gpu',
        fromWeights: false,
      }).warning,
    ).toBeNull();
    const adapting = forecastTraining({
      config: cpu,
      photos: 100,
      imagesPerSecond: 5,
      backend: 'wasm',
      fromWeights: true,
    });
    expect(adapting.warning).toBeNull();
    expect(adapting.text).not.toMatch(/untrained/);
  });
});
