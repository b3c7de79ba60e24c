import * as tf from '@tensorflow/tfjs';
import { linearForward } from './linear.ts';

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
    const pairs = perPairProducts(s);
    const scores = tf.mul(product(q, k, false, true, pairs), s.headDim ** -0.5);
    const probs = tf.softmax(scores) as tf.Tensor3D;
    const out = product(probs, v, false, false, pairs);
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
    const scores = tf.mul(product(q, k, false, true, perPairProducts(s)), s.headDim ** -0.5);
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
    const pairs = perPairProducts(s);
    const dProbs = product(dO, v, false, true, pairs);
    const dV = product(probs, dO, true, false, pairs);
    // Softmax backward: dS = P ⊙ (dP − Σ_j dP·P), then the scale of the scores.
    const rowDot = tf.sum(tf.mul(dProbs, probs), -1, true);
    const dScores = tf.mul(tf.mul(probs, tf.sub(dProbs, rowDot)), s.headDim ** -0.5) as tf.Tensor3D;
    const dQ = product(dScores, k, false, false, pairs);
    const dK = product(dScores, q, true, false, pairs);
    const stacked = tf.concat([dQ, dK, dV], 0).reshape([3 * s.heads, s.images, s.tokens, s.headDim]);
    return tf
      .transpose(stacked, [1, 2, 0, 3])
      .reshape([s.images * s.tokens, 3 * s.heads * s.headDim]) as tf.Tensor2D;
  });
}

/**
 * Tokens from which the products of each (head, image) pair run as separate 2-D products on the
 * wasm backend: its batched matMul is a scalar loop (~2.4 GFLOP/s) while a 2-D product runs on
 * XNNPACK (~20 GFLOP/s), which outweighs the cost of one op per pair from ~20 tokens. Measured on
 * 96 pairs of q·kᵀ: per pair 0.2× as fast at 10 tokens (48-px crops), even at 17, 1.6× at 37
 * (96-px crops), 2.2× at 50, 5.9× at 197; a whole 96/48-px DINO step 9 % faster than with 48 here.
 * Tests change it to compare both ways.
 */
export const attentionProducts = { pairsFromTokens: 20 };

function perPairProducts(s: AttentionShape): boolean {
  return s.tokens >= attentionProducts.pairsFromTokens && tf.getBackend() === 'wasm';
}

/** Batched a·b (optionally transposed) [pairs, m, n], batched or as one 2-D product per pair. */
function product(
  a: tf.Tensor3D,
  b: tf.Tensor3D,
  transposeA: boolean,
  transposeB: boolean,
  pairs: boolean,
): tf.Tensor3D {
  if (!pairs) return tf.matMul(a, b, transposeA, transposeB);
  return tf.tidy(() => {
    const left = transposeA ? tf.transpose(a, [0, 2, 1]) : a;
    const right = transposeB ? tf.transpose(b, [0, 2, 1]) : b;
    const lefts = tf.unstack(left) as tf.Tensor2D[];
    const rights = tf.unstack(right) as tf.Tensor2D[];
    return tf.stack(lefts.map((l, i) => tf.matMul(l, rights[i]))) as tf.Tensor3D;
  });
}

export function disposeAttentionCache(cache: AttentionCache): void {
  tf.dispose([cache.q, cache.k, cache.v, cache.probs]);
}
