import * as tf from '@tensorflow/tfjs';
import {
  type AttentionCache,
  type AttentionShape,
  attentionBackward,
  attentionForward,
  disposeAttentionCache,
} from './attention.ts';
import { type GeluCache, geluBackward, geluForward } from './gelu.ts';
import { type LayerNormCache, layerNormBackward, layerNormForward } from './layer-norm.ts';
import { linearBackward, linearForward } from './linear.ts';

/**
 * One pre-norm transformer block, as the reference `Block`:
 *   x = x + drop_path(attn(norm1(x)));  x = x + drop_path(mlp(norm2(x)))
 * with a hand-written backward. Training may recompute a block's forward inside its backward
 * (activation checkpointing): then only block inputs live across the whole step, which keeps
 * 224-px batches inside the 4 GiB wasm heap (ENGINE-NOTES) and needs no nested autograd tape.
 */
export const BLOCK_PARAMETERS = [
  'norm1.weight',
  'norm1.bias',
  'attn.qkv.weight',
  'attn.qkv.bias',
  'attn.proj.weight',
  'attn.proj.bias',
  'norm2.weight',
  'norm2.bias',
  'mlp.fc1.weight',
  'mlp.fc1.bias',
  'mlp.fc2.weight',
  'mlp.fc2.bias',
] as const;
export type BlockParameterName = (typeof BLOCK_PARAMETERS)[number];
/** Weights in the layout this code computes with: dense weights as [in, out]. */
export type BlockParameters = Record<BlockParameterName, tf.Tensor>;

/**
 * Stochastic depth of one block: per image, 0 (branch dropped) or 1/keep (kept, rescaled), as
 * the reference `drop_path`; [images, 1] each, or null when the block has rate 0.
 */
export interface DropPathMasks {
  attention: tf.Tensor2D;
  mlp: tf.Tensor2D;
}

/** What the backward needs from the forward; the cheap rest (the normalised-then-scaled inputs of the
 * dense layers, GELU's output) is recomputed from it. */
export interface BlockCache {
  norm1: LayerNormCache;
  attention: AttentionCache;
  attended: tf.Tensor2D;
  norm2: LayerNormCache;
  hidden: tf.Tensor2D;
  gelu: GeluCache;
}

/** Bytes a block keeps for its backward: 18 values of width `dim` per token, plus the attention matrix. */
export function blockCacheBytes(s: AttentionShape): number {
  const dim = s.heads * s.headDim;
  return 4 * s.images * s.tokens * (18 * dim + s.heads * s.tokens + 2);
}

const dense = (p: BlockParameters, name: 'attn.qkv' | 'attn.proj' | 'mlp.fc1' | 'mlp.fc2') =>
  [p[`${name}.weight`] as tf.Tensor2D, p[`${name}.bias`] as tf.Tensor1D] as const;

/** Multiplies a residual branch [images·tokens, dim] by its per-image drop-path factor. */
function dropPath(branch: tf.Tensor2D, mask: tf.Tensor2D | undefined, images: number): tf.Tensor2D {
  if (!mask) return branch;
  const [rows, dim] = branch.shape;
  return tf.mul(branch.reshape([images, (rows / images) * dim]), mask).reshape([rows, dim]);
}

export function blockForward(
  x: tf.Tensor2D,
  p: BlockParameters,
  s: AttentionShape,
  masks: DropPathMasks | null,
  keepForBackward?: (cache: BlockCache) => void,
): tf.Tensor2D {
  return tf.tidy(() => {
    const cache: Partial<BlockCache> = {};
    const record = keepForBackward !== undefined;
    const normed1 = layerNormForward(
      x,
      p['norm1.weight'] as tf.Tensor1D,
      p['norm1.bias'] as tf.Tensor1D,
      record ? (c) => (cache.norm1 = c) : undefined,
    );
    const attended = attentionForward(
      normed1,
      ...dense(p, 'attn.qkv'),
      s,
      record ? (c) => (cache.attention = c) : undefined,
    );
    const projected = linearForward(attended, ...dense(p, 'attn.proj'));
    const x1 = tf.add(x, dropPath(projected, masks?.attention, s.images)) as tf.Tensor2D;
    const normed2 = layerNormForward(
      x1,
      p['norm2.weight'] as tf.Tensor1D,
      p['norm2.bias'] as tf.Tensor1D,
      record ? (c) => (cache.norm2 = c) : undefined,
    );
    const hidden = linearForward(normed2, ...dense(p, 'mlp.fc1'));
    const activated = geluForward(hidden, record ? (c) => (cache.gelu = c) : undefined) as tf.Tensor2D;
    const out = linearForward(activated, ...dense(p, 'mlp.fc2'));
    if (keepForBackward) {
      keepForBackward({
        ...(cache as Pick<BlockCache, 'norm1' | 'attention' | 'norm2' | 'gelu'>),
        attended: tf.keep(attended),
        hidden: tf.keep(hidden),
      });
    }
    return tf.add(x1, dropPath(out, masks?.mlp, s.images)) as tf.Tensor2D;
  });
}

/** Runs the block forward keeping what its backward needs. */
export function blockForwardForBackward(
  x: tf.Tensor2D,
  p: BlockParameters,
  s: AttentionShape,
  masks: DropPathMasks | null,
): { y: tf.Tensor2D; cache: BlockCache } {
  let cache: BlockCache | undefined;
  const y = blockForward(x, p, s, masks, (c) => (cache = c));
  return { y, cache: cache as BlockCache };
}

