import * as tf from '@tensorflow/tfjs';

/** GELU in its exact erf form, as `nn.GELU()` in the reference (not the tanh approximation). */
export function geluForward(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)));
}

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** d/dx GELU(x) = Φ(x) + x·φ(x), times the upstream gradient. */
export function geluBackward(x: tf.Tensor, dy: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const cdf = tf.mul(tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1), 0.5);
    const pdf = tf.mul(tf.exp(tf.mul(tf.square(x), -0.5)), INV_SQRT_2PI);
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
