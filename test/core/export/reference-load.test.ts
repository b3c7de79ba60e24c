import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openBackboneSession } from '../../../core/engine/onnx-runtime.ts';
import { writeSafetensors } from '../../../core/engine/safetensors.ts';
import { exportModel } from '../../../core/export/model-library.ts';
import { buildVitOnnx } from '../../../core/export/vit-onnx.ts';
import type { ModelRecord } from '../../../core/store/models.ts';
import { randomWeights, TINY_VIT } from '../analysis/embed-test-library.ts';

/** A Python with PyTorch, when this machine has one (`python3` first on PATH, else the system one). */
const python = ['python3', '/usr/bin/python3'].find(
  (candidate) => spawnSync(candidate, ['-c', 'import torch, numpy'], { encoding: 'utf8' }).status === 0,
);
const script = fileURLToPath(new URL('../../../bench/embed_pytorch.py', import.meta.url));

describe('an exported backbone in the reference PyTorch model', () => {
  it.skipIf(!python)(
    'loads with load_state_dict(strict=True) and computes what the ONNX graph computes',
    async () => {
      const folder = mkdtempSync(join(tmpdir(), 'reference-load-'));
      const weights = randomWeights(TINY_VIT, 5);
      const source = join(folder, 'library-copy.safetensors');
      writeSafetensors(source, weights);
      const model: ModelRecord = {
        id: 1,
        name: 'tiny',
        source: 'imported',
        config: TINY_VIT,
        weightsPath: source,
        onnxPath: null,
        runId: null,
        createdAt: 0,
      };
      const exported = join(folder, 'backbone.safetensors');
      exportModel(model, 'safetensors', exported);

      const size = TINY_VIT.imgSize;
      const pixels = Float32Array.from({ length: 2 * 3 * size * size }, (_, i) => Math.cos(i * 0.11));
      const input = join(folder, 'input.f32');
      writeFileSync(input, new Uint8Array(pixels.buffer));
      const output = execFileSync(
        python as string,
        [script, 'check', exported, input, '2', String(size), String(size)],
        {
          encoding: 'utf8',
        },
      );
      const reference = Float32Array.from((JSON.parse(output) as { cls: number[] }).cls);

      const session = await openBackboneSession(
        buildVitOnnx(TINY_VIT, weights, { height: size, width: size }),
        {
          height: size,
          width: size,
          ...TINY_VIT,
        },
      );
      const cls = await session.embed(pixels, 2);
      await session.release();
      expect(reference.length).toBe(cls.length);
      for (let i = 0; i < cls.length; i++) expect(Math.abs(cls[i] - reference[i])).toBeLessThan(1e-4);
    },
  );
});
