import * as tf from '@tensorflow/tfjs';
import { linearForward } from './linear.ts';
import { smallProducts } from './small-products.ts';

/**
 * Multi-head self-attention as the reference `Attention.forward` up to its `proj` layer:
 * q, k, v = qkv(x), softmax(q·kᵀ·scale)·v per image and head. Tokens stay flattened as
 * [images·tokens, dim] so the dense layers are plain 2-D products; the gradient is returned with
 * respect to the qkv layer's output [images·tokens, 3·dim], for the block to back-propagate.
 */
export interface AttentionShape {
  images: number;
  tokens: number;
  heads: number;
  headDim: number;
}

export interface AttentionCache {
  q: tf.Tensor3D;
  k: tf.Tensor3D;
  v: tf.Tensor3D;
  /** Softmax probabilities [heads·images, tokens, tokens]. */
  probs: tf.Tensor3D;
}

/**
 * q, k and v of [heads·images, tokens, headDim] from the block's normalised tokens: three dense
 * products on column slices of the `qkv` weight, each followed by a rank-4 transpose that keeps
 * the last axis. Heads are laid out head-major. The wasm backend runs such transposes as block
 * copies, while slicing activations or transposing at rank 5 is up to ~100x slower there.
 */
function projectHeads(
  x: tf.Tensor2D,
  weight: tf.Tensor2D,
  bias: tf.Tensor1D,
  s: AttentionShape,
): [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D] {
  const dim = s.heads * s.headDim;
  const part = (i: number) => {
    const projected = linearForward(x, weight.slice([0, i * dim], [dim, dim]), bias.slice([i * dim], [dim]));
    return tf
      .transpose(projected.reshape([s.images, s.tokens, s.heads, s.headDim]), [2, 0, 1, 3])
      .reshape([s.heads * s.images, s.tokens, s.headDim]) as tf.Tensor3D;
  };
  return [part(0), part(1), part(2)];
}

/** [heads·images, tokens, headDim] back to [images·tokens, heads·headDim]. */
function mergeHeads(x: tf.Tensor3D, s: AttentionShape): tf.Tensor2D {
  return tf
    .transpose(x.reshape([s.heads, s.images, s.tokens, s.headDim]), [1, 2, 0, 3])
    .reshape([s.images * s.tokens, s.heads * s.headDim]);
}

/** Attention of the normalised tokens x [images·tokens, dim], before the output projection. */
export function attentionForward(
  x: tf.Tensor2D,
  qkvWeight: tf.Tensor2D,
  qkvBias: tf.Tensor1D,
  s: AttentionShape,
  cache?: (c: AttentionCache) => void,
): tf.Tensor2D {
  return tf.tidy(() => {
    const [q, k, v] = projectHeads(x, qkvWeight, qkvBias, s);
    const scores = tf.mul(smallProducts(q, k, false, true), s.headDim ** -0.5);
    const probs = tf.softmax(scores) as tf.Tensor3D;
    const out = smallProducts(probs, v, false, false);
    if (cache) cache({ q: tf.keep(q), k: tf.keep(k), v: tf.keep(v), probs: tf.keep(probs) });
    return mergeHeads(out, s);
  });
}

/** The attention probabilities only (the last block's, for heatmaps): [images, heads, tokens, tokens]. */
export function attentionProbabilities(
  x: tf.Tensor2D,
  qkvWeight: tf.Tensor2D,
  qkvBias: tf.Tensor1D,
  s: AttentionShape,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [q, k] = projectHeads(x, qkvWeight, qkvBias, s);
    const scores = tf.mul(smallProducts(q, k, false, true), s.headDim ** -0.5);
    const probs = tf.softmax(scores).reshape([s.heads, s.images, s.tokens, s.tokens]);
    return tf.transpose(probs, [1, 0, 2, 3]) as tf.Tensor4D;
  });
}

/** Gradient with respect to qkv [images·tokens, 3·dim] for the upstream gradient of the output. */
export function attentionBackward(cache: AttentionCache, dOut: tf.Tensor2D, s: AttentionShape): tf.Tensor2D {
  return tf.tidy(() => {
    const { q, k, v, probs } = cache;
    const dO = tf
      .transpose(dOut.reshape([s.images, s.tokens, s.heads, s.headDim]), [2, 0, 1, 3])
      .reshape([s.heads * s.images, s.tokens, s.headDim]) as tf.Tensor3D;
    const dProbs = smallProducts(dO, v, false, true);
    const dV = smallProducts(probs, dO, true, false);
    // Softmax backward: dS = P ⊙ (dP − Σ_j dP·P), then the scale of the scores.
    const rowDot = tf.sum(tf.mul(dProbs, probs), -1, true);
    const dScores = tf.mul(tf.mul(probs, tf.sub(dProbs, rowDot)), s.headDim ** -0.5) as tf.Tensor3D;
    const dQ = smallProducts(dScores, k, false, false);
    const dK = smallProducts(dScores, q, true, false);
    const stacked = tf.concat([dQ, dK, dV], 0).reshape([3 * s.heads, s.images, s.tokens, s.headDim]);
    return tf
      .transpose(stacked, [1, 2, 0, 3])
      .reshape([s.images * s.tokens, 3 * s.heads * s.headDim]) as tf.Tensor2D;
  });
}

export function disposeAttentionCache(cache: AttentionCache): void {
  tf.dispose([cache.q, cache.k, cache.v, cache.probs]);
}
