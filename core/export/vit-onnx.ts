import type { NamedTensors } from '../engine/host-tensor.ts';
import type { VitConfig } from '../model/vit-config.ts';
import { OnnxGraphBuilder } from './onnx-builder.ts';
import { interpolatedPositionEmbedding } from './position-interpolation.ts';

/**
 * The DINO ViT backbone as an ONNX graph, written from our weights (official names), operator
 * for operator as `vision_transformer.py` computes it:
 * - input `pixel_values` [batch, 3, H, W], NCHW, ImageNet-normalised; batch dynamic, H and W
 *   fixed when the graph is built (position embeddings interpolated then, as the reference does
 *   on every call);
 * - outputs `cls` [batch, D] (the final-norm CLS token: the embedding) and `last_attention`
 *   [batch, heads, N, N] (the last block's softmax attention, N = 1 + patches).
 * Standard opset-17 operators only (Conv, MatMul, LayerNormalization, Softmax, Erf, …), so the file
 * runs in any ONNX runtime.
 * DINOv2 backbones (`dinov2/models/vision_transformer.py`) differ in two places, both handled here:
 * register tokens inserted after the CLS token once positions are added (they take part in
 * attention but have no place in the image, so `last_attention` leaves their rows and columns
 * out), and LayerScale, a per-channel factor on each residual branch.
 */
export interface VitOnnxOptions {
  height: number;
  width: number;
}

/** The reference's LayerNorm epsilon (`partial(nn.LayerNorm, eps=1e-6)`). */
const LAYER_NORM_EPSILON = 1e-6;

export const ONNX_INPUT = 'pixel_values';
export const ONNX_OUTPUTS = { cls: 'cls', lastAttention: 'last_attention' } as const;

