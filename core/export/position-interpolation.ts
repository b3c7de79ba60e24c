import type { HostTensor } from '../engine/host-tensor.ts';
import type { VitConfig } from '../model/vit-config.ts';

/**
 * Position embeddings for an input of gridH × gridW patches, exactly as the reference's
 * `interpolate_pos_encoding`: unchanged when the grid is the trained square one; otherwise the
 * patch grid is resized by PyTorch's bicubic `interpolate(scale_factor=(gridH + 0.1) / √N, …,
 * align_corners=False)`. The resize depends only on sizes, so it is two constant matrices,
 * `Mh · grid · Mwᵀ` per channel. Returns [1, 1 + gridH·gridW, D] with the CLS position first.
 */
export function interpolatedPositionEmbedding(
  posEmbed: HostTensor,
  config: VitConfig,
  gridH: number,
  gridW: number,
): HostTensor {
  const d = config.embedDim;
  const n = posEmbed.shape[1] - 1;
  const side = Math.round(Math.sqrt(n));
  if (gridH * gridW === n && gridH === gridW) return { shape: [1, n + 1, d], data: posEmbed.data.slice() };
  const mh = bicubicResizeMatrix(side, gridH, (gridH + 0.1) / side);
  const mw = bicubicResizeMatrix(side, gridW, (gridW + 0.1) / side);
  const out = new Float32Array((1 + gridH * gridW) * d);
  out.set(posEmbed.data.subarray(0, d), 0);
  // rows: first Mh · grid (per column j of the source grid), then · Mwᵀ.
  const tmp = new Float64Array(gridH * side * d);
  for (let y = 0; y < gridH; y++) {
    for (let sy = 0; sy < side; sy++) {
      const weight = mh[y * side + sy];
      if (weight === 0) continue;
      for (let sx = 0; sx < side; sx++) {
        const source = (1 + sy * side + sx) * d;
        const target = (y * side + sx) * d;
        for (let c = 0; c < d; c++) tmp[target + c] += weight * posEmbed.data[source + c];
      }
    }
  }
  for (let y = 0; y < gridH; y++) {
    for (let x = 0; x < gridW; x++) {
      const target = (1 + y * gridW + x) * d;
      for (let sx = 0; sx < side; sx++) {
        const weight = mw[x * side + sx];
        if (weight === 0) continue;
        const source = (y * side + sx) * d;
        for (let c = 0; c < d; c++) out[target + c] += weight * tmp[source + c];
      }
    }
  }
  return { shape: [1, 1 + gridH * gridW, d], data: out };
}

/** PyTorch's cubic convolution constant (`upsample_bicubic2d`). */
const A = -0.75;

/**
 * [outSize × inSize] weights of PyTorch's 1-D bicubic resize with `align_corners=False` and an
 * explicit scale: source = (dst + 0.5) / scale − 0.5, four taps, indices clamped at the border.
 */
export function bicubicResizeMatrix(inSize: number, outSize: number, scale: number): Float64Array {
  const m = new Float64Array(outSize * inSize);
  for (let o = 0; o < outSize; o++) {
    const real = (o + 0.5) / scale - 0.5;
    const floor = Math.floor(real);
    const t = real - floor;
    const coefficients = [cubic2(t + 1), cubic1(t), cubic1(1 - t), cubic2(2 - t)];
    for (let k = 0; k < 4; k++) {
      const index = Math.min(Math.max(floor - 1 + k, 0), inSize - 1);
      m[o * inSize + index] += coefficients[k];
    }
  }
  return m;
}

function cubic1(x: number): number {
  return ((A + 2) * x - (A + 3)) * x * x + 1;
}

function cubic2(x: number): number {
  return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
}
