import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { embedLibrary } from '../../../core/analysis/embed-job.ts';
import { openTfjsBackbone } from '../../../core/analysis/tfjs-backbone.ts';
import { openBackboneSession } from '../../../core/engine/onnx-runtime.ts';
import { readSafetensors } from '../../../core/engine/safetensors.ts';
import { buildVitOnnx } from '../../../core/export/vit-onnx.ts';
import { loadEmbeddings } from '../../../core/store/embeddings.ts';
import { hasShared, sharedPath } from '../../shared-fixtures.ts';
import { makeEmbedLibrary } from './embed-test-library.ts';

const maxDifference = (a: Float32Array, b: Float32Array) => {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
};

describe('ONNX Runtime and tfjs agree', () => {
  it.skipIf(!hasShared)(
    'on a backbone after two DINO steps (reference train_step), at a non-square size',
    async () => {
      const { tensors } = readSafetensors(sharedPath('fixtures/dino-reference/train_step.safetensors'));
      const prefix = 'after_step1.student.backbone.';
      const weights = new Map(
        [...tensors]
          .filter(([name]) => name.startsWith(prefix))
          .map(([name, t]) => [name.slice(prefix.length), t]),
      );
      const config = { patchSize: 8, embedDim: 48, depth: 3, numHeads: 4, mlpRatio: 4, imgSize: 32 };
      const [height, width] = [40, 48];
      const pixels = Float32Array.from(
        { length: 3 * 3 * height * width },
        (_, i) => Math.sin(i * 0.37) * 1.5,
      );

      const onnx = await openBackboneSession(buildVitOnnx(config, weights, { height, width }), {
        height,
        width,
        ...config,
      });
      const fromOnnx = await onnx.forward(pixels, 3);
      await onnx.release();

      const tfjs = await openTfjsBackbone(config, weights, { height, width });
      await tfjs.embed(pixels.subarray(0, 3 * height * width), 1); // the model keeps its interpolation matrix for a new size, once
      const tensorsBefore = tf.memory().numTensors;
      const fromTfjs = await tfjs.forward(pixels, 3);
      expect(tf.memory().numTensors).toBe(tensorsBefore);
      await tfjs.release();

      expect(maxDifference(fromOnnx.cls, fromTfjs.cls)).toBeLessThan(1e-4);
      expect(maxDifference(fromOnnx.lastAttention, fromTfjs.lastAttention)).toBeLessThan(1e-4);
    },
  );

  it('the embed job gives the same embeddings on either engine', async () => {
    const { db, file, modelId } = await makeEmbedLibrary(5);
    const onnx = await embedLibrary(db, file, { engine: 'onnxruntime' });
    const first = loadEmbeddings(db, modelId);
    db.prepare('DELETE FROM embeddings').run();
    const tfjs = await embedLibrary(db, file, { engine: 'tfjs' });
    expect(onnx.engine).toMatch(/^onnxruntime/);
    expect(tfjs.engine).toMatch(/^tfjs/);
    expect(maxDifference(loadEmbeddings(db, modelId).vectors, first.vectors)).toBeLessThan(1e-4);
    db.close();
  });
});
