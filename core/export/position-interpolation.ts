import type { HostTensor } from '../engine/host-tensor.ts';
import { positionInterpolation } from '../model/position-embedding.ts';
import type { VitConfig } from '../model/vit-config.ts';

/**
 * Position embeddings for an input of gridH × gridW patches, computed once when a graph is
 * built, exactly as the reference's `interpolate_pos_encoding` (and the tfjs model, through the
 * same bicubic matrix of `core/model/position-embedding.ts`): unchanged for the trained square
 * grid, else `M · patch positions`. Returns [1, 1 + gridH·gridW, D], the CLS position first.
 */
export function interpolatedPositionEmbedding(
  posEmbed: HostTensor,
  config: VitConfig,
  gridH: number,
  gridW: number,
): HostTensor {
  const d = config.embedDim;
  const trained = posEmbed.shape[1] - 1;
  const interpolation = positionInterpolation(trained, gridH, gridW, gridH === gridW);
  if (!interpolation) return { shape: [1, trained + 1, d], data: posEmbed.data.slice() };
  const { matrix } = interpolation;
  const out = new Float32Array((1 + gridH * gridW) * d);
  out.set(posEmbed.data.subarray(0, d), 0);
  const row = new Float64Array(d);
  for (let target = 0; target < gridH * gridW; target++) {
    row.fill(0);
    for (let source = 0; source < trained; source++) {
      const weight = matrix[target * trained + source];
      if (weight === 0) continue;
      const from = (1 + source) * d;
      for (let c = 0; c < d; c++) row[c] += weight * posEmbed.data[from + c];
    }
    out.set(row, (1 + target) * d);
  }
  return { shape: [1, 1 + gridH * gridW, d], data: out };
}
