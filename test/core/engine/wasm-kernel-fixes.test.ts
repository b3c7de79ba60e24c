import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../core/engine/backend.ts';

/** The box by index arithmetic, as plainly as possible. */
function reference(values: Float32Array, shape: number[], begin: number[], size: number[]): number[] {
  const out: number[] = [];
  const total = size.reduce((a, b) => a * b, 1);
  for (let i = 0; i < total; i++) {
    let rest = i;
    let flat = 0;
    let stride = 1;
    const coords = new Array(shape.length);
    for (let axis = shape.length - 1; axis >= 0; axis--) {
      coords[axis] = (rest % size[axis]) + begin[axis];
      rest = Math.floor(rest / size[axis]);
    }
    for (let axis = shape.length - 1; axis >= 0; axis--) {
      flat += coords[axis] * stride;
      stride *= shape[axis];
    }
    out.push(values[flat]);
  }
  return out;
}

describe('wasm kernel fixes', () => {
  beforeAll(async () => {
    await initBackend({ prefer: 'wasm' });
    // This kernel, not the stock one, is the one tfjs runs.
    for (const kernel of ['Slice', 'Unpack', 'Identity']) {
      expect((tf.getKernel(kernel, 'wasm').kernelFunc as { dinoscope?: boolean }).dinoscope).toBe(true);
    }
  });

  const cases: [number[], number[], number[]][] = [
    [[10], [3], [4]],
    [
      [6, 7],
      [1, 2],
      [3, 4],
    ],
    [
      [6, 7],
      [2, 0],
      [3, 7],
    ],
    [
      [4, 5, 6],
      [1, 0, 2],
      [2, 5, 3],
    ],
    [
      [4, 5, 6],
      [3, 0, 0],
      [1, 5, 6],
    ],
    [
      [3, 4, 5, 6],
      [1, 1, 0, 0],
      [2, 2, 5, 6],
    ],
    [
      [3, 4, 5, 6],
      [0, 2, 1, 3],
      [3, 1, 3, 2],
    ],
    [
      [2, 3, 2, 3, 2],
      [1, 0, 1, 1, 0],
      [1, 3, 1, 2, 2],
    ],
  ];
  for (const [shape, begin, size] of cases) {
    it(`cuts [${size}] at [${begin}] out of [${shape}]`, () => {
      const count = shape.reduce((a, b) => a * b, 1);
      const values = Float32Array.from({ length: count }, (_, i) => i * 0.5 - 3);
      const x = tf.tensor(values, shape);
      const sliced = tf.slice(x, begin, size);
      expect(sliced.shape).toEqual(size);
      expect(Array.from(sliced.dataSync())).toEqual(reference(values, shape, begin, size));
      tf.dispose([x, sliced]);
    });
  }

  for (const axis of [0, 1, 2]) {
    it(`unstacks along axis ${axis}`, () => {
      const shape = [3, 4, 5];
      const values = Float32Array.from({ length: 60 }, (_, i) => i);
      const x = tf.tensor(values, shape);
      const parts = tf.unstack(x, axis);
      expect(parts.length).toBe(shape[axis]);
      parts.forEach((part, i) => {
        const begin = [0, 0, 0];
        begin[axis] = i;
        const size = [...shape];
        size[axis] = 1;
        expect(part.shape).toEqual(shape.filter((_, j) => j !== axis));
        expect(Array.from(part.dataSync())).toEqual(reference(values, shape, begin, size));
      });
      tf.dispose([x, ...parts]);
    });
  }

  it('clones without copying, a clone outlives its source, and the memory is freed with the last', () => {
    const initial = tf.memory().numDataBuffers;
    const x = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    const buffers = tf.memory().numDataBuffers;
    const y = tf.clone(x);
    expect(tf.memory().numDataBuffers).toBe(buffers);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3, 4]);
    const z = tf.add(y, 1);
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3, 4]);
    tf.dispose([y, z]);
    expect(tf.memory().numDataBuffers).toBe(initial);
  });

  it('keeps integer tensors and gradients working', () => {
    const ints = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3], 'int32');
    expect(Array.from(tf.slice(ints, [0, 1], [2, 2]).dataSync())).toEqual([2, 3, 5, 6]);
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.slice(x, [1], [2])))(tf.tensor1d([1, 2, 3, 4]));
    expect(Array.from(g.dataSync())).toEqual([0, 1, 1, 0]);
  });
});
