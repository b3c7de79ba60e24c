import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { NamedTensors } from '../../../core/engine/host-tensor.ts';
import {
  isDinoscopeCheckpoint,
  latestCheckpointFile,
  pruneCheckpoints,
  readCheckpoint,
  writeCheckpoint,
} from '../../../core/training/checkpoint.ts';
import { CollapseWatch } from '../../../core/training/collapse-watch.ts';
import { DEFAULT_TRAINING_CONFIG } from '../../../core/training/config.ts';
import { Random } from '../../../core/training/random.ts';
import { RunLog, readRunLog, type StepRecord } from '../../../core/training/run-log.ts';

const folder = mkdtempSync(join(tmpdir(), 'dinoscope-checkpoint-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const tensors = (value: number): NamedTensors =>
  new Map([
    ['student.backbone.cls_token', { shape: [1, 1, 2], data: new Float32Array([value, value + 1]) }],
    ['dino_loss.center', { shape: [1, 3], data: new Float32Array([0, value, 0]) }],
  ]);

describe('checkpoints', () => {
  it('round-trip tensors and where training stands, and keep only the newest', () => {
    const dir = join(folder, 'run-1');
    rmSync(dir, { recursive: true, force: true });
    writeFileSync(join(folder, 'placeholder'), '');
    const random = new Random(4).getState();
    for (const step of [10, 20, 30]) {
      const info = {
        runId: 1,
        epoch: step / 10,
        step,
        stepInEpoch: 0,
        loss: 1 / step,
        config: DEFAULT_TRAINING_CONFIG,
        random,
      };
      mkdirSync(dir, { recursive: true });
      writeCheckpoint(dir, info, tensors(step));
    }
    const latest = latestCheckpointFile(dir);
    expect(latest).toMatch(/checkpoint-00000030\.json$/);
    const loaded = readCheckpoint(latest as string);
    expect(loaded.info).toMatchObject({
      step: 30,
      epoch: 3,
      random,
      loss: 1 / 30,
      format: 'dinoscope-checkpoint',
    });
    expect(loaded.info.config).toEqual(DEFAULT_TRAINING_CONFIG);
    expect(Array.from(loaded.tensors.get('dino_loss.center')?.data ?? [])).toEqual([0, 30, 0]);
    expect(isDinoscopeCheckpoint((latest as string).replace('.json', '.safetensors'))).toBe(true);
    expect(isDinoscopeCheckpoint(join(folder, 'placeholder'))).toBe(false);
    expect(pruneCheckpoints(dir, 2)).toHaveLength(1);
    expect(readdirSync(dir).sort()).toEqual([
      'checkpoint-00000020.json',
      'checkpoint-00000020.safetensors',
      'checkpoint-00000030.json',
      'checkpoint-00000030.safetensors',
    ]);
    rmSync(join(dir, 'checkpoint-00000030.safetensors'));
    expect(() => readCheckpoint(join(dir, 'checkpoint-00000030.json'))).toThrow(
      /missing; use an earlier checkpoint/,
    );
    expect(existsSync(join(dir, 'checkpoint-00000020.json'))).toBe(true);
  });
});

describe('run log', () => {
  it('appends one JSON line per step and drops the steps a resume will redo', () => {
    const dir = join(folder, 'log');
    mkdirSync(dir, { recursive: true });
    const log = new RunLog(dir);
    const record = (step: number): StepRecord => ({
      step,
      epoch: 0,
      loss: 8 - step / 10,
      lr: 1e-4,
      weightDecay: 0.04,
      momentum: 0.996,
      teacherTemp: 0.04,
      teacherEntropy: 5,
      imagesPerSecond: 10,
      time: step,
    });
    for (let step = 1; step <= 5; step++) log.append(record(step));
    appendFileSync(log.file, '{"step": 6, "lo');
    expect(readRunLog(dir).map((r) => r.step)).toEqual([1, 2, 3, 4, 5]);
    log.truncateAfter(3);
    expect(readRunLog(dir).map((r) => r.step)).toEqual([1, 2, 3]);
    expect(readRunLog(dir)[2]).toEqual(record(3));
  });
});

describe('collapse watch', () => {
  const outDim = 4096;
  const logK = Math.log(outDim);

  it('stays quiet on a healthy run and on a short excursion', () => {
    const watch = new CollapseWatch(outDim, 50);
    for (let step = 0; step < 40; step++) expect(watch.observe(step, logK, logK)).toBeNull();
    for (let step = 40; step < 500; step++) expect(watch.observe(step, 6 - step / 200, 3)).toBeNull();
  });

  it('warns once about a sustained uniform output, with remedies', () => {
    const watch = new CollapseWatch(outDim, 50);
    const warnings = [];
    for (let step = 0; step < 200; step++) {
      const warning = watch.observe(step, logK - 0.01, 3);
      if (warning) warnings.push(warning);
    }
    expect(warnings).toHaveLength(1);
    expect(warnings[0].kind).toBe('uniform');
    expect(warnings[0].step).toBe(49);
    expect(warnings[0].message).toMatch(/teacher temperature/);
  });

  it('warns about a teacher entropy near 0 (one prototype)', () => {
    const watch = new CollapseWatch(outDim, 20);
    const kinds = [];
    for (let step = 0; step < 100; step++) {
      const warning = watch.observe(step, 2, 0.01);
      if (warning) kinds.push(warning.kind);
    }
    expect(kinds).toEqual(['one-hot']);
  });
});

describe('collapse watch, at once', () => {
  const outDim = 4096;
  const logK = Math.log(outDim);

  it('warns within a few steps when an informative teacher turns uniform', () => {
    const watch = new CollapseWatch(outDim, 200);
    // A random teacher starts near uniform: no warning within the window.
    for (let step = 0; step < 100; step++) expect(watch.observe(step, logK, logK - 0.01)).toBeNull();
    for (let step = 100; step < 200; step++) expect(watch.observe(step, 7, 5)).toBeNull();
    const warnings = [];
    for (let step = 200; step < 230; step++) {
      const warning = watch.observe(step, logK, logK - 0.01);
      if (warning) warnings.push(warning);
    }
    expect(warnings.map((w) => [w.kind, w.step])).toEqual([['uniform', 209]]);
  });

  it('warns about one prototype within a few steps, whatever the window', () => {
    const watch = new CollapseWatch(outDim, 200);
    const steps = [];
    for (let step = 0; step < 50; step++) if (watch.observe(step, 2, 0.01)) steps.push(step);
    expect(steps).toEqual([9]);
  });
});
