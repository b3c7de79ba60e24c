import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../../../../core/cli/dinoscope.js', import.meta.url));
const doctor = (...args: string[]) =>
  execFileSync(process.execPath, [cli, 'doctor', ...args], { encoding: 'utf8' });

describe('dinoscope doctor', () => {
  it('says which backend it uses and why, the GPU, threads, and what to install for more speed', () => {
    const text = doctor();
    expect(text).toMatch(/^dinoscope \d+\.\d+\.\d+ · Node v\d+/);
    expect(text).toMatch(
      /TensorFlow\.js \d+\.\d+\.\d+: backend (tensorflow-gpu|webgpu|tensorflow|wasm|cpu) \(@tensorflow\//,
    );
    expect(text).toMatch(/^GPU: /m);
    // The WebGPU adapter, or why there is none, and why it trains or not.
    expect(text).toMatch(/^WebGPU: .+ — (used|skipped|not tried)/m);
    // How the gpu preset's batch of 32 fits a GPU: the estimate and the micro-batches chosen.
    expect(text).toMatch(/^Memory: gpu preset .*batch 32: estimated \d+\.\d GB at once.*fits/m);
    expect(text).toMatch(/^Threads: \d+ per replica; training runs \d+ data-parallel replica/m);
    if (text.includes('backend wasm'))
      expect(text).toMatch(/^Kernels: dinoscope's WebAssembly SIMD kernels/m);
    expect(text).toMatch(/^Faster: /m);
    expect(text).toMatch(/^Inference \(embeddings, attention maps\): ONNX Runtime \d+\.\d+\.\d+: .*cpu/m);
  });

  it('reports the same as JSON', () => {
    const report = JSON.parse(doctor('--json')) as {
      backend: {
        kind: string;
        reason: string;
        skipped: { packageName: string; error: string }[];
        webgpu: {
          available: boolean;
          software: boolean;
          vendor: string;
          limits: object | null;
          error: string | null;
        };
        webgpuChoice: string;
      };
      gpuPresetMemory: { microBatch: number; parts: number; fits: boolean };
      ownWasmKernels: boolean;
      trainingReplicas: number;
      onnxRuntime: { available: boolean; executionProviders: string[] };
    };
    expect(['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu']).toContain(report.backend.kind);
    const { webgpu } = report.backend;
    if (webgpu.available) {
      expect(webgpu.limits).not.toBeNull();
    } else expect(webgpu.error).toMatch(/.+/);
    expect(report.gpuPresetMemory.microBatch * report.gpuPresetMemory.parts).toBeGreaterThanOrEqual(32);
    expect(report.gpuPresetMemory.fits).toBe(true);
    expect(report.backend.webgpuChoice).toMatch(/^(used|skipped|not tried)/);
    expect(report.backend.reason.length).toBeGreaterThan(0);
    expect(report.trainingReplicas).toBeGreaterThanOrEqual(1);
    // Every runtime dinoscope supports has WebAssembly SIMD: on wasm its own kernels run.
    expect(report.ownWasmKernels).toBe(report.backend.kind === 'wasm');
    expect(report.onnxRuntime.available).toBe(true);
    expect(report.onnxRuntime.executionProviders).toContain('cpu');
    for (const skipped of report.backend.skipped) expect(skipped.error.length).toBeGreaterThan(0);
  });
});
