import * as tf from '@tensorflow/tfjs';

/**
 * The core of multi-head self-attention, as the reference `Attention.forward` between its
 * `qkv` and `proj` layers: softmax(q·kᵀ·scale)·v per image and head. Tokens stay flattened
 * as [images·tokens, 3·dim] in and [images·tokens, dim] out so the dense layers around it are
 * plain 2-D products.
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
  /** Softmax probabilities [images·heads, tokens, tokens]. */
  probs: tf.Tensor3D;
}

/** Splits [images·tokens, 3·dim] into q, k, v of [images·heads, tokens, headDim]. */
function splitHeads(qkv: tf.Tensor2D, s: AttentionShape): [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D] {
  const perHead = tf.transpose(qkv.reshape([s.images, s.tokens, 3, s.heads, s.headDim]), [2, 0, 3, 1, 4]);
  const [q, k, v] = tf.split(perHead, 3, 0);
  const shape: [number, number, number] = [s.images * s.heads, s.tokens, s.headDim];
  return [q.reshape(shape), k.reshape(shape), v.reshape(shape)];
}

/** [images·heads, tokens, headDim] back to [images·tokens, heads·headDim]. */
function mergeHeads(x: tf.Tensor3D, s: AttentionShape): tf.Tensor2D {
  return tf
    .transpose(x.reshape([s.images, s.heads, s.tokens, s.headDim]), [0, 2, 1, 3])
    .reshape([s.images * s.tokens, s.heads * s.headDim]);
}

export function attentionForward(
  qkv: tf.Tensor2D,
  s: AttentionShape,
  cache?: (c: AttentionCache) => void,
): tf.Tensor2D {
  return tf.tidy(() => {
    const [q, k, v] = splitHeads(qkv, s);
    const scores = tf.mul(tf.matMul(q, k, false, true), s.headDim ** -0.5);
    const probs = tf.softmax(scores) as tf.Tensor3D;
    const out = tf.matMul(probs, v) as tf.Tensor3D;
    if (cache) cache({ q: tf.keep(q), k: tf.keep(k), v: tf.keep(v), probs: tf.keep(probs) });
    return mergeHeads(out, s);
  });
}

/** The attention probabilities only (the last block's, for heatmaps): [images, heads, tokens, tokens]. */
export function attentionProbabilities(qkv: tf.Tensor2D, s: AttentionShape): tf.Tensor4D {
  return tf.tidy(() => {
    const [q, k] = splitHeads(qkv, s);
    const scores = tf.mul(tf.matMul(q, k, false, true), s.headDim ** -0.5);
    return tf.softmax(scores).reshape([s.images, s.heads, s.tokens, s.tokens]) as tf.Tensor4D;
  });
}

/** Gradient with respect to qkv [images·tokens, 3·dim] for the upstream gradient of the output. */
export function attentionBackward(cache: AttentionCache, dOut: tf.Tensor2D, s: AttentionShape): tf.Tensor2D {
  return tf.tidy(() => {
    const { q, k, v, probs } = cache;
    const dO = tf
      .transpose(dOut.reshape([s.images, s.tokens, s.heads, s.headDim]), [0, 2, 1, 3])
      .reshape([s.images * s.heads, s.tokens, s.headDim]);
    const dProbs = tf.matMul(dO, v, false, true);
    const dV = tf.matMul(probs, dO, true, false);
    // Softmax backward: dS = P ⊙ (dP − Σ_j dP·P), then the scale of the scores.
    const rowDot = tf.sum(tf.mul(dProbs, probs), -1, true);
    const dScores = tf.mul(tf.mul(probs, tf.sub(dProbs, rowDot)), s.headDim ** -0.5);
    const dQ = tf.matMul(dScores, k);
    const dK = tf.matMul(dScores, q, true, false);
    const stacked = tf.stack([dQ, dK, dV]).reshape([3, s.images, s.heads, s.tokens, s.headDim]);
    return tf.transpose(stacked, [1, 3, 0, 2, 4]).reshape([s.images * s.tokens, 3 * s.heads * s.headDim]);
  });
}

export function disposeAttentionCache(cache: AttentionCache): void {
  tf.dispose([cache.q, cache.k, cache.v, cache.probs]);
}
