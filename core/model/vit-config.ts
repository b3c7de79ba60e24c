/**
 * The Vision Transformer's shape, as in the official `vision_transformer.py`. Weights are named
 * as its state dict names them, so published DINO checkpoints load without renaming.
 */
export interface VitConfig {
  /** Side of a square patch in pixels (16 or 8 for the published models). */
  patchSize: number;
  /** Token width: 192 tiny, 384 small, 768 base. */
  embedDim: number;
  /** Number of transformer blocks. */
  depth: number;
  /** Attention heads per block; embedDim / numHeads is the head width (64 for all published sizes). */
  numHeads: number;
  /** Hidden width of each block's MLP as a multiple of embedDim. */
  mlpRatio: number;
  /** Input side the position embeddings were trained for; other sizes interpolate them. */
  imgSize: number;
  /**
   * DINOv2: a learned per-channel scale on each residual branch (`ls1.gamma`, `ls2.gamma`).
   * Absent or false for DINO, whose blocks add the branches unscaled.
   */
  layerScale?: boolean;
  /** DINOv2 with registers: learned tokens placed after the CLS token (`register_tokens`); absent is 0. */
  registers?: number;
  /**
   * Side photos are embedded at when it differs from imgSize: DINOv2's position embeddings are
   * trained for 518 px, but it is evaluated (and fast enough on a CPU) at 224 like DINO.
   */
  embedSize?: number;
}

/** True for the DINOv2 block layout (LayerScale and/or register tokens). */
export function isDinov2(config: VitConfig): boolean {
  return !!config.layerScale || (config.registers ?? 0) > 0;
}

export type VitArch = 'vit_tiny' | 'vit_small' | 'vit_base';

const ARCH_SHAPES: Record<VitArch, Pick<VitConfig, 'embedDim' | 'depth' | 'numHeads'>> = {
  vit_tiny: { embedDim: 192, depth: 12, numHeads: 3 },
  vit_small: { embedDim: 384, depth: 12, numHeads: 6 },
  vit_base: { embedDim: 768, depth: 12, numHeads: 12 },
};

export const VIT_ARCHS = Object.keys(ARCH_SHAPES) as VitArch[];

export function vitConfig(arch: VitArch, patchSize: 16 | 8 = 16, imgSize = 224): VitConfig {
  return { ...ARCH_SHAPES[arch], patchSize, mlpRatio: 4, imgSize };
}

/** The published name of a config when it is one (`vit_small/16`), else a description. */
export function describeVit(config: VitConfig): string {
  const arch = VIT_ARCHS.find((a) => {
    const s = ARCH_SHAPES[a];
    return s.embedDim === config.embedDim && s.depth === config.depth && s.numHeads === config.numHeads;
  });
  const name = arch
    ? `${arch}/${config.patchSize}`
    : `vit(dim ${config.embedDim}, depth ${config.depth}, heads ${config.numHeads}, patch ${config.patchSize})`;
  if (!isDinov2(config)) return name;
  const registers = config.registers ?? 0;
  return `dinov2 ${name}${registers > 0 ? ` + ${registers} registers` : ''}`;
}
