import * as tf from '@tensorflow/tfjs';
import type { NamedTensors } from '../engine/host-tensor.ts';
import type { AttentionShape } from './attention.ts';
import { attentionProbabilities } from './attention.ts';
import {
  filled,
  TOKEN_AND_DENSE_STD,
  truncatedNormal,
  type Uniform,
  uniformFanIn,
} from './initialisation.ts';
import { layerNormForward } from './layer-norm.ts';
import { linear, linearForward, linearOnData } from './linear.ts';
import { ParameterSet, type ParameterSpec } from './parameter-set.ts';
import { positionInterpolation } from './position-embedding.ts';
import {
  BLOCK_PARAMETERS,
  type BlockParameters,
  blockForward,
  type DropPathMasks,
  trainingBlock,
} from './transformer-block.ts';
import { describeVit, isDinov2, type VitConfig } from './vit-config.ts';

/**
 * The reference `VisionTransformer` (facebookresearch/dino `vision_transformer.py`): patch
 * embedding, class token, learned position embeddings (bicubically interpolated for other input
 * sizes), pre-norm blocks, final LayerNorm; the embedding is the final-norm class token.
 * Parameters carry the reference's state-dict names, so published weights load unchanged.
 *
 * Input: NHWC float32 images [B, H, W, 3], already normalised (ImageNet mean/std). Every method
 * returns new tensors the caller disposes, and leaves no other tensor behind.
 */
export class VisionTransformer {
  readonly config: VitConfig;
  readonly parameters: ParameterSet;

  constructor(
    config: VitConfig,
    weights?: NamedTensors,
    options: { random?: Uniform; trainable?: boolean } = {},
  ) {
    if (config.embedDim % config.numHeads !== 0) {
      throw new Error(`embedDim ${config.embedDim} is not divisible by numHeads ${config.numHeads}.`);
    }
    if (isDinov2(config)) {
      // DINOv2 models run on ONNX Runtime only (core/export/vit-onnx.ts): LayerScale and register
      // tokens are not in this training model, and training from DINOv2 is not offered.
      throw new Error(
        `${describeVit(config)} runs on ONNX Runtime only; the TensorFlow.js model holds DINO ViTs. ` +
          'Check `dinoscope doctor` for why ONNX Runtime did not load.',
      );
    }
    this.config = config;
    this.parameters = new ParameterSet(vitParameterSpecs(config), {
      weights,
      random: options.random,
      trainable: options.trainable ?? false,
      what: 'ViT backbone',
    });
  }

  /** Final-norm class token [B, D]: the image embedding. */
  forward(images: tf.Tensor4D): tf.Tensor2D {
    const { tokens, shape } = this.runBlocks(images, this.config.depth);
    return tf.tidy(() => {
      const cls = tokens
        .reshape([shape.images, shape.tokens, this.config.embedDim])
        .slice([0, 0, 0], [-1, 1, -1]);
      tokens.dispose();
      return this.finalNorm(cls.reshape([shape.images, this.config.embedDim]) as tf.Tensor2D);
    });
  }

  /** The last block's attention probabilities [B, heads, N, N] (token 0 is the class token). */
  lastSelfAttention(images: tf.Tensor4D): tf.Tensor4D {
    const last = this.config.depth - 1;
    const { tokens, shape } = this.runBlocks(images, last);
    return tf.tidy(() => {
      const p = this.blockParameters(last);
      const normed = layerNormForward(
        tokens,
        p['norm1.weight'] as tf.Tensor1D,
        p['norm1.bias'] as tf.Tensor1D,
      );
      tokens.dispose();
      const weight = p['attn.qkv.weight'] as tf.Tensor2D;
      return attentionProbabilities(normed, weight, p['attn.qkv.bias'] as tf.Tensor1D, shape);
    });
  }

  /** The final-norm tokens [B, N, D] of the last `n` blocks, oldest first (reference `get_intermediate_layers`). */
  intermediateLayers(images: tf.Tensor4D, n: number): tf.Tensor3D[] {
    const depth = this.config.depth;
    const out: tf.Tensor3D[] = [];
    const start = this.runBlocks(images, depth - n);
    const shape = start.shape;
    let tokens = start.tokens;
    for (let i = depth - n; i < depth; i++) {
      const next = blockForward(tokens, this.blockParameters(i), shape, null);
      tokens.dispose();
      tokens = next;
      out.push(
        tf.tidy(() =>
          this.finalNorm(tokens).reshape([shape.images, shape.tokens, this.config.embedDim]),
        ) as tf.Tensor3D,
      );
    }
    tokens.dispose();
    return out;
  }

