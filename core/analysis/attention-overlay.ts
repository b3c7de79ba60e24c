import type { AttentionInput, AttentionMaps } from './attention-map.ts';
import { massMask } from './attention-mask.ts';
import { colorize, INFERNO } from './colormap.ts';

/**
 * Attention maps drawn for people: the heatmap (inferno) and the reference's mass mask, both
 * upsampled by nearest neighbour to the model input (each patch a p × p block, as the reference
 * draws them). As transparent layers for the UI to put over the photo, or composed over the photo
 * into one figure for the command line.
 */
export interface AttentionLayers {
  /** RGBA PNG at the input size: the colormapped attention, uniformly translucent. */
  heatmap: Buffer;
  /** RGBA PNG at the input size: transparent inside the mask, dark outside, a bright outline at its edge. */
  mask: Buffer;
}

/** How opaque the heatmap is over the photo: the photo stays recognisable under it. */
const HEATMAP_OPACITY = 0.6;
/** How dark the photo gets outside the mask. */
const OUTSIDE_MASK_OPACITY = 0.7;
const OUTLINE = [INFERNO[255 * 3], INFERNO[255 * 3 + 1], INFERNO[255 * 3 + 2]];

export type HeadChoice = 'mean' | 'all' | number;

/** The layers of every head and of the mean, as PNG bytes. */
export async function attentionLayers(
  maps: AttentionMaps,
  threshold = 0.6,
): Promise<{ mean: AttentionLayers; heads: AttentionLayers[] }> {
  return {
    mean: await layersOf(maps, maps.mean, threshold),
    heads: await Promise.all(maps.heads.map((values) => layersOf(maps, values, threshold))),
  };
}

async function layersOf(
  maps: AttentionMaps,
  values: Float32Array,
  threshold: number,
): Promise<AttentionLayers> {
  const { heatmap, mask } = rgbaLayers(maps, values, threshold);
  return { heatmap: await png(heatmap, maps), mask: await png(mask, maps) };
}

function rgbaLayers(maps: AttentionMaps, values: Float32Array, threshold: number) {
  const { inputWidth: width, inputHeight: height, gridWidth, patchSize: p } = maps;
  const colours = colorize(values);
  const keep = massMask(values, threshold);
  const heatmap = new Uint8Array(width * height * 4);
  const mask = new Uint8Array(width * height * 4);
  const cell = (x: number, y: number) => Math.floor(y / p) * gridWidth + Math.floor(x / p);
  const inside = (x: number, y: number) =>
    x >= 0 && y >= 0 && x < width && y < height && keep[cell(x, y)] === 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const c = cell(x, y);
      const o = (y * width + x) * 4;
      heatmap[o] = colours[c * 3];
      heatmap[o + 1] = colours[c * 3 + 1];
      heatmap[o + 2] = colours[c * 3 + 2];
      heatmap[o + 3] = Math.round(HEATMAP_OPACITY * 255);
      if (keep[c]) {
        // Two-pixel outline where the mask meets the outside.
        const edge = !inside(x - 2, y) || !inside(x + 2, y) || !inside(x, y - 2) || !inside(x, y + 2);
        if (edge) {
          mask[o] = OUTLINE[0];
          mask[o + 1] = OUTLINE[1];
          mask[o + 2] = OUTLINE[2];
          mask[o + 3] = 255;
        }
      } else {
        mask[o + 3] = Math.round(OUTSIDE_MASK_OPACITY * 255);
      }
    }
  }
  return { heatmap, mask };
}

async function png(rgba: Uint8Array, maps: AttentionMaps): Promise<Buffer> {
  const { default: sharp } = await import('sharp');
  return sharp(rgba, { raw: { width: maps.inputWidth, height: maps.inputHeight, channels: 4 } })
    .png()
    .toBuffer();
}

/**
 * One PNG for the command line: rows of [photo under the heatmap | photo under the mask]; the
 * first row is the mean over heads (`mean`), or every head after it (`all`), or one head (N).
 */
export async function attentionFigure(
  maps: AttentionMaps,
  photo: AttentionInput,
  options: { head: HeadChoice; threshold: number },
): Promise<Buffer> {
  const { head, threshold } = options;
  if (typeof head === 'number' && !(Number.isInteger(head) && head >= 0 && head < maps.heads.length)) {
    throw new Error(
      `--head must be all, mean or a head number from 0 to ${maps.heads.length - 1} (got ${head}).`,
    );
  }
  const rows =
    head === 'mean' ? [maps.mean] : head === 'all' ? [maps.mean, ...maps.heads] : [maps.heads[head]];
  const { inputWidth: width, inputHeight: height } = maps;
  const gap = 8;
  const figureWidth = 2 * width + gap;
  const figureHeight = rows.length * height + (rows.length - 1) * gap;
  const figure = new Uint8Array(figureWidth * figureHeight * 3).fill(255);
  rows.forEach((values, r) => {
    const { heatmap, mask } = rgbaLayers(maps, values, threshold);
    const top = r * (height + gap);
    blendInto(figure, figureWidth, 0, top, photo, heatmap);
    blendInto(figure, figureWidth, width + gap, top, photo, mask);
  });
  const { default: sharp } = await import('sharp');
  return sharp(figure, { raw: { width: figureWidth, height: figureHeight, channels: 3 } })
    .png()
    .toBuffer();
}

/** Draws the photo with an RGBA layer over it into the figure at (left, top). */
function blendInto(
  figure: Uint8Array,
  figureWidth: number,
  left: number,
  top: number,
  photo: AttentionInput,
  layer: Uint8Array,
): void {
  for (let y = 0; y < photo.height; y++) {
    for (let x = 0; x < photo.width; x++) {
      const source = y * photo.width + x;
      const alpha = layer[source * 4 + 3] / 255;
      const target = ((top + y) * figureWidth + left + x) * 3;
      for (let c = 0; c < 3; c++) {
        figure[target + c] = Math.round(
          photo.rgb[source * 3 + c] * (1 - alpha) + layer[source * 4 + c] * alpha,
        );
      }
    }
  }
}
