import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import wabtModule from 'wabt';
import { initBackend } from '../../../core/engine/backend.ts';
import { ownWasmKernelsActive, simdKernelsAvailable } from '../../../core/engine/own-wasm-kernels.ts';

const source = new URL('../../../core/engine/own-wasm-kernels.wat', import.meta.url);
const binary = new URL('../../../core/engine/own-wasm-kernels.wasm', import.meta.url);

describe('dinoscope’s own wasm kernels', () => {
  beforeAll(async () => {
    await initBackend({ prefer: 'wasm' });
  });

  it('ship as the binary of their source (rebuild with `npm run build:kernels`)', async () => {
    const wabt = await wabtModule();
    const parsed = wabt.parseWat('own-wasm-kernels.wat', readFileSync(source, 'utf8'));
    parsed.validate();
    const built = Buffer.from(parsed.toBinary({}).buffer);
    parsed.destroy();
    expect(
      built.equals(readFileSync(binary)),
      'own-wasm-kernels.wasm is stale: run `npm run build:kernels`',
    ).toBe(true);
  });

  it('run on the wasm backend, and not when turned off', () => {
    expect(tf.getBackend()).toBe('wasm');
    expect(simdKernelsAvailable()).toBe(true);
    expect(ownWasmKernelsActive(true, {})).toBe(true);
    expect(ownWasmKernelsActive(false, {})).toBe(false);
  });
});