  /**
   * The class embedding [B, D] as a differentiable function of the parameters, for training.
   * `keptBlocks`: how many blocks (from the first) keep their activations for the backward; the
   * others recompute them (activation checkpointing). Default: all kept. With `dropPath`,
   * stochastic depth as the reference: rate i·r/(depth−1) for block i, one draw per image.
   */
  forwardForTraining(
    images: tf.Tensor4D,
    options: { dropPath?: { rate: number; random: Uniform }; keptBlocks?: number } = {},
  ): tf.Tensor2D {
    const { dropPath, keptBlocks = this.config.depth } = options;
    return tf.tidy(() => {
      const { tokens: embedded, shape } = this.embed(images, true);
      let tokens = embedded;
      for (let i = 0; i < this.config.depth; i++) {
        const rate = dropPath ? blockDropRate(dropPath.rate, i, this.config.depth) : 0;
        const masks = dropPath ? dropPathMasks(rate, shape.images, dropPath.random) : null;
        tokens = trainingBlock(tokens, this.blockParameters(i), shape, masks, i >= keptBlocks);
      }
      const cls = tokens
        .reshape([shape.images, shape.tokens, this.config.embedDim])
        .slice([0, 0, 0], [-1, 1, -1]);
      return this.finalNorm(cls.reshape([shape.images, this.config.embedDim]) as tf.Tensor2D);
    });
  }

  /** The token layout of a batch of this size: what `blockCacheBytes` needs to budget memory. */
  tokenShape(images: number, height: number, width: number): AttentionShape {
    const { patchSize: p, embedDim, numHeads } = this.config;
    const tokens = 1 + Math.floor(height / p) * Math.floor(width / p);
    return { images, tokens, heads: numHeads, headDim: embedDim / numHeads };
  }

  /** The weights with the reference names and shapes. */
  getWeights(): NamedTensors {
    return this.parameters.toNamedTensors();
  }

  setWeights(weights: NamedTensors): void {
    this.parameters.assign(weights, 'ViT backbone');
  }

  dispose(): void {
    this.parameters.dispose();
  }

  /** Embeds and runs the first `count` blocks, one tidy per block so inference memory stays one block's worth. */
  private runBlocks(images: tf.Tensor4D, count: number): { tokens: tf.Tensor2D; shape: AttentionShape } {
    const { tokens: embedded, shape } = this.embed(images, false);
    let tokens = embedded;
    for (let i = 0; i < count; i++) {
      const next = blockForward(tokens, this.blockParameters(i), shape, null);
      tokens.dispose();
      tokens = next;
    }
    return { tokens, shape };
  }

  /** Patch embedding, class token and position embeddings: [B·(1+n), D] tokens. */
  private embed(
    images: tf.Tensor4D,
    differentiable: boolean,
  ): { tokens: tf.Tensor2D; shape: AttentionShape } {
    const { patchSize: p, embedDim: dim, numHeads } = this.config;
    const [batch, height, width, channels] = images.shape;
    if (channels !== 3) throw new Error(`Expected RGB images [B, H, W, 3], got [${images.shape}].`);
    const rows = Math.floor(height / p);
    const cols = Math.floor(width / p);
    if (rows < 1 || cols < 1)
      throw new Error(`Images of ${height}x${width} px are smaller than one ${p}-px patch.`);
    const shape: AttentionShape = {
      images: batch,
      tokens: 1 + rows * cols,
      heads: numHeads,
      headDim: dim / numHeads,
    };
    const tokens = tf.tidy(() => {
      // A stride-p convolution ignores the remainder rows and columns; so does this.
      const cropped =
        height % p || width % p ? images.slice([0, 0, 0, 0], [batch, rows * p, cols * p, 3]) : images;
      const patches = tf
        .transpose(cropped.reshape([batch * rows, p, cols, p * 3]), [0, 2, 1, 3])
        .reshape([batch * rows * cols, p * p * 3]) as tf.Tensor2D;
      const weight = this.parameters.get('patch_embed.proj.weight') as tf.Tensor2D;
      const bias = this.parameters.get('patch_embed.proj.bias') as tf.Tensor1D;
      const patchTokens = (
        differentiable ? linearOnData(patches, weight, bias) : linearForward(patches, weight, bias)
      ).reshape([batch, rows * cols, dim]);
      const positions = this.positionEmbeddings(rows, cols, height === width);
      const cls = tf
        .add(this.parameters.get('cls_token'), positions.slice([0, 0], [1, dim]))
        .reshape([1, 1, dim]);
      const patchPositions = positions.slice([1, 0], [rows * cols, dim]);
      const all = tf.concat([tf.tile(cls, [batch, 1, 1]), tf.add(patchTokens, patchPositions)], 1);
      return all.reshape([batch * shape.tokens, dim]) as tf.Tensor2D;
    });
    return { tokens, shape };
  }

