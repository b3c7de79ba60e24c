import type { NamedTensors } from '../engine/host-tensor.ts';
import type { VitConfig } from './vit-config.ts';

/**
 * A ViT's architecture read off its weight shapes (official DINO names). Everything is in the
 * shapes except the number of attention heads (qkv is [3·D, D] whatever the split), which comes
 * from the caller or, failing that, the 64-wide heads every published DINO ViT uses.
 */

/** Head width of ViT-Tiny, Small and Base alike (192/3, 384/6, 768/12). */
const PUBLISHED_HEAD_WIDTH = 64;

export function inferVitConfig(
  shapes: ReadonlyMap<string, readonly number[]>,
  source: string,
  options: { numHeads?: number } = {},
): VitConfig {
  const shapeOf = (name: string) => {
    const shape = shapes.get(name);
    if (!shape) throw new Error(`${source}: missing tensor ${name}, so it is not a DINO ViT backbone.`);
    return shape;
  };
  if (!shapes.has('patch_embed.proj.weight')) {
    const some = [...shapes.keys()].slice(0, 4).join(', ');
    throw new Error(
      `${source} does not hold a Vision Transformer backbone: no patch_embed.proj.weight ` +
        `(it has ${shapes.size} tensors such as ${some || 'none'}).`,
    );
  }
  const patch = shapeOf('patch_embed.proj.weight');
  if (patch.length !== 4 || patch[1] !== 3 || patch[2] !== patch[3]) {
    throw new Error(
      `${source}: patch_embed.proj.weight has shape [${patch}], expected [dim, 3, patch, patch].`,
    );
  }
  const [embedDim, , patchSize] = patch;
  const positions = shapeOf('pos_embed');
  const grid = Math.round(Math.sqrt((positions[1] ?? 0) - 1));
  if (positions.length !== 3 || grid * grid + 1 !== positions[1] || positions[2] !== embedDim) {
    throw new Error(
      `${source}: pos_embed has shape [${positions}], expected [1, 1 + n², ${embedDim}] (a square grid of patches plus the CLS token).`,
    );
  }
  let depth = 0;
  for (const name of shapes.keys()) {
    const match = /^blocks\.(\d+)\./.exec(name);
    if (match) depth = Math.max(depth, Number(match[1]) + 1);
  }
  if (depth === 0) throw new Error(`${source}: no transformer blocks (blocks.N.…) found.`);
  const hidden = shapeOf('blocks.0.mlp.fc1.weight')[0];
  const registerShape = shapes.get('register_tokens');
  const registers = registerShape?.[1] ?? 0;
  if (
    registerShape &&
    (registerShape.length !== 3 || registerShape[0] !== 1 || registerShape[2] !== embedDim)
  ) {
    throw new Error(
      `${source}: register_tokens has shape [${registerShape}], expected [1, registers, ${embedDim}].`,
    );
  }
  const layerScale = shapes.has('blocks.0.ls1.gamma');
  const numHeads = options.numHeads ?? embedDim / PUBLISHED_HEAD_WIDTH;
  if (!Number.isInteger(numHeads) || numHeads < 1 || embedDim % numHeads !== 0) {
    throw new Error(
      `${source}: cannot tell the number of attention heads of a ${embedDim}-wide ViT from its shapes ` +
        '(published DINO models use 64-wide heads); give it explicitly (--heads N).',
    );
  }
  const config: VitConfig = {
    patchSize,
    embedDim,
    depth,
    numHeads,
    mlpRatio: hidden / embedDim,
    imgSize: grid * patchSize,
  };
  if (!layerScale && registers === 0) return config;
  // DINOv2: its positions are trained at 518 px; photos are embedded at 224 as its evaluation does.
  return { ...config, layerScale, registers, embedSize: DINOV2_EMBED_SIZE };
}

/** DINOv2's evaluation crop (resize 256, centre crop 224), a multiple of its patch 14 (16 × 14). */
const DINOV2_EMBED_SIZE = 224;

/** The exact tensor names and shapes of a backbone, as the official `VisionTransformer` has them. */
export function backboneShapes(config: VitConfig): Map<string, number[]> {
  const d = config.embedDim;
  const hidden = Math.round(d * config.mlpRatio);
  const grid = config.imgSize / config.patchSize;
  const shapes = new Map<string, number[]>([
    ['cls_token', [1, 1, d]],
    ['pos_embed', [1, grid * grid + 1, d]],
    ['patch_embed.proj.weight', [d, 3, config.patchSize, config.patchSize]],
    ['patch_embed.proj.bias', [d]],
  ]);
  if ((config.registers ?? 0) > 0) shapes.set('register_tokens', [1, config.registers ?? 0, d]);
  for (let i = 0; i < config.depth; i++) {
    const block = `blocks.${i}`;
    shapes.set(`${block}.norm1.weight`, [d]);
    shapes.set(`${block}.norm1.bias`, [d]);
    shapes.set(`${block}.attn.qkv.weight`, [3 * d, d]);
    shapes.set(`${block}.attn.qkv.bias`, [3 * d]);
    shapes.set(`${block}.attn.proj.weight`, [d, d]);
    shapes.set(`${block}.attn.proj.bias`, [d]);
    shapes.set(`${block}.norm2.weight`, [d]);
    shapes.set(`${block}.norm2.bias`, [d]);
    shapes.set(`${block}.mlp.fc1.weight`, [hidden, d]);
    shapes.set(`${block}.mlp.fc1.bias`, [hidden]);
    shapes.set(`${block}.mlp.fc2.weight`, [d, hidden]);
    shapes.set(`${block}.mlp.fc2.bias`, [d]);
    if (config.layerScale) {
      shapes.set(`${block}.ls1.gamma`, [d]);
      shapes.set(`${block}.ls2.gamma`, [d]);
    }
  }
  shapes.set('norm.weight', [d]);
  shapes.set('norm.bias', [d]);
  return shapes;
}

/** Throws, naming the tensor, unless `tensors` is exactly the backbone `config` describes. */
export function checkBackbone(tensors: NamedTensors, config: VitConfig, source: string): void {
  const expected = backboneShapes(config);
  for (const [name, shape] of expected) {
    const tensor = tensors.get(name);
    if (!tensor) throw new Error(`${source}: missing tensor ${name} (shape [${shape}]).`);
    if (tensor.shape.length !== shape.length || tensor.shape.some((n, i) => n !== shape[i])) {
      throw new Error(`${source}: tensor ${name} has shape [${tensor.shape}], expected [${shape}].`);
    }
  }
  for (const name of tensors.keys()) {
    if (!expected.has(name)) {
      throw new Error(`${source}: unexpected tensor ${name}: it is not part of a DINO ViT backbone.`);
    }
  }
}
