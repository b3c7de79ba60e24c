import * as tf from '@tensorflow/tfjs';
import {
  type BackendWasm,
  heapOffset,
  ownWasmKernelsActive,
  simdKernels,
} from '../engine/own-wasm-kernels.ts';

/**
 * Batched products of small matrices, op(a)·op(b) of [batch, m, k]·[batch, k, n], as attention
 * makes them at tens of tokens. On the wasm backend they run on dinoscope's SIMD kernel
 * (own-wasm-kernels.wat): the backend's own batched matMul is a scalar loop (~1.4 GFLOP/s at 10
 * tokens), and one XNNPACK product per matrix costs an op dispatch, a slice and a stack each.
 * A transposed `b` is transposed first (the kernel reads b's rows as vectors). Elsewhere: `tf.matMul`.
 */
const BATCH_MATMUL = 'DinoscopeBatchMatMul';

/** Whether the wasm kernel runs (registered on first use); tests turn it off to compare. */
export const smallProductsKernel = { enabled: true };

export function smallProducts(
  a: tf.Tensor3D,
  b: tf.Tensor3D,
  transposeA: boolean,
  transposeB: boolean,
): tf.Tensor3D {
  if (!wasmKernel()) return tf.matMul(a, b, transposeA, transposeB);
  return tf.tidy(() => {
    const right = transposeB ? tf.transpose(b, [0, 2, 1]) : b;
    return tf.engine().runKernel(BATCH_MATMUL, { a, b: right }, { transposeA }) as tf.Tensor3D;
  });
}

function wasmKernel(): boolean {
  // Autograd through the kernel (tests differentiate the plain block forward), by tfjs's products.
  return ownWasmKernelsActive(smallProductsKernel.enabled, { [BATCH_MATMUL]: batchMatMulWasm }, () =>
    tf.registerGradient({
      kernelName: BATCH_MATMUL,
      inputsToSave: ['a', 'b'],
      gradFunc: (dy, [a, b], attrs) => {
        const dC = dy as tf.Tensor;
        // c = a·b: da = dc·bᵀ, db = aᵀ·dc. c = aᵀ·b with a stored [k, m]: da = b·dcᵀ, db = a·dc.
        return (attrs as { transposeA: boolean }).transposeA
          ? { a: () => tf.matMul(b, dC, false, true), b: () => tf.matMul(a, dC) }
          : { a: () => tf.matMul(dC, b, false, true), b: () => tf.matMul(a, dC, true, false) };
      },
    }),
  );
}

function batchMatMulWasm(args: {
  inputs: { a: tf.TensorInfo; b: tf.TensorInfo };
  attrs: { transposeA: boolean };
  backend: BackendWasm;
}): tf.TensorInfo {
  const { inputs, attrs, backend } = args;
  const [batch, rows, columns] = inputs.a.shape;
  const [m, k] = attrs.transposeA ? [columns, rows] : [rows, columns];
  const n = inputs.b.shape[2];
  const out = backend.makeOutput([batch, m, n], 'float32');
  const [a, b, c] = [inputs.a, inputs.b, out].map((t) => heapOffset(backend, t));
  simdKernels(backend).batchMatMul(a, b, c, batch, m, k, n, attrs.transposeA ? 1 : 0);
  return out;
}
