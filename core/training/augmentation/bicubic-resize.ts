import type { CropBox } from './crop-box.ts';

/** An 8-bit RGB image, row-major HWC (the library's training-ready copies). */
export interface RgbPixels {
  width: number;
  height: number;
  data: Uint8Array;
}

/**
 * Crops `box` out of `image` and resizes it to `size`×`size` into `out` (HWC float in [0, 1]), as
 * the reference does with PIL: `img.crop(box).resize(size, BICUBIC)`. PIL's bicubic (a = −0.5) is
 * antialiased: when shrinking, the kernel widens by the shrink factor so every source pixel counts.
 * Two separable passes (horizontal then vertical) with precomputed taps; unlike PIL we keep float
 * between the passes instead of rounding to 8 bits, then clamp to [0, 1] as PIL's uint8 output does.
 */
export function resizeCrop(image: RgbPixels, box: CropBox, size: number, out: Float32Array): void {
  const horizontal = resampleTaps(box.width, size);
  const vertical = resampleTaps(box.height, size);
  const rows = new Float32Array(box.height * size * 3);
  const source = image.data;
  const stride = image.width * 3;
  for (let y = 0; y < box.height; y++) {
    const rowStart = (box.top + y) * stride + box.left * 3;
    for (let x = 0; x < size; x++) {
      const first = horizontal.first[x];
      const count = horizontal.count[x];
      const weights = x * horizontal.ksize;
      let r = 0;
      let g = 0;
      let b = 0;
      for (let k = 0; k < count; k++) {
        const w = horizontal.weights[weights + k];
        const at = rowStart + (first + k) * 3;
        r += w * source[at];
        g += w * source[at + 1];
        b += w * source[at + 2];
      }
      const o = (y * size + x) * 3;
      rows[o] = r;
      rows[o + 1] = g;
      rows[o + 2] = b;
    }
  }
  // Vertical pass as whole-row accumulations: contiguous memory, no per-value index arithmetic.
  const rowStride = size * 3;
  const accumulator = new Float32Array(rowStride);
  for (let y = 0; y < size; y++) {
    accumulator.fill(0);
    const first = vertical.first[y];
    const count = vertical.count[y];
    for (let k = 0; k < count; k++) {
      const w = vertical.weights[y * vertical.ksize + k];
      const from = (first + k) * rowStride;
      for (let c = 0; c < rowStride; c++) accumulator[c] += w * rows[from + c];
    }
    const o = y * rowStride;
    for (let c = 0; c < rowStride; c++) {
      const v = accumulator[c] / 255;
      out[o + c] = v < 0 ? 0 : Math.min(v, 1);
    }
  }
}

interface Taps {
  ksize: number;
  first: Int32Array;
  count: Int32Array;
  weights: Float32Array;
}

/** PIL's `precompute_coeffs` for the bicubic filter, from `inSize` source pixels to `outSize`. */
export function resampleTaps(inSize: number, outSize: number): Taps {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = BICUBIC_SUPPORT * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float32Array(outSize * ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const xmax = Math.min(inSize, Math.trunc(center + support + 0.5)) - xmin;
    let total = 0;
    for (let x = 0; x < xmax; x++) {
      const w = bicubic((x + xmin - center + 0.5) / filterScale);
      weights[xx * ksize + x] = w;
      total += w;
    }
    for (let x = 0; x < xmax; x++) if (total !== 0) weights[xx * ksize + x] /= total;
    first[xx] = xmin;
    count[xx] = xmax;
  }
  return { ksize, first, count, weights };
}

const BICUBIC_SUPPORT = 2;
const A = -0.5;

function bicubic(value: number): number {
  const x = Math.abs(value);
  if (x < 1) return ((A + 2) * x - (A + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * A;
  return 0;
}