  /** [1 + rows·cols, D]: the class position, then the patch positions for a rows × cols grid. */
  private positionEmbeddings(rows: number, cols: number, squareInput: boolean): tf.Tensor2D {
    const dim = this.config.embedDim;
    const table = this.parameters.get('pos_embed');
    const trained = (table.shape as number[])[1] - 1;
    const flat = table.reshape([trained + 1, dim]) as tf.Tensor2D;
    const interpolation = interpolationMatrix(trained, rows, cols, squareInput);
    if (!interpolation) return flat;
    const patchPositions = flat.slice([1, 0], [trained, dim]) as tf.Tensor2D;
    return tf.concat(
      [flat.slice([0, 0], [1, dim]), linear(interpolation, patchPositions, null)],
      0,
    ) as tf.Tensor2D;
  }

  private finalNorm(x: tf.Tensor2D): tf.Tensor2D {
    return layerNormForward(
      x,
      this.parameters.get('norm.weight') as tf.Tensor1D,
      this.parameters.get('norm.bias') as tf.Tensor1D,
    );
  }

  private blockParameters(index: number): BlockParameters {
    return Object.fromEntries(
      BLOCK_PARAMETERS.map((name) => [name, this.parameters.get(`blocks.${index}.${name}`)]),
    ) as unknown as BlockParameters;
  }
}

/** Interpolation matrices are constants of the sizes: made once per size, kept for the process. */
const interpolationCache = new Map<string, tf.Tensor2D | null>();

function interpolationMatrix(
  trained: number,
  rows: number,
  cols: number,
  square: boolean,
): tf.Tensor2D | null {
  const key = `${trained}:${rows}:${cols}:${square}`;
  if (!interpolationCache.has(key)) {
    const m = positionInterpolation(trained, rows, cols, square);
    interpolationCache.set(key, m ? tf.keep(tf.tensor2d(m.matrix, m.shape)) : null);
  }
  return interpolationCache.get(key) ?? null;
}

/** Stochastic-depth rate of block i: `torch.linspace(0, rate, depth)[i]` as the reference. */
export function blockDropRate(rate: number, index: number, depth: number): number {
  return depth > 1 ? (rate * index) / (depth - 1) : 0;
}

/** Per-image factors floor(keep + U)/keep ∈ {0, 1/keep}, as the reference `drop_path`, or null at rate 0. */
export function dropPathMasks(rate: number, images: number, random: Uniform): DropPathMasks | null {
  if (rate <= 0) return null;
  const keep = 1 - rate;
  const draw = () => {
    const values = new Float32Array(images);
    for (let i = 0; i < images; i++) values[i] = Math.floor(keep + random()) / keep;
    return tf.tensor2d(values, [images, 1]);
  };
  return { attention: draw(), mlp: draw() };
}

/** The reference's parameters of a ViT, in its state-dict order, with its initialisation. */
export function vitParameterSpecs(config: VitConfig): ParameterSpec[] {
  const { embedDim: d, patchSize: p, depth, mlpRatio } = config;
  const hidden = Math.round(d * mlpRatio);
  const positions = (config.imgSize / p) ** 2 + 1;
  const spec = (name: string, shape: number[], initialise: ParameterSpec['initialise']): ParameterSpec => ({
    name,
    shape,
    initialise,
    trainable: true,
  });
  const count = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
  const tokenInit = (shape: number[]) => (random: Uniform) =>
    truncatedNormal(count(shape), TOKEN_AND_DENSE_STD, random);
  const dense = (name: string, out: number, inputs: number) => [
    spec(`${name}.weight`, [out, inputs], (random) =>
      truncatedNormal(out * inputs, TOKEN_AND_DENSE_STD, random),
    ),
    spec(`${name}.bias`, [out], () => filled(out, 0)),
  ];
  const norm = (name: string) => [
    spec(`${name}.weight`, [d], () => filled(d, 1)),
    spec(`${name}.bias`, [d], () => filled(d, 0)),
  ];
  const patchFanIn = 3 * p * p;
  const specs: ParameterSpec[] = [
    spec('cls_token', [1, 1, d], tokenInit([1, 1, d])),
    spec('pos_embed', [1, positions, d], tokenInit([1, positions, d])),
    // The patch embedding is a Conv2d, which the reference leaves at PyTorch's default initialisation.
    spec('patch_embed.proj.weight', [d, 3, p, p], (random) =>
      uniformFanIn(d * patchFanIn, patchFanIn, random),
    ),
    spec('patch_embed.proj.bias', [d], (random) => uniformFanIn(d, patchFanIn, random)),
  ];
  for (let i = 0; i < depth; i++) {
    const b = `blocks.${i}`;
    specs.push(
      ...norm(`${b}.norm1`),
      ...dense(`${b}.attn.qkv`, 3 * d, d),
      ...dense(`${b}.attn.proj`, d, d),
      ...norm(`${b}.norm2`),
      ...dense(`${b}.mlp.fc1`, hidden, d),
      ...dense(`${b}.mlp.fc2`, d, hidden),
    );
  }
  specs.push(...norm('norm'));
  return specs;
}