export function buildVitOnnx(config: VitConfig, weights: NamedTensors, options: VitOnnxOptions): Uint8Array {
  const { height, width } = options;
  const p = config.patchSize;
  if (height % p !== 0 || width % p !== 0 || height <= 0 || width <= 0) {
    throw new Error(`ONNX input ${width}×${height} is not a positive multiple of the patch size ${p}.`);
  }
  const weight = (name: string) => {
    const tensor = weights.get(name);
    if (!tensor) throw new Error(`Building the ONNX graph: missing tensor ${name}.`);
    return tensor;
  };
  const d = config.embedDim;
  const heads = config.numHeads;
  const headDim = d / heads;
  const gridH = height / p;
  const gridW = width / p;
  const registers = config.registers ?? 0;
  /** Tokens inside the blocks; `last_attention` has 1 + gridH·gridW of them (no registers). */
  const tokens = 1 + registers + gridH * gridW;
  const imageTokens = 1 + gridH * gridW;
  const g = new OnnxGraphBuilder(`dino_vit_${d}x${config.depth}_p${p}_${width}x${height}`);

  const pixels = g.input(ONNX_INPUT, ['batch', 3, height, width]);
  const param = (name: string) => g.initializer(name, weight(name));
  /** Linear layer: weights stored [out, in] as in PyTorch, transposed once here for MatMul. */
  const linear = (x: string, name: string) => {
    const w = weight(`${name}.weight`);
    const [out, inp] = w.shape;
    const transposed = new Float32Array(out * inp);
    for (let o = 0; o < out; o++) for (let i = 0; i < inp; i++) transposed[i * out + o] = w.data[o * inp + i];
    const wt = g.initializer(`${name}.weight_t`, { shape: [inp, out], data: transposed });
    return g.op('Add', [g.op('MatMul', [x, wt]), param(`${name}.bias`)]);
  };
  const layerNorm = (x: string, name: string) =>
    g.op('LayerNormalization', [x, param(`${name}.weight`), param(`${name}.bias`)], {
      axis: { int: -1 },
      epsilon: { float: LAYER_NORM_EPSILON },
    });

  // Patch embedding: a stride-p convolution, then [B, D, gh, gw] → [B, gh·gw, D].
  const patches = g.op('Conv', [pixels, param('patch_embed.proj.weight'), param('patch_embed.proj.bias')], {
    kernel_shape: { ints: [p, p] },
    strides: { ints: [p, p] },
  });
  const patchTokens = g.op('Transpose', [g.op('Reshape', [patches, g.int64('patch_shape', [0, d, -1])])], {
    perm: { ints: [0, 2, 1] },
  });
  // The CLS token, repeated over the (dynamic) batch.
  const batch = g.op('Slice', [g.op('Shape', [pixels]), g.int64('zero', [0]), g.int64('one', [1])]);
  const clsShape = g.op('Concat', [batch, g.int64('one_d', [1, d])], { axis: { int: 0 } });
  const cls = g.op('Expand', [param('cls_token'), clsShape]);
  const position = interpolatedPositionEmbedding(weight('pos_embed'), config, gridH, gridW);
  let x = g.op('Add', [
    g.op('Concat', [cls, patchTokens], { axis: { int: 1 } }),
    g.initializer('pos_embed_interpolated', position),
  ]);
  if (registers > 0) {
    // [CLS, registers, patches], as DINOv2's prepare_tokens_with_masks: registers carry no position.
    const registerShape = g.op('Concat', [batch, g.int64('registers_d', [registers, d])], {
      axis: { int: 0 },
    });
    const slice = (start: number, end: number, name: string) =>
      g.op('Slice', [
        x,
        g.int64(`${name}_start`, [start]),
        g.int64(`${name}_end`, [end]),
        g.int64(`${name}_axis`, [1]),
      ]);
    x = g.op(
      'Concat',
      [
        slice(0, 1, 'cls_slice'),
        g.op('Expand', [param('register_tokens'), registerShape]),
        slice(1, imageTokens, 'patch_slice'),
      ],
      { axis: { int: 1 } },
    );
  }
  /** DINOv2's LayerScale on a residual branch; DINO adds the branch as it is. */
  const scaled = (branch: string, name: string) =>
    config.layerScale ? g.op('Mul', [branch, param(`${name}.gamma`)]) : branch;

  const qkvShape = g.int64('qkv_shape', [0, tokens, 3, heads, headDim]);
  const mergedShape = g.int64('merged_shape', [0, tokens, d]);
  const scale = g.float32('attention_scale', [headDim ** -0.5]);
  const half = g.float32('half', [0.5]);
  const one = g.float32('one_f', [1]);
  const sqrt2 = g.float32('sqrt2', [Math.SQRT2]);
  const scalarIndex = (index: number) =>
    g.constant(`index_${index}`, { shape: [], data: new BigInt64Array([BigInt(index)]) });
  const qkvIndex = [0, 1, 2].map(scalarIndex);
  let lastAttention = '';
  for (let i = 0; i < config.depth; i++) {
    const block = `blocks.${i}`;
    // Attention: qkv → [3, B, heads, N, headDim]; softmax(q·kᵀ·scale)·v.
    const qkv = g.op(
      'Transpose',
      [g.op('Reshape', [linear(layerNorm(x, `${block}.norm1`), `${block}.attn.qkv`), qkvShape])],
      {
        perm: { ints: [2, 0, 3, 1, 4] },
      },
    );
    const [q, k, v] = qkvIndex.map((index) => g.op('Gather', [qkv, index], { axis: { int: 0 } }));
    const scores = g.op('Mul', [
      g.op('MatMul', [q, g.op('Transpose', [k], { perm: { ints: [0, 1, 3, 2] } })]),
      scale,
    ]);
    const attention = g.op('Softmax', [scores], { axis: { int: -1 } });
    lastAttention = attention;
    const context = g.op('Reshape', [
      g.op('Transpose', [g.op('MatMul', [attention, v])], { perm: { ints: [0, 2, 1, 3] } }),
      mergedShape,
    ]);
    x = g.op('Add', [x, scaled(linear(context, `${block}.attn.proj`), `${block}.ls1`)]);
    // MLP with exact (erf) GELU, as nn.GELU.
    const hidden = linear(layerNorm(x, `${block}.norm2`), `${block}.mlp.fc1`);
    // x·½(1 + erf(x/√2)) in the operator order PyTorch exports, which ONNX Runtime fuses into one Gelu.
    const erf = g.op('Add', [g.op('Erf', [g.op('Div', [hidden, sqrt2])]), one]);
    const gelu = g.op('Mul', [g.op('Mul', [hidden, erf]), half]);
    x = g.op('Add', [x, scaled(linear(gelu, `${block}.mlp.fc2`), `${block}.ls2`)]);
  }
  const normed = layerNorm(x, 'norm');
  const clsOut = g.op(
    'Gather',
    [normed, g.initializer('cls_index', { shape: [], data: new BigInt64Array([0n]) })],
    {
      axis: { int: 1 },
    },
  );
  g.output(clsOut, ONNX_OUTPUTS.cls, ['batch', d]);
  if (registers > 0) {
    // The CLS token and the patches only, so attention maps read the same as DINO's.
    const kept = new BigInt64Array(imageTokens);
    for (let i = 1; i < imageTokens; i++) kept[i] = BigInt(registers + i);
    const index = g.initializer('image_token_index', { shape: [imageTokens], data: kept });
    const rows = g.op('Gather', [lastAttention, index], { axis: { int: 2 } });
    lastAttention = g.op('Gather', [rows, index], { axis: { int: 3 } });
  }
  g.output(lastAttention, ONNX_OUTPUTS.lastAttention, ['batch', heads, imageTokens, imageTokens]);
  return g.serialize({
    docString: 'DINO ViT backbone (facebookresearch/dino vision_transformer.py), written by dinoscope.',
    metadata: {
      embed_dim: String(d),
      depth: String(config.depth),
      num_heads: String(heads),
      patch_size: String(p),
      mlp_ratio: String(config.mlpRatio),
      img_size: String(config.imgSize),
      registers: String(registers),
      layer_scale: String(!!config.layerScale),
      input_height: String(height),
      input_width: String(width),
    },
  });
}
