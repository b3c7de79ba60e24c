import * as tf from '@tensorflow/tfjs';
import { columnSums } from './column-sums.ts';

/**
 * A dense layer `x · w + b` with `w` stored as [in, out] (the transpose of PyTorch's
 * [out, in]), so that the forward and every product of the backward are plain 2-D matMuls
 * without transpose flags: the only form the wasm backend runs on XNNPACK (ENGINE-NOTES: the
 * transposed and batched forms fall to a naive loop ~8x slower). The transposes are made
 * explicit instead, once per product.
 */
export function linearForward(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D | null): tf.Tensor2D {
  return (b ? tf.fused.matMul({ a: x, b: w, bias: b }) : tf.matMul(x, w)) as tf.Tensor2D;
}

export interface LinearGradients {
  /** Null when the input needs no gradient (the image patches). */
  dx: tf.Tensor2D | null;
  dw: tf.Tensor2D;
  db: tf.Tensor1D | null;
}

/** Gradients of `x · w + b` for the upstream gradient `dy` [rows, out]. */
export function linearBackward(
  x: tf.Tensor2D,
  w: tf.Tensor2D,
  dy: tf.Tensor2D,
  options: { bias: boolean; inputGradient: boolean },
): LinearGradients {
  return {
    dx: options.inputGradient ? tf.tidy(() => tf.matMul(dy, transpose2d(w)) as tf.Tensor2D) : null,
    dw: tf.tidy(() => tf.matMul(transpose2d(x), dy) as tf.Tensor2D),
    db: options.bias ? columnSums(dy) : null,
  };
}

/**
 * A 2-D transpose. On the wasm backend, when rows are a power of two of at least 256 floats
 * apart, the writes collide in the cache (a 2048 × 2048 weight took ~50 ms on the stock kernel,
 * ~9 ms on dinoscope's SIMD one). There it goes through 32 × 32 tiles instead: tile order, then
 * inside tiles, then back (~6 ms).
 */
export function transpose2d(x: tf.Tensor2D): tf.Tensor2D {
  const [rows, cols] = x.shape;
  const tile = 32;
  const aliasing = cols >= 256 && (cols & (cols - 1)) === 0 && rows % tile === 0;
  if (!aliasing || tf.getBackend() !== 'wasm') return tf.transpose(x);
  return tf.tidy(() => {
    const tiles = tf.transpose(x.reshape([rows / tile, tile, cols / tile, tile]), [0, 2, 1, 3]);
    const inside = tf.transpose(tiles, [0, 1, 3, 2]);
    return tf.transpose(inside, [1, 2, 0, 3]).reshape([cols, rows]) as tf.Tensor2D;
  });
}

type CustomGradFunction = Parameters<typeof tf.customGrad>[0];
type SaveFunction = (tensors: tf.Tensor[]) => void;

/** `x · w + b` for code that relies on autograd (the head, the patch embedding). */
export function linear(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D | null): tf.Tensor2D {
  return b ? linearWithBias(x, w, b) : linearWithoutBias(x, w);
}

/** `x · w + b` where `x` is data, not a parameter: its gradient is never needed, so never computed. */
export function linearOnData(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  return linearWithBiasOnData(x, w, b);
}

const linearWithBias = tf.customGrad(((
  x: tf.Tensor2D,
  w: tf.Tensor2D,
  b: tf.Tensor1D,
  save: SaveFunction,
) => {
  save([x, w]);
  return {
    value: linearForward(x, w, b),
    gradFunc: (dy: tf.Tensor2D, [xs, ws]: tf.Tensor2D[]) => {
      const g = linearBackward(xs, ws, dy, { bias: true, inputGradient: true });
      return [g.dx, g.dw, g.db];
    },
  };
}) as CustomGradFunction) as (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;

const linearWithoutBias = tf.customGrad(((x: tf.Tensor2D, w: tf.Tensor2D, save: SaveFunction) => {
  save([x, w]);
  return {
    value: linearForward(x, w, null),
    gradFunc: (dy: tf.Tensor2D, [xs, ws]: tf.Tensor2D[]) => {
      const g = linearBackward(xs, ws, dy, { bias: false, inputGradient: true });
      return [g.dx, g.dw];
    },
  };
}) as CustomGradFunction) as (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D;

const linearWithBiasOnData = tf.customGrad(((
  x: tf.Tensor2D,
  w: tf.Tensor2D,
  b: tf.Tensor1D,
  save: SaveFunction,
) => {
  save([x, w]);
  return {
    value: linearForward(x, w, b),
    gradFunc: (dy: tf.Tensor2D, [xs, ws]: tf.Tensor2D[]) => {
      const g = linearBackward(xs, ws, dy, { bias: true, inputGradient: false });
      // tfjs wants a gradient per input; the data's is never used, zeros are free to make.
      return [tf.zerosLike(xs), g.dw, g.db];
    },
  };
}) as CustomGradFunction) as (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;