/**
 * Gradients of the input and of every parameter (in BLOCK_PARAMETERS order) for the upstream
 * gradient `dy`, from the forward's cache, which it disposes.
 */
export function blockBackward(
  c: BlockCache,
  p: BlockParameters,
  s: AttentionShape,
  masks: DropPathMasks | null,
  dy: tf.Tensor2D,
): { dx: tf.Tensor2D; dParams: Record<BlockParameterName, tf.Tensor> } {
  try {
    return tf.tidy(() => {
      const scaled = (n: LayerNormCache, name: 'norm1' | 'norm2') =>
        tf.add(tf.mul(n.normalized, p[`${name}.weight`]), p[`${name}.bias`]) as tf.Tensor2D;
      const dOut = dropPath(dy, masks?.mlp, s.images);
      const activated = tf.mul(c.hidden, c.gelu.cdf) as tf.Tensor2D;
      const fc2 = linearBackward(activated, p['mlp.fc2.weight'] as tf.Tensor2D, dOut, {
        bias: true,
        inputGradient: true,
      });
      const dHidden = geluBackward(c.hidden, fc2.dx as tf.Tensor2D, c.gelu) as tf.Tensor2D;
      const fc1 = linearBackward(scaled(c.norm2, 'norm2'), p['mlp.fc1.weight'] as tf.Tensor2D, dHidden, {
        bias: true,
        inputGradient: true,
      });
      const norm2 = layerNormBackward(c.norm2, p['norm2.weight'] as tf.Tensor1D, fc1.dx as tf.Tensor2D);
      const dx1 = tf.add(dy, norm2.dx) as tf.Tensor2D;
      const dProjected = dropPath(dx1, masks?.attention, s.images);
      const proj = linearBackward(c.attended, p['attn.proj.weight'] as tf.Tensor2D, dProjected, {
        bias: true,
        inputGradient: true,
      });
      const dQkv = attentionBackward(c.attention, proj.dx as tf.Tensor2D, s);
      const qkv = linearBackward(scaled(c.norm1, 'norm1'), p['attn.qkv.weight'] as tf.Tensor2D, dQkv, {
        bias: true,
        inputGradient: true,
      });
      const norm1 = layerNormBackward(c.norm1, p['norm1.weight'] as tf.Tensor1D, qkv.dx as tf.Tensor2D);
      const dx = tf.add(dx1, norm1.dx) as tf.Tensor2D;
      const dParams: Record<BlockParameterName, tf.Tensor> = {
        'norm1.weight': norm1.dGamma,
        'norm1.bias': norm1.dBeta,
        'attn.qkv.weight': qkv.dw,
        'attn.qkv.bias': qkv.db as tf.Tensor,
        'attn.proj.weight': proj.dw,
        'attn.proj.bias': proj.db as tf.Tensor,
        'norm2.weight': norm2.dGamma,
        'norm2.bias': norm2.dBeta,
        'mlp.fc1.weight': fc1.dw,
        'mlp.fc1.bias': fc1.db as tf.Tensor,
        'mlp.fc2.weight': fc2.dw,
        'mlp.fc2.bias': fc2.db as tf.Tensor,
      };
      return { dx, dParams };
    });
  } finally {
    disposeBlockCache(c);
  }
}

function disposeBlockCache(c: BlockCache): void {
  disposeAttentionCache(c.attention);
  tf.dispose([c.norm1.normalized, c.norm1.inverseStd, c.norm2.normalized, c.norm2.inverseStd]);
  tf.dispose([c.attended, c.hidden, c.gelu.cdf, c.gelu.pdf]);
}

type CustomGradFunction = Parameters<typeof tf.customGrad>[0];

/**
 * The block as one autograd node. With `recompute` its backward runs the forward again and the
 * tape keeps only the block's input (activation checkpointing: ~1/4 more work, a fraction of the
 * memory); without, the forward's cache is kept until the backward consumes it.
 */
export function trainingBlock(
  x: tf.Tensor2D,
  p: BlockParameters,
  s: AttentionShape,
  masks: DropPathMasks | null,
  recompute: boolean,
): tf.Tensor2D {
  const parameters = BLOCK_PARAMETERS.map((name) => p[name]);
  const node = tf.customGrad(((...args: unknown[]) => {
    const save = args[args.length - 1] as (t: tf.Tensor[]) => void;
    const input = args[0] as tf.Tensor2D;
    save(masks ? [input, masks.attention, masks.mlp] : [input]);
    let kept: BlockCache | null = null;
    let value: tf.Tensor2D;
    if (recompute) value = blockForward(input, p, s, masks);
    else ({ y: value, cache: kept } = blockForwardForBackward(input, p, s, masks));
    return {
      value,
      gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
        const savedMasks = masks
          ? { attention: saved[1] as tf.Tensor2D, mlp: saved[2] as tf.Tensor2D }
          : null;
        let cache = kept;
        kept = null;
        if (!cache) {
          const again = blockForwardForBackward(saved[0] as tf.Tensor2D, p, s, savedMasks);
          again.y.dispose();
          cache = again.cache;
        }
        const { dx, dParams } = blockBackward(cache, p, s, savedMasks, dy);
        return [dx, ...BLOCK_PARAMETERS.map((name) => dParams[name])];
      },
    };
  }) as CustomGradFunction);
  return node(x, ...parameters) as tf.Tensor2D;
}
