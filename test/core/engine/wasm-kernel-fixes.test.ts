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
    for (const kernel of ['Slice', 'Transpose', 'Identity']) {
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

  // 4 × 4 blocks, edges of 1–3 rows and columns, a batch of matrices, a power of two.
  const transposes: number[][] = [
    [8, 12],
    [7, 5],
    [1, 9],
    [3, 37, 64],
    [2, 2, 6, 11],
    [256, 512],
  ];
  for (const shape of transposes) {
    it(`swaps the last two axes of [${shape}]`, () => {
      const rank = shape.length;
      const perm = [...shape.keys()];
      [perm[rank - 2], perm[rank - 1]] = [rank - 1, rank - 2];
      const values = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i * 0.25 - 7);
      const x = tf.tensor(values, shape);
      const swapped = tf.transpose(x, perm);
      expect(swapped.shape).toEqual(perm.map((axis) => shape[axis]));
      const [rows, cols] = shape.slice(-2);
      const expected = Array.from(values, (_, flat) => {
        const matrix = Math.floor(flat / (rows * cols));
        const within = flat % (rows * cols);
        const [j, i] = [Math.floor(within / rows), within % rows];
        return values[matrix * rows * cols + i * cols + j];
      });
      expect(Array.from(swapped.dataSync())).toEqual(expected);
      tf.dispose([x, swapped]);
    });
  }

  it('leaves other permutations and 1-byte tensors to the stock transpose', () => {
    const x = tf.tensor3d(
      Float32Array.from({ length: 24 }, (_, i) => i),
      [2, 3, 4],
    );
    expect(Array.from(tf.transpose(x, [1, 0, 2]).dataSync()).slice(0, 8)).toEqual([
      0, 1, 2, 3, 12, 13, 14, 15,
    ]);
    const flags = tf.tensor2d([true, false, false, true, true, false], [2, 3], 'bool');
    expect(Array.from(tf.transpose(flags).dataSync())).toEqual([1, 1, 0, 1, 0, 0]);
    const ints = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3], 'int32');
    expect(Array.from(tf.transpose(ints).dataSync())).toEqual([1, 4, 2, 5, 3, 6]);
    tf.dispose([x, flags, ints]);
  });

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
