import * as tf from '@tensorflow/tfjs';
import { type BackendWasm, float32Heap, ownWasmKernelsActive } from '../engine/own-wasm-kernels.ts';

/**
 * The per-parameter update of a DINO step fused into one pass per parameter on the wasm backend:
 * AdamW with its per-parameter clipping, and the teacher's EMA. As separate tfjs ops they are ~20
 * passes over the ~12 M parameters of ViT-Tiny + head, plus ~4,000 op dispatches per step; fused
 * they are one JavaScript loop per parameter over views of the wasm heap. The arithmetic is the
 * tfjs-ops path's (adamw.ts, gradient-clip.ts, teacher-ema.ts), in float64 before the float32 store.
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
  // Views after allocating: a growing heap detaches older views.
  const [p, g, m, v] = [inputs.parameter, inputs.gradient, inputs.expAvg, inputs.expAvgSq].map((t) =>
    float32Heap(backend, t),
  );
  const [pOut, mOut, vOut] = outputs.map((t) => float32Heap(backend, t));
  let factor = 1;
  if (attrs.clip > 0) {
    let squares = 0;
    for (let i = 0; i < g.length; i++) squares += g[i] * g[i];
    factor = Math.min(attrs.clip / (Math.sqrt(squares) + 1e-6), 1);
  }
  const { beta1, beta2, eps, lr } = attrs;
  const decay = 1 - lr * attrs.weightDecay;
  const stepSize = lr / (1 - beta1 ** attrs.step);
  const correction2Sqrt = Math.sqrt(1 - beta2 ** attrs.step);
  for (let i = 0; i < p.length; i++) {
    const grad = Math.fround(g[i] * factor);
    const mean = beta1 * m[i] + (1 - beta1) * grad;
    const square = beta2 * v[i] + (1 - beta2) * grad * grad;
    mOut[i] = mean;
    vOut[i] = square;
    pOut[i] =
      p[i] * decay -
      (stepSize * Math.fround(mean)) / (Math.sqrt(Math.fround(square)) / correction2Sqrt + eps);
  }
  return outputs;
}

function emaKernel(args: {
  inputs: Record<'teacher' | 'student', tf.TensorInfo>;
  attrs: { momentum: number };
  backend: BackendWasm;
}): tf.TensorInfo {
  const { inputs, attrs, backend } = args;
  const output = backend.makeOutput(inputs.teacher.shape, 'float32');
  const t = float32Heap(backend, inputs.teacher);
  const s = float32Heap(backend, inputs.student);
  const out = float32Heap(backend, output);
  const m = attrs.momentum;
  for (let i = 0; i < out.length; i++) out[i] = t[i] * m + s[i] * (1 - m);
  return output;
}
