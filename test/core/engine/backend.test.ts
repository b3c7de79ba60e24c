import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { chooseBackend, initBackend } from '../../../core/engine/backend.ts';
import { probeWebGpu } from '../../../core/engine/webgpu-adapter.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));

describe('backend choice', () => {
  it('falls through native packages that fail to load, whatever they throw', async () => {
    const tried: string[] = [];
    const info = await chooseBackend([
      {
        kind: 'tensorflow-gpu',
        packageName: 'fake-gpu',
        tfjsName: 'tensorflow',
        load: async () => {
          tried.push('gpu');
          // A package present without its binary: a plain Error, no code.
          throw new Error('The specified module could not be found.\nlibtensorflow.so.2');
        },
      },
      {
        kind: 'tensorflow',
        packageName: 'fake-native',
        tfjsName: 'tensorflow',
        load: async () => {
          tried.push('native');
          throw Object.assign(new Error("Cannot find module 'fake-native'"), { code: 'MODULE_NOT_FOUND' });
        },
      },
      {
        kind: 'cpu',
        packageName: '@tensorflow/tfjs-backend-cpu',
        tfjsName: 'cpu',
        load: async () => {
          tried.push('cpu');
          await tf.setBackend('cpu');
        },
      },
    ]);
    expect(tried).toEqual(['gpu', 'native', 'cpu']);
    expect(info.kind).toBe('cpu');
    expect(info.skipped.map((s) => s.packageName)).toEqual(['fake-gpu', 'fake-native']);
    expect(info.skipped[0].error).toBe('The specified module could not be found.');
    expect(info.reason).toBe('the fastest that loaded (fake-gpu, fake-native did not)');
    expect(info.advice).toMatch(/tfjs-node/);
  });

  it('fails with every reason when nothing loads', async () => {
    const broken = (kind: 'wasm' | 'cpu') => ({
      kind,
      packageName: `broken-${kind}`,
      tfjsName: kind,
      load: async () => {
        throw new Error(`no ${kind}`);
      },
    });
    await expect(chooseBackend([broken('wasm'), broken('cpu')])).rejects.toThrow(
      /broken-wasm: no wasm; broken-cpu: no cpu/,
    );
  });

  it('picks a real backend here, once per process, and says which and why', async () => {
    const info = await initBackend();
    expect(await initBackend()).toBe(info);
    expect(tf.getBackend()).toBe(info.tfjsName);
    expect(['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu']).toContain(info.kind);
    expect(info.reason.length).toBeGreaterThan(0);
    expect(info.threads).toBeGreaterThanOrEqual(1);
    if (info.kind === 'wasm')
      expect(info.skipped.map((s) => s.kind)).toEqual(['tensorflow-gpu', 'webgpu', 'tensorflow']);
    // The WebGPU adapter is described whichever backend won; a software one is never chosen unasked.
    expect(info.webgpu).toEqual(await probeWebGpu());
    if (info.webgpu.software && !process.env.DINOSCOPE_BACKEND) {
      expect(info.kind).not.toBe('webgpu');
      expect(info.webgpuChoice).toMatch(/^skipped: the adapter is software/);
    }
    if (!info.webgpu.available) expect(info.webgpuChoice).toMatch(/^(skipped|not tried)/);
    // Gradients are registered (the umbrella package): a gradient through Sum works.
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.square(x)))(tf.tensor1d([1, 2]));
    expect(Array.from(g.dataSync())).toEqual([2, 4]);
  });

  it('passes `forced` to the one asked for: a software variant is accepted only then', async () => {
    const software = {
      kind: 'webgpu' as const,
      packageName: 'fake-webgpu',
      tfjsName: 'cpu',
      load: async (forced?: boolean) => {
        if (!forced) throw new Error('the adapter is software');
        await tf.setBackend('cpu');
      },
    };
    const cpu = {
      kind: 'cpu' as const,
      packageName: '@tensorflow/tfjs-backend-cpu',
      tfjsName: 'cpu',
      load: async () => {
        await tf.setBackend('cpu');
      },
    };
    const automatic = await chooseBackend([software, cpu]);
    expect(automatic.kind).toBe('cpu');
    expect(automatic.webgpuChoice).toBe('skipped: the adapter is software');
    const forced = await chooseBackend([software, cpu], 'webgpu');
    expect(forced.kind).toBe('webgpu');
    expect(forced.webgpuChoice).toBe('used: requested by name');
  });

  it('says why a forced backend cannot be used instead of falling back', async () => {
    const failing = {
      kind: 'webgpu' as const,
      packageName: 'fake-webgpu',
      tfjsName: 'webgpu',
      load: async () => {
        throw new Error('Dawn found no adapter');
      },
    };
    await expect(chooseBackend([failing], 'webgpu')).rejects.toThrow(
      /webgpu .*cannot be used here \(fake-webgpu: Dawn found no adapter\)/,
    );
  });

  it.skipIf(process.platform !== 'linux')(
    'DINOSCOPE_BACKEND=webgpu without an adapter stops the doctor with the reason',
    () => {
      // No Vulkan driver listed: Dawn finds no adapter, as on a machine without a GPU driver.
      const run = spawnSync(process.execPath, ['core/cli/dinoscope.js', 'doctor'], {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, DINOSCOPE_BACKEND: 'webgpu', VK_ICD_FILENAMES: '/nonexistent/icd.json' },
        timeout: 60_000,
      });
      expect(run.status).not.toBe(0);
      expect(run.stderr).toMatch(/DINOSCOPE_BACKEND=webgpu was asked for but cannot be used here/);
      expect(run.stderr).toMatch(/no adapter/);
    },
  );
});
