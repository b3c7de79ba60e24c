import * as tf from '@tensorflow/tfjs';
import { type BackendWasm, float32Heap, ownWasmKernelsActive } from '../engine/own-wasm-kernels.ts';

/**
 * GELU in its exact form x·Φ(x), Φ the standard normal CDF, as `nn.GELU()` in the reference (not
 * the tanh approximation). On the wasm backend `tf.erf` and `tf.exp` are slow scalar loops, and Φ
 * as a chain of vectorised ops keeps ~20 temporaries the size of the MLP's hidden layer alive (at
 * 224 px that was most of the heap's peak): there one JavaScript pass over the heap computes
 * x·Φ(x), Φ and φ together, with the Abramowitz–Stegun 7.1.26 erf (absolute error ≤ 1.5e-7, i.e.
 * float32 rounding). Other backends use their erf.
 */
export interface GeluCache {
  cdf: tf.Tensor;
  pdf: tf.Tensor;
}

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
// Abramowitz & Stegun 7.1.26.
const P = 0.3275911;
const A = [0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429];

function normalCdf(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1), 0.5));
}

function normalDensity(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.exp(tf.mul(tf.square(x), -0.5)), INV_SQRT_2PI));
}

export function geluForward(x: tf.Tensor, keepForBackward?: (cache: GeluCache) => void): tf.Tensor {
  if (wasmKernel()) {
    const [y, cdf, pdf] = tf.engine().runKernel(GELU, { x }, {}) as unknown as tf.Tensor[];
    if (keepForBackward) keepForBackward({ cdf: tf.keep(cdf), pdf: tf.keep(pdf) });
    else tf.dispose([cdf, pdf]);
    return y;
  }
  return tf.tidy(() => {
    const cdf = normalCdf(x);
    // The density only when the backward will use it (not in the teacher's or inference's forward).
    if (keepForBackward) keepForBackward({ cdf: tf.keep(cdf), pdf: tf.keep(normalDensity(x)) });
    return tf.mul(x, cdf);
  });
}

const GELU = 'DinoscopeGelu';

/** Whether the wasm kernel runs (registered on first use); tests turn it off to compare. */
export const geluKernel = { enabled: true };

function wasmKernel(): boolean {
  // Autograd through the kernel (tests differentiate the plain block forward): Φ' = φ, φ' = −x·φ.
  return ownWasmKernelsActive(geluKernel.enabled, { [GELU]: geluWasm }, () =>
    tf.registerGradient({
      kernelName: GELU,
      inputsToSave: ['x'],
      outputsToSave: [false, true, true],
      gradFunc: (dy, saved) => {
        const [x, cdf, pdf] = saved;
        const [dY, dCdf, dPdf] = dy as tf.Tensor[];
        const xPdf = tf.mul(x, pdf);
        return {
          x: () => tf.add(tf.mul(dY, tf.add(cdf, xPdf)), tf.sub(tf.mul(dCdf, pdf), tf.mul(dPdf, xPdf))),
        };
      },
    }),
  );
}

/** [x·Φ(x), Φ(x), φ(x)] in one pass over views of the wasm heap. */
function geluWasm(args: { inputs: { x: tf.TensorInfo }; backend: BackendWasm }): tf.TensorInfo[] {
  const { inputs, backend } = args;
  const outputs = [0, 1, 2].map(() => backend.makeOutput(inputs.x.shape, 'float32'));
  // Views after allocating: a growing heap detaches older views.
  const x = float32Heap(backend, inputs.x);
  const [y, cdf, pdf] = outputs.map((t) => float32Heap(backend, t));
  const [a1, a2, a3, a4, a5] = A;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    // u = |x|/√2; t = 1/(1 + p·u); P(Z > |x|) = erfc(u)/2 ≈ t·(a1 + t·(a2 + …))·e^(−x²/2) / 2.
    const t = 1 / (1 + P * Math.SQRT1_2 * Math.abs(v));
    const gaussian = Math.exp(-0.5 * v * v);
    const tail = 0.5 * t * (a1 + t * (a2 + t * (a3 + t * (a4 + t * a5)))) * gaussian;
    const phi = v > 0 ? 1 - tail : tail;
    cdf[i] = phi;
    y[i] = v * phi;
    pdf[i] = gaussian * INV_SQRT_2PI;
  }
  return outputs;
}

/** d/dx x·Φ(x) = Φ(x) + x·φ(x), times the upstream gradient. */
export function geluBackward(x: tf.Tensor, dy: tf.Tensor, cache?: GeluCache): tf.Tensor {
  return tf.tidy(() => {
    const { cdf, pdf } = cache ?? { cdf: normalCdf(x), pdf: normalDensity(x) };
    return tf.mul(dy, tf.add(cdf, tf.mul(x, pdf)));
  });
}

type CustomGradFunction = Parameters<typeof tf.customGrad>[0];

/** GELU for code that relies on autograd (the head). */
export const gelu = tf.customGrad(((x: tf.Tensor, save: (t: tf.Tensor[]) => void) => {
  save([x]);
  return {
    value: geluForward(x),
    gradFunc: (dy: tf.Tensor, [xs]: tf.Tensor[]) => geluBackward(xs, dy),
  };
}) as CustomGradFunction) as <T extends tf.Tensor>(x: T) => T;
