import type { HostTensor } from '../engine/host-tensor.ts';

/**
 * Tensors travel with the reference's names and shapes (PyTorch state dicts), but are computed
 * with in the layout that keeps every product a plain 2-D matMul:
 * - 2-D weights (dense [out, in], the head's `weight_g` [out, 1]) are stored transposed, [in, out];
 * - the patch convolution [dim, 3, p, p] is stored as a dense [p·p·3, dim] over patches read
 *   from NHWC images in (row, column, channel) order;
 * - everything else (biases, norms, class and position tokens) is unchanged.
 */
export function toComputeLayout(tensor: HostTensor): HostTensor {
  if (tensor.shape.length === 2) return transpose2d(tensor);
  if (tensor.shape.length === 4) {
    const [dim, channels, p, q] = tensor.shape;
    const out = new Float32Array(tensor.data.length);
    for (let d = 0; d < dim; d++)
      for (let c = 0; c < channels; c++)
        for (let y = 0; y < p; y++)
          for (let x = 0; x < q; x++) {
            out[((y * q + x) * channels + c) * dim + d] = tensor.data[((d * channels + c) * p + y) * q + x];
          }
    return { shape: [p * q * channels, dim], data: out };
  }
  return tensor;
}

/** The inverse of `toComputeLayout`, given the reference shape the tensor must take. */
export function toReferenceLayout(tensor: HostTensor, referenceShape: readonly number[]): HostTensor {
  if (referenceShape.length === 2) return transpose2d(tensor);
  if (referenceShape.length === 4) {
    const [dim, channels, p, q] = referenceShape;
    const out = new Float32Array(tensor.data.length);
    for (let d = 0; d < dim; d++)
      for (let c = 0; c < channels; c++)
        for (let y = 0; y < p; y++)
          for (let x = 0; x < q; x++) {
            out[((d * channels + c) * p + y) * q + x] = tensor.data[((y * q + x) * channels + c) * dim + d];
          }
    return { shape: [...referenceShape], data: out };
  }
  return { shape: [...referenceShape], data: tensor.data };
}

function transpose2d(tensor: HostTensor): HostTensor {
  const [rows, cols] = tensor.shape;
  const out = new Float32Array(tensor.data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = tensor.data[r * cols + c];
  return { shape: [cols, rows], data: out };
}
