import { describe, expect, it } from 'vitest';
import {
  describeOnnxRuntime,
  type OrtModule,
  onnxRuntimeInfo,
  preferredExecutionProviders,
} from '../../../core/engine/onnx-runtime.ts';

const fakeOrt = (backends: { name: string; bundled: boolean }[]) =>
  ({ listSupportedBackends: () => backends }) as unknown as OrtModule;

describe('ONNX Runtime execution providers', () => {
  it('picks DirectML on Windows, CoreML on macOS, CUDA only when installed, the CPU always last', () => {
    const windows = fakeOrt([
      { name: 'cpu', bundled: true },
      { name: 'dml', bundled: true },
      { name: 'webgpu', bundled: true },
    ]);
    expect(preferredExecutionProviders(windows, 'win32').providers).toEqual(['dml', 'cpu']);
    const mac = fakeOrt([
      { name: 'cpu', bundled: true },
      { name: 'coreml', bundled: true },
    ]);
    expect(preferredExecutionProviders(mac, 'darwin').providers).toEqual(['coreml', 'cpu']);
    const linuxWithCuda = fakeOrt([
      { name: 'cpu', bundled: true },
      { name: 'cuda', bundled: true },
    ]);
    expect(preferredExecutionProviders(linuxWithCuda, 'linux').providers).toEqual(['cuda', 'cpu']);
  });

  it('reports what this machine uses, for dinoscope doctor', async () => {
    const info = await onnxRuntimeInfo();
    expect(info.available).toBe(true);
    expect(info.version).toBe('1.30.0');
    expect(info.executionProviders.at(-1)).toBe('cpu');
    expect(await describeOnnxRuntime()).toMatch(/^ONNX Runtime 1\.30\.0: .*cpu/);
  });
});
