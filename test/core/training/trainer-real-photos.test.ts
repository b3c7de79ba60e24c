import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../core/engine/backend.ts';
import { addFolders } from '../../../core/library/add-folders.ts';
import { scanLibrary } from '../../../core/library/scan.ts';
import { openDatabase } from '../../../core/store/database.ts';
import type { HealthMeasurement } from '../../../core/training/health-watch.ts';
import { createTfjsLearner } from '../../../core/training/tfjs-learner.ts';
import { runTraining } from '../../../core/training/trainer.ts';
import { LONG_ROAD_HOURS, type TrainingForecast } from '../../../core/training/training-forecast.ts';
import { resolveTraining } from '../../../core/training/training-plan.ts';
import { sharedPath, skipWithoutShared } from '../../shared-fixtures.ts';

/**
 * A few real photos (4 of each of imagenette-dev's 10 kinds, in their class folders) trained with
 * the `cpu` preset as a person would start it: after the first steps are timed the plan appears
 * (images/s, epoch time, the measured road to useful features and, on this CPU, the advice to start
 * from published weights), feature health is measured with k-NN on the class folders, and a run
 * that cannot learn (lr 0) is warned about. Timings are printed, never asserted.
 */
const dataset = sharedPath('datasets/imagenette-dev');
const available = existsSync(dataset);
const folder = mkdtempSync(join(tmpdir(), 'dinoscope-real-'));

afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe.skipIf(!available)(
  `training on real photos ${available ? '' : skipWithoutShared || 'skipped: imagenette-dev is absent'}`,
  () => {
    it('states the plan after the warm-up steps and warns with remedies', async () => {
      await initBackend({ prefer: 'wasm' });
      const photos = join(folder, 'photos');
      for (const kind of readdirSync(dataset, { withFileTypes: true }).filter((e) => e.isDirectory())) {
        mkdirSync(join(photos, kind.name), { recursive: true });
        for (const file of readdirSync(join(dataset, kind.name)).sort().slice(0, 4))
          copyFileSync(join(dataset, kind.name, file), join(photos, kind.name, file));
      }
      const libraryFile = join(folder, 'library.sqlite');
      const db = openDatabase(libraryFile);
      try {
        addFolders(db, [photos]);
        await scanLibrary(db);
        const { plan } = await resolveTraining(db, {
          preset: 'cpu',
          settings: {
            epochs: 1,
            batchSize: 8,
            lr: 0,
            replicas: 1,
            healthEverySteps: 1,
            healthPatienceSteps: 2,
          },
          backendKind: 'wasm',
        });
        const forecasts: TrainingForecast[] = [];
        const measurements: HealthMeasurement[] = [];
        const warnings: string[] = [];
        const infos: string[] = [];
        const outcome = await runTraining(db, libraryFile, plan, createTfjsLearner, {
          backend: 'wasm',
          onForecast: (forecast) => forecasts.push(forecast),
          onHealth: (measurement) => measurements.push(measurement),
          onWarning: (warning) => warnings.push(warning),
          onInfo: (message) => infos.push(message),
        });
        expect(outcome.status).toBe('finished');
        expect(forecasts).toHaveLength(1);
        const [forecast] = forecasts;
        console.log(forecast.text);
        expect(forecast.imagesPerSecond).toBeGreaterThan(0);
        expect(forecast.text).toMatch(
          /images\/s; one epoch of 40 photos takes .*, the whole run \(1 epochs\)/,
        );
        expect(forecast.text).toMatch(
          /the cpu preset's model and crops had not beaten an untrained network .* beat raw pixels after 9,920 images seen/,
        );
        expect(infos).toContain(forecast.text);
        // The long-road warning exactly when the measured road (9,920 images) takes over 3 h at this speed.
        expect(forecast.warning !== null).toBe(9920 / forecast.imagesPerSecond / 3600 > LONG_ROAD_HOURS);
        if (forecast.warning) expect(warnings).toContain(forecast.warning);
        // Health on the class folders: k-NN at the start and at the epoch end, view retrieval every step.
        expect(measurements.map((m) => m.step)).toEqual([0, 1, 2, 3, 4, 5]);
        expect(measurements[0].knnTop1).not.toBeNull();
        expect(measurements.at(-1)?.knnTop1).not.toBeNull();
        expect(
          infos.some((line) =>
            /Feature health at step 0: view retrieval .* k-NN top-1 .* 40 photos in 10 class folders/.test(
              line,
            ),
          ),
        ).toBe(true);
        expect(
          warnings.some((w) => /not improved for \d+ steps.*teacher barely changes.*weights fetch/.test(w)),
        ).toBe(true);
      } finally {
        db.close();
      }
    }, 300_000);
  },
);
