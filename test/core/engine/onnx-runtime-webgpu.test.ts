import { describe, expect, it } from 'vitest';
import { loadOnnxRuntime, openBackboneSession } from '../../../core/engine/onnx-runtime.ts';
import { probeWebGpu } from '../../../core/engine/webgpu-adapter.ts';
import { buildVitOnnx } from '../../../core/export/vit-onnx.ts';
import type { VitConfig } from '../../../core/model/vit-config.ts';
import { hasShared, skipWithoutShared } from '../../shared-fixtures.ts';
import { maxAbsDifference, referenceFixture, tensorNamed, withPrefix } from '../model/reference-fixtures.ts';

// vit_forward.safetensors: the reference's ViT (img 32, patch 8, dim 48, depth 3, 4 heads).
const CONFIG: VitConfig = { patchSize: 8, embedDim: 48, depth: 3, numHeads: 4, mlpRatio: 4, imgSize: 32 };

const ort = await loadOnnxRuntime();
const bundled = !(ort instanceof Error) && ort.listSupportedBackends().some((b) => b.name === 'webgpu');
const adapter = await probeWebGpu();
const unavailable = !bundled
  ? 'skipped: this onnxruntime-node has no WebGPU provider'
  : !adapter.available
    ? `skipped: no WebGPU adapter (${adapter.error})`
    : '';

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return dot / Math.sqrt(na * nb);
}

describe.skipIf(!hasShared || unavailable !== '')(
  `ONNX Runtime's WebGPU provider ${skipWithoutShared || unavailable}`,
  () => {
    it('gives the CPU provider’s embeddings (cosine ≥ 1 − 1e-4) and attention, forced even on a software adapter', async () => {
      const fixture = referenceFixture('vit_forward');
      const weights = withPrefix(fixture.tensors, 'weights.');
      for (const [key, height, width] of [
        ['x32', 32, 32],
        ['x24x40', 24, 40],
      ] as const) {
        const model = buildVitOnnx(CONFIG, weights, { height, width });
        const shape = { height, width, ...CONFIG };
        const cpu = await openBackboneSession(model, shape, { executionProviders: ['cpu'] });
        // Only WebGPU listed: a provider that cannot start fails the session instead of falling back.
        const gpu = await openBackboneSession(model, shape, { executionProviders: ['webgpu'] });
        expect(gpu.executionProvider).toBe('webgpu');
        const input = tensorNamed(fixture, `input.${key}`);
        const batch = input.shape[0];
        const onCpu = await cpu.forward(input.data, batch);
        const onGpu = await gpu.forward(input.data, batch);
        const dim = CONFIG.embedDim;
        for (let i = 0; i < batch; i++) {
          const a = onCpu.cls.subarray(i * dim, (i + 1) * dim);
          const b = onGpu.cls.subarray(i * dim, (i + 1) * dim);
          expect(cosine(a, b), `${key} image ${i}`).toBeGreaterThanOrEqual(1 - 1e-4);
        }
        // And both are the reference's, at the golden tests' tolerance.
        expect(maxAbsDifference(onGpu.cls, tensorNamed(fixture, `output.cls.${key}`).data)).toBeLessThan(
          1e-5,
        );
        expect(maxAbsDifference(onGpu.lastAttention, onCpu.lastAttention)).toBeLessThan(1e-5);
        await Promise.all([cpu.release(), gpu.release()]);
      }
    });
  },
);
