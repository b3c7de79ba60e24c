import * as tf from '@tensorflow/tfjs';
import {
  type BackendWasm,
  heapOffset,
  ownWasmKernelsActive,
  simdKernels,
} from '../engine/own-wasm-kernels.ts';

/**
 * The per-parameter update of a DINO step fused into one pass per parameter on the wasm backend:
 * AdamW with its per-parameter clipping, and the teacher's EMA. As separate tfjs ops they are ~20
 * passes over the ~12 M parameters of ViT-Tiny + head, plus ~4,000 op dispatches per step; fused
 * they are one SIMD pass per parameter over the wasm heap (own-wasm-kernels.wat), in float32 and in
 * the order of the tfjs-ops path (adamw.ts, gradient-clip.ts, teacher-ema.ts); the clipping norm
 * sums in float64.
 */
export interface AdamWAttributes {
  /** Per-parameter clip of the gradient's L2 norm; 0 turns it off. */
  clip: number;
  lr: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** The parameter's step count, this update included. */
  step: number;
}

const ADAMW = 'DinoscopeAdamW';
const EMA = 'DinoscopeEma';

/** Whether to use the fused kernels on wasm; tests turn it off to compare with the op-by-op path. */
export const fusedUpdateKernels = { enabled: true };

/** True when the fused kernels run on the active backend (wasm); registers them on first use. */
export function fusedUpdates(): boolean {
  return ownWasmKernelsActive(fusedUpdateKernels.enabled, { [ADAMW]: adamWKernel, [EMA]: emaKernel });
}

/** [parameter, exp_avg, exp_avg_sq] after one AdamW update with the clipped gradient. */
export function fusedAdamW(
  parameter: tf.Tensor,
  gradient: tf.Tensor,
  expAvg: tf.Tensor,
  expAvgSq: tf.Tensor,
  attributes: AdamWAttributes,
): [tf.Tensor, tf.Tensor, tf.Tensor] {
  return tf
    .engine()
    .runKernel(ADAMW, { parameter, gradient, expAvg, expAvgSq }, { ...attributes }) as unknown as [
    tf.Tensor,
    tf.Tensor,
    tf.Tensor,
  ];
}

/** momentum·teacher + (1 − momentum)·student. */
export function fusedEma(teacher: tf.Tensor, student: tf.Tensor, momentum: number): tf.Tensor {
  return tf.engine().runKernel(EMA, { teacher, student }, { momentum }) as unknown as tf.Tensor;
}

function adamWKernel(args: {
  inputs: Record<'parameter' | 'gradient' | 'expAvg' | 'expAvgSq', tf.TensorInfo>;
  attrs: AdamWAttributes;
  backend: BackendWasm;
}): tf.TensorInfo[] {
  const { inputs, attrs, backend } = args;
  const outputs = [inputs.parameter, inputs.expAvg, inputs.expAvgSq].map((t) =>
    backend.makeOutput(t.shape, 'float32'),
  );
  const [p, g, m, v, pOut, mOut, vOut] = [
    inputs.parameter,
    inputs.gradient,
    inputs.expAvg,
    inputs.expAvgSq,
    ...outputs,
  ].map((t) => heapOffset(backend, t));
  const count = tf.util.sizeFromShape(inputs.parameter.shape);
  const kernels = simdKernels(backend);
  const factor =
    attrs.clip > 0 ? Math.min(attrs.clip / (Math.sqrt(kernels.sumOfSquares(g, count)) + 1e-6), 1) : 1;
  const { beta1, beta2, eps, lr } = attrs;
  kernels.adamw(
    ...[p, g, m, v, pOut, mOut, vOut, count],
    factor,
    beta1,
    beta2,
    1 - lr * attrs.weightDecay,
    lr / (1 - beta1 ** attrs.step),
    Math.sqrt(1 - beta2 ** attrs.step),
    eps,
  );
  return outputs;
}

function emaKernel(args: {
  inputs: Record<'teacher' | 'student', tf.TensorInfo>;
  attrs: { momentum: number };
  backend: BackendWasm;
}): tf.TensorInfo {
  const { inputs, attrs, backend } = args;
  const output = backend.makeOutput(inputs.teacher.shape, 'float32');
  const [teacher, student, out] = [inputs.teacher, inputs.student, output].map((t) => heapOffset(backend, t));
  simdKernels(backend).ema(teacher, student, out, tf.util.sizeFromShape(output.shape), attrs.momentum);
  return output;
}
