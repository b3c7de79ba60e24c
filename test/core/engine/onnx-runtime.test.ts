import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import {
  describeOnnxRuntime,
  type OrtModule,
  onnxRuntimeInfo,
  preferredExecutionProviders,
  sessionOptionsFor,
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

  it('adds WebGPU only for a hardware adapter, after the platform’s own providers', () => {
    const linux = fakeOrt([
      { name: 'cpu', bundled: true },
      { name: 'webgpu', bundled: true },
    ]);
    const hardware = { available: true, software: false };
    const software = { available: true, software: true };
    expect(preferredExecutionProviders(linux, 'linux', hardware).providers).toEqual(['webgpu', 'cpu']);
    const soft = preferredExecutionProviders(linux, 'linux', software);
    expect(soft.providers).toEqual(['cpu']);
    expect(soft.note).toMatch(/software/);
    expect(
      preferredExecutionProviders(linux, 'linux', { available: false, software: false }).providers,
    ).toEqual(['cpu']);
    const mac = fakeOrt([
      { name: 'cpu', bundled: true },
      { name: 'coreml', bundled: true },
      { name: 'webgpu', bundled: true },
    ]);
    expect(preferredExecutionProviders(mac, 'darwin', hardware).providers).toEqual([
      'coreml',
      'webgpu',
      'cpu',
    ]);
  });

  it('reports what this machine uses, for dinoscope doctor', async () => {
    const info = await onnxRuntimeInfo();
    expect(info.available).toBe(true);
    expect(info.version).toBe('1.30.0');
    expect(info.executionProviders.at(-1)).toBe('cpu');
    expect(await describeOnnxRuntime()).toMatch(/^ONNX Runtime 1\.30\.0: .*cpu/);
  });
});

describe('ONNX Runtime session options', () => {
  it('runs one intra-op thread per core unless told otherwise (its own default is 1 on some VMs)', () => {
    expect(sessionOptionsFor(['cpu'], {})).toMatchObject({
      executionProviders: ['cpu'],
      intraOpNumThreads: availableParallelism(),
      interOpNumThreads: 1,
    });
    expect(sessionOptionsFor(['cpu'], { threads: 3 }).intraOpNumThreads).toBe(3);
    expect(sessionOptionsFor(['cpu'], {}).extra).toBeUndefined();
    expect(sessionOptionsFor(['cpu'], { spinning: false }).extra).toEqual({
      session: { intra_op: { allow_spinning: '0' } },
    });
  });
});
