import * as tf from '@tensorflow/tfjs';
import {
  type BackendWasm,
  heapOffset,
  ownWasmKernelsActive,
  simdKernels,
} from '../engine/own-wasm-kernels.ts';

/**
 * Σ over the rows of a 2-D tensor, [rows, cols] → [cols]: the bias and norm gradients. The wasm
 * backend reduces the first axis by transposing first, and as ones[1, rows] · x on XNNPACK it still
 * took ~1.9 ns an element at 192 columns: there dinoscope's SIMD kernel adds the rows up (row order,
 * float32). Elsewhere `tf.sum`.
 */
const COLUMN_SUMS = 'DinoscopeColumnSums';

/** Whether the wasm kernel runs (registered on first use); tests turn it off to compare. */
export const columnSumsKernel = { enabled: true };

export function columnSums(x: tf.Tensor2D): tf.Tensor1D {
  if (!wasmKernel()) return tf.sum(x, 0);
  return tf.engine().runKernel(COLUMN_SUMS, { x }, {}) as tf.Tensor1D;
}

function wasmKernel(): boolean {
  return ownWasmKernelsActive(columnSumsKernel.enabled, { [COLUMN_SUMS]: columnSumsWasm }, () =>
    tf.registerGradient({
      kernelName: COLUMN_SUMS,
      inputsToSave: ['x'],
      gradFunc: (dy, [x]) => ({ x: () => tf.mul(tf.onesLike(x), dy as tf.Tensor) }),
    }),
  );
}

function columnSumsWasm(args: { inputs: { x: tf.TensorInfo }; backend: BackendWasm }): tf.TensorInfo {
  const { inputs, backend } = args;
  const [rows, cols] = inputs.x.shape;
  const out = backend.makeOutput([cols], 'float32');
  simdKernels(backend).columnSums(heapOffset(backend, inputs.x), heapOffset(backend, out), rows, cols);
  return out;
}
