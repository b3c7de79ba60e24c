import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../core/engine/backend.ts';
import type { NamedTensors } from '../../../core/engine/host-tensor.ts';
import { probeWebGpu } from '../../../core/engine/webgpu-adapter.ts';
import { importWeights } from '../../../core/model/weight-import.ts';
import { type Db, openDatabase } from '../../../core/store/database.ts';
import { listCheckpoints } from '../../../core/store/runs.ts';
import { backboneConfig } from '../../../core/training/config.ts';
import { createTfjsLearner } from '../../../core/training/tfjs-learner.ts';
import { runTraining } from '../../../core/training/trainer.ts';
import { resolveTraining } from '../../../core/training/training-plan.ts';
import { hasShared, sharedPath, skipWithoutShared } from '../../shared-fixtures.ts';
import { makeRawLibrary } from './raw-library.ts';

/** Where a run starts: a preset chosen by backend, published weights, our own checkpoint, or --resume. */
const folder = mkdtempSync(join(tmpdir(), 'dinoscope-training-plan-'));
let db: Db;
let libraryFile: string;

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' });
  libraryFile = makeRawLibrary(folder, 'library', 8).file;
  db = openDatabase(libraryFile);
});
afterAll(() => {
  db?.close();
  rmSync(folder, { recursive: true, force: true });
});

const tiny = {
  outDim: 32,
  headHiddenDim: 24,
  headBottleneckDim: 8,
  globalCropSize: 32,
  localCropSize: 16,
  localCropsNumber: 2,
  batchSize: 4,
  epochs: 1,
  replicas: 1,
};

function expectSameTensors(actual: NamedTensors, expected: NamedTensors) {
  expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [name, tensor] of expected) {
    expect(actual.get(name)?.shape, name).toEqual(tensor.shape);
    expect(actual.get(name)?.data, name).toEqual(tensor.data);
  }
}

describe('training plan', () => {
  it('picks the preset from the backend and says so; refuses an empty library', async () => {
    const resolved = await resolveTraining(db, { settings: {}, backendKind: 'wasm' });
    expect(resolved.preset).toBe('cpu');
    expect(resolved.notes[0]).toMatch(/Preset "cpu" chosen for the wasm backend/);
    expect(resolved.plan.imageIds).toHaveLength(8);
    expect(
      (await resolveTraining(db, { settings: {}, backendKind: 'tensorflow-gpu' })).plan.config.arch,
    ).toBe('vit_small');
    // WebGPU forced onto a software adapter (this machine's lavapipe, CI's) trains at CPU sizes, and says why.
    const software = await resolveTraining(db, {
      settings: {},
      backendKind: 'webgpu',
      softwareAdapter: true,
    });
    expect(software.preset).toBe('cpu');
    expect(software.plan.config.arch).toBe('vit_tiny');
    expect(software.notes[0]).toMatch(/Preset "cpu" chosen: the webgpu backend runs on a software adapter/);
    const adapter = await probeWebGpu();
    if (adapter.available) {
      const forced = await resolveTraining(db, {
        settings: {},
        backendKind: 'webgpu',
        softwareAdapter: adapter.software,
      });
      expect(forced.preset).toBe(adapter.software ? 'cpu' : 'gpu');
    }
    expect((await resolveTraining(db, { settings: {}, backendKind: 'webgpu' })).preset).toBe('gpu');
    const empty = openDatabase(join(folder, 'empty.sqlite'));
    await expect(resolveTraining(empty, { settings: {}, backendKind: 'wasm' })).rejects.toThrow(
      /no trainable images yet: `dinoscope add FOLDER` then `dinoscope scan`/,
    );
    await expect(
      resolveTraining(empty, { settings: {}, resume: 'latest', backendKind: 'wasm' }),
    ).rejects.toThrow(/No run to resume/);
    empty.close();
  });

  it.skipIf(!hasShared)(
    `starts from published DINO weights (--from-checkpoint) ${skipWithoutShared}`,
    async () => {
      const file = sharedPath('fixtures/dino-checkpoints/tiny_backbone_pretrain.pth');
      // 48-wide heads cannot be told from the shapes (published models have 64-wide ones): give them.
      const resolved = await resolveTraining(db, {
        settings: { ...tiny, numHeads: 3 },
        fromCheckpoint: file,
        backendKind: 'wasm',
      });
      const { config } = resolved.plan;
      expect(config).toMatchObject({ patchSize: 16, embedDim: 48, depth: 2, numHeads: 3 });
      expect(resolved.notes.join(' ')).toMatch(/no DINO head: the head starts at random/);
      const learner = await createTfjsLearner({
        config,
        vit: backboneConfig(config),
        state: null,
        completedSteps: 0,
        initialWeights: resolved.plan.initialWeights,
      });
      expectSameTensors(learner.teacherBackbone(), (await importWeights(file, { numHeads: 3 })).backbone);
      await learner.dispose();
      await expect(
        resolveTraining(db, {
          settings: { ...tiny, numHeads: 3, patchSize: 8 },
          fromCheckpoint: file,
          backendKind: 'wasm',
        }),
      ).rejects.toThrow(/cannot train with patchSize 8/);
    },
  );

  it('starts a new run from one of our checkpoints, student and teacher from its teacher, head kept', async () => {
    const settings = {
      ...tiny,
      arch: 'vit_tiny' as const,
      embedDim: 32,
      depth: 1,
      numHeads: 2,
      patchSize: 16 as const,
    };
    const first = await runTraining(
      db,
      libraryFile,
      (await resolveTraining(db, { settings, backendKind: 'wasm' })).plan,
      createTfjsLearner,
    );
    const checkpoint = listCheckpoints(db, first.runId).at(-1)?.path as string;
    const resolved = await resolveTraining(db, {
      settings: { epochs: 2 },
      fromCheckpoint: checkpoint,
      backendKind: 'wasm',
    });
    expect(resolved.plan.config).toMatchObject({
      embedDim: 32,
      depth: 1,
      numHeads: 2,
      outDim: 32,
      epochs: 2,
    });
    expect(resolved.plan.resume).toBeNull();
    const learner = await createTfjsLearner({
      config: resolved.plan.config,
      vit: backboneConfig(resolved.plan.config),
      state: null,
      completedSteps: 0,
      initialWeights: resolved.plan.initialWeights,
    });
    const state = learner.exportState();
    const teacherOf = (prefix: string) =>
      new Map(
        [...state]
          .filter(([name]) => name.startsWith(prefix))
          .map(([name, t]) => [name.slice(prefix.length), t]),
      );
    expectSameTensors(teacherOf('student.head.'), resolved.plan.initialWeights?.teacher.head as NamedTensors);
    expectSameTensors(
      teacherOf('teacher.backbone.'),
      resolved.plan.initialWeights?.teacher.backbone as NamedTensors,
    );
    await learner.dispose();
    await expect(
      resolveTraining(db, { settings: { epochs: 3 }, resume: first.runId, backendKind: 'wasm' }),
    ).rejects.toThrow(/--resume continues a run with its own settings; drop epochs/);
  });
});
