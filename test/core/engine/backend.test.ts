import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { chooseBackend, initBackend } from '../../../core/engine/backend.ts';

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
    expect(['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']).toContain(info.kind);
    expect(info.reason.length).toBeGreaterThan(0);
    expect(info.threads).toBeGreaterThanOrEqual(1);
    if (info.kind === 'wasm')
      expect(info.skipped.map((s) => s.kind)).toEqual(['tensorflow-gpu', 'tensorflow']);
    // Gradients are registered (the umbrella package): a gradient through Sum works.
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.square(x)))(tf.tensor1d([1, 2]));
    expect(Array.from(g.dataSync())).toEqual([2, 4]);
  });
});
