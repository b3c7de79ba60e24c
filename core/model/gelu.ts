import * as tf from '@tensorflow/tfjs';
import {
  type BackendWasm,
  heapOffset,
  ownWasmKernelsActive,
  simdKernels,
} from '../engine/own-wasm-kernels.ts';

/**
 * GELU in its exact form x·Φ(x), Φ the standard normal CDF, as `nn.GELU()` in the reference (not
 * the tanh approximation). On the wasm backend `tf.erf` and `tf.exp` are slow scalar loops, and Φ
 * as a chain of vectorised ops keeps ~20 temporaries the size of the MLP's hidden layer alive (at
 * 224 px that was most of the heap's peak): there one SIMD pass over the heap (own-wasm-kernels.wat)
 * computes x·Φ(x), Φ and φ together, with the Abramowitz–Stegun 7.1.26 erf (absolute error
 * ≤ 1.5e-7, i.e. float32 rounding). Other backends use their erf.
 */
export interface GeluCache {
  cdf: tf.Tensor;
  pdf: tf.Tensor;
}

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

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

/** [x·Φ(x), Φ(x), φ(x)] in one SIMD pass over the wasm heap. */
function geluWasm(args: { inputs: { x: tf.TensorInfo }; backend: BackendWasm }): tf.TensorInfo[] {
  const { inputs, backend } = args;
  const outputs = [0, 1, 2].map(() => backend.makeOutput(inputs.x.shape, 'float32'));
  const [x, y, cdf, pdf] = [inputs.x, ...outputs].map((t) => heapOffset(backend, t));
  simdKernels(backend).gelu(x, y, cdf, pdf, tf.util.sizeFromShape(inputs.x.shape));
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
