import * as tf from '@tensorflow/tfjs';

/**
 * Σ over the rows of a 2-D tensor, [rows, cols] → [cols]: the bias and norm gradients. Done as
 * ones[1, rows] · x, because the wasm backend reduces the first axis by transposing first (~15x
 * slower than this product on XNNPACK). The summation order differs from `tf.sum` only by rounding.
 */
export function columnSums(x: tf.Tensor2D): tf.Tensor1D {
  const [rows, cols] = x.shape;
  return tf.tidy(() => tf.matMul(tf.ones([1, rows]), x).reshape([cols]) as tf.Tensor1D);
}
