import type { NamedTensors } from '../../../core/engine/host-tensor.ts';
import type { VitConfig } from '../../../core/model/vit-config.ts';

/**
 * A one-block DINO ViT whose weights are written by hand so that its CLS embedding is a classic
 * near-duplicate descriptor: the colour layout of the photo on a 7 × 7 lattice of overlapping
 * 2 × 2-patch windows, as differences between neighbouring windows, normalised by the final
 * LayerNorm. Differences drop the per-channel offset that a brightness change adds after ImageNet
 * normalisation, and the LayerNorm drops its scale; a 5 % crop moves content by well under a window.
 *
 * Why not random or trained weights: measured on ../shared/datasets/photos, a randomly initialised
 * ViT (width 192, 4 blocks, DINO initialisation) puts a brightened copy at cosine 0.57 to its original while unrelated photos reach 0.98
 * (no threshold separates them), and a DINO run long enough to learn these invariances does not
 * fit a unit test. With this model, copies made as the test makes them score ≥ 0.94 to their
 * original and unrelated photos ≤ 0.88 over all 45 photos (the closest: two dusk landscapes); the
 * test's threshold, 0.91, sits between. A trained DINO model is what the 0.95 default is meant for.
 *
 * How: token j of the 8 × 8 patches carries a one-hot position code of height POSITION_CODE and
 * its patch's mean RGB. Head h (one per window) queries with a constant (its qkv bias) and keys on
 * the position codes of its window's 4 patches, so its softmax averages exactly those patches; its
 * values are the RGB channels. attn.proj turns the 49 window colours into right and down
 * differences in the CLS token; the MLP is zero.
 */
const PATCH = 16;
const PATCHES_PER_SIDE = 8;
const WINDOW = 2;
const WINDOWS_PER_SIDE = PATCHES_PER_SIDE - WINDOW + 1;
const HEADS = WINDOWS_PER_SIDE ** 2;
const HEAD_DIM = 8;
const DIM = HEADS * HEAD_DIM;
const PATCH_COUNT = PATCHES_PER_SIDE ** 2;
/** Large against the colour channels, so each token's LayerNorm scale hardly depends on its colour. */
const POSITION_CODE = 40;
/** Makes the softmax over the window's patches versus all others as sharp as ~e^30 : 1. */
const QUERY = 2;

export const tinyImageVitConfig: VitConfig = {
  patchSize: PATCH,
  embedDim: DIM,
  depth: 1,
  numHeads: HEADS,
  mlpRatio: 4,
  imgSize: PATCH * PATCHES_PER_SIDE,
};

export function tinyImageVitWeights(): NamedTensors {
  const weights: NamedTensors = new Map();
  const tensor = (name: string, shape: number[], fill: (data: Float32Array) => void = () => {}) => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    fill(data);
    weights.set(name, { shape, data });
  };
  const colour = (c: number) => PATCH_COUNT + c; // token channels 64–66 hold the patch's mean RGB
  tensor('cls_token', [1, 1, DIM]);
  tensor('pos_embed', [1, PATCH_COUNT + 1, DIM], (d) => {
    for (let j = 0; j < PATCH_COUNT; j++) d[(j + 1) * DIM + j] = POSITION_CODE;
  });
  tensor('patch_embed.proj.weight', [DIM, 3, PATCH, PATCH], (d) => {
    for (let c = 0; c < 3; c++) {
      for (let i = 0; i < PATCH * PATCH; i++)
        d[(colour(c) * 3 + c) * PATCH * PATCH + i] = 1 / (PATCH * PATCH);
    }
  });
  tensor('patch_embed.proj.bias', [DIM]);
  for (const norm of ['blocks.0.norm1', 'blocks.0.norm2', 'norm']) {
    tensor(`${norm}.weight`, [DIM], (d) => d.fill(1));
    tensor(`${norm}.bias`, [DIM]);
  }
  const windowOf = (h: number) => ({ y: Math.floor(h / WINDOWS_PER_SIDE), x: h % WINDOWS_PER_SIDE });
  tensor('blocks.0.attn.qkv.weight', [3 * DIM, DIM], (d) => {
    for (let h = 0; h < HEADS; h++) {
      const { y, x } = windowOf(h);
      for (let dy = 0; dy < WINDOW; dy++) {
        for (let dx = 0; dx < WINDOW; dx++)
          d[(DIM + h * HEAD_DIM) * DIM + (y + dy) * PATCHES_PER_SIDE + x + dx] = 1;
      }
      for (let c = 0; c < 3; c++) d[(2 * DIM + h * HEAD_DIM + c) * DIM + colour(c)] = 1;
    }
  });
  tensor('blocks.0.attn.qkv.bias', [3 * DIM], (d) => {
    for (let h = 0; h < HEADS; h++) d[h * HEAD_DIM] = QUERY;
  });
  tensor('blocks.0.attn.proj.weight', [DIM, DIM], (d) => {
    const at = (out: number, from: number, value: number) => {
      d[out * DIM + from] += value;
    };
    for (let h = 0; h < HEADS; h++) {
      const { y, x } = windowOf(h);
      for (let c = 0; c < 3; c++) {
        if (x + 1 < WINDOWS_PER_SIDE) {
          at(h * HEAD_DIM + c, (h + 1) * HEAD_DIM + c, 1);
          at(h * HEAD_DIM + c, h * HEAD_DIM + c, -1);
        }
        if (y + 1 < WINDOWS_PER_SIDE) {
          at(h * HEAD_DIM + 3 + c, (h + WINDOWS_PER_SIDE) * HEAD_DIM + c, 1);
          at(h * HEAD_DIM + 3 + c, h * HEAD_DIM + c, -1);
        }
      }
    }
  });
  tensor('blocks.0.attn.proj.bias', [DIM]);
  tensor('blocks.0.mlp.fc1.weight', [4 * DIM, DIM]);
  tensor('blocks.0.mlp.fc1.bias', [4 * DIM]);
  tensor('blocks.0.mlp.fc2.weight', [DIM, 4 * DIM]);
  tensor('blocks.0.mlp.fc2.bias', [DIM]);
  return weights;
}
