import * as tf from '@tensorflow/tfjs';

/**
 * Per-parameter gradient clipping as the reference `utils.clip_gradients`: a gradient whose own
 * L2 norm exceeds `clip` is scaled by clip / (norm + 1e-6). Computed on the device without
 * reading the norm back (a factor of exactly 1 leaves it unchanged). Returns a new tensor.
 */
export function clipGradient(gradient: tf.Tensor, clip: number): tf.Tensor {
  return tf.tidy(() => {
    // sqrt(Σg²) rather than tf.norm, whose pow/abs form is slow on wasm.
    const norm = tf.sqrt(tf.sum(tf.square(gradient)));
    const factor = tf.minimum(tf.div(clip, tf.add(norm, 1e-6)), 1);
    return tf.mul(gradient, factor);
  });
}
