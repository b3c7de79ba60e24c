import * as tf from '@tensorflow/tfjs';
import { columnSums } from './column-sums.ts';

/** LayerNorm over the last axis, as `nn.LayerNorm(dim, eps=1e-6)` in the reference ViT. */
export const LAYER_NORM_EPS = 1e-6;

export interface LayerNormCache {
  /** The normalised input before scale and shift. */
  normalized: tf.Tensor2D;
  /** 1 / sqrt(variance + eps) per row, [rows, 1]. */
  inverseStd: tf.Tensor2D;
}

export function layerNormForward(
  x: tf.Tensor2D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  cache?: (c: LayerNormCache) => void,
): tf.Tensor2D {
  return tf.tidy(() => {
    const centered = tf.sub(x, tf.mean(x, -1, true));
    const variance = tf.mean(tf.square(centered), -1, true);
    const inverseStd = tf.rsqrt(tf.add(variance, LAYER_NORM_EPS)) as tf.Tensor2D;
    const normalized = tf.mul(centered, inverseStd) as tf.Tensor2D;
    if (cache) cache({ normalized: tf.keep(normalized), inverseStd: tf.keep(inverseStd) });
    return tf.add(tf.mul(normalized, gamma), beta) as tf.Tensor2D;
  });
}

/** Gradients of LayerNorm from what the forward cached. */
export function layerNormBackward(
  cache: LayerNormCache,
  gamma: tf.Tensor1D,
  dy: tf.Tensor2D,
): { dx: tf.Tensor2D; dGamma: tf.Tensor1D; dBeta: tf.Tensor1D } {
  return tf.tidy(() => {
    const { normalized, inverseStd } = cache;
    const dBeta = columnSums(dy);
    const dGamma = columnSums(tf.mul(dy, normalized) as tf.Tensor2D);
    const dNormalized = tf.mul(dy, gamma);
    // dx = (dn - mean(dn) - n * mean(dn * n)) / std, the usual closed form.
    const meanD = tf.mean(dNormalized, -1, true);
    const meanDN = tf.mean(tf.mul(dNormalized, normalized), -1, true);
    const dx = tf.mul(
      tf.sub(tf.sub(dNormalized, meanD), tf.mul(normalized, meanDN)),
      inverseStd,
    ) as tf.Tensor2D;
    return { dx, dGamma, dBeta };
  });
}
