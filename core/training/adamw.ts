import * as tf from '@tensorflow/tfjs';
import { clipGradient } from './gradient-clip.ts';
import { fusedAdamW, fusedUpdates } from './wasm-update-kernels.ts';

/**
 * AdamW as `torch.optim.AdamW` (PyTorch 1.13, single-tensor path, no amsgrad), which the
 * reference uses with two parameter groups: weight decay on the first, none on biases and 1-D
 * parameters. State is per parameter and created at its first update, so a parameter that
 * receives no gradient (the head's last layer while frozen) is neither updated nor decayed, and
 * its step count starts when it first trains.
 */
export interface AdamWOptions {
  /** EMA factor of the gradient (PyTorch default 0.9). */
  beta1: number;
  /** EMA factor of the squared gradient (PyTorch default 0.999). */
  beta2: number;
  /** Added to the denominator for stability (PyTorch default 1e-8). */
  eps: number;
}

export const ADAMW_DEFAULTS: AdamWOptions = { beta1: 0.9, beta2: 0.999, eps: 1e-8 };

/** The reference's `get_params_groups`: no decay for names ending in `.bias` and for 1-D parameters. */
export function isDecayed(name: string, referenceShape: readonly number[]): boolean {
  return !(name.endsWith('.bias') || referenceShape.length === 1);
}

interface ParameterState {
  step: number;
  expAvg: tf.Variable;
  expAvgSq: tf.Variable;
}

export class AdamW {
  private readonly state = new Map<string, ParameterState>();

  constructor(
    private readonly parameters: ReadonlyMap<string, tf.Variable>,
    private readonly decayed: (name: string) => boolean,
    private readonly options: AdamWOptions = ADAMW_DEFAULTS,
  ) {}

  /**
   * Updates every parameter that has a gradient; `weightDecay` applies to the decayed group only.
   * With `clip` > 0 each gradient is first clipped to that L2 norm (gradient-clip.ts), as the
   * reference does before its optimizer step.
   */
  step(gradients: ReadonlyMap<string, tf.Tensor>, lr: number, weightDecay: number, clip = 0): void {
    const { beta1, beta2, eps } = this.options;
    const fused = fusedUpdates();
    for (const [name, unclipped] of gradients) {
      const parameter = this.parameters.get(name);
      if (!parameter) throw new Error(`AdamW: gradient for unknown parameter ${name}.`);
      const state = this.stateOf(name, parameter);
      state.step += 1;
      const decay = this.decayed(name) ? weightDecay : 0;
      if (fused) {
        const attributes = { clip, lr, weightDecay: decay, beta1, beta2, eps, step: state.step };
        const [p, m, v] = fusedAdamW(parameter, unclipped, state.expAvg, state.expAvgSq, attributes);
        parameter.assign(p);
        state.expAvg.assign(m);
        state.expAvgSq.assign(v);
        tf.dispose([p, m, v]);
        continue;
      }
      const gradient = clip > 0 ? clipGradient(unclipped, clip) : unclipped;
      const biasCorrection1 = 1 - beta1 ** state.step;
      const biasCorrection2Sqrt = Math.sqrt(1 - beta2 ** state.step);
      tf.tidy(() => {
        const decayedParameter = decay !== 0 ? tf.mul(parameter, 1 - lr * decay) : parameter;
        const expAvg = tf.add(tf.mul(state.expAvg, beta1), tf.mul(gradient, 1 - beta1));
        const expAvgSq = tf.add(tf.mul(state.expAvgSq, beta2), tf.mul(tf.square(gradient), 1 - beta2));
        const denominator = tf.add(tf.div(tf.sqrt(expAvgSq), biasCorrection2Sqrt), eps);
        const stepSize = lr / biasCorrection1;
        parameter.assign(tf.sub(decayedParameter, tf.mul(tf.div(expAvg, denominator), stepSize)));
        state.expAvg.assign(expAvg);
        state.expAvgSq.assign(expAvgSq);
      });
      if (gradient !== unclipped) gradient.dispose();
    }
  }

  private stateOf(name: string, parameter: tf.Variable): ParameterState {
    let state = this.state.get(name);
    if (!state) {
      const zeros = () => {
        const value = tf.zerosLike(parameter);
        const variable = tf.variable(value, false);
        value.dispose();
        return variable;
      };
      state = { step: 0, expAvg: zeros(), expAvgSq: zeros() };
      this.state.set(name, state);
    }
    return state;
  }

  /** The moments and step count of each parameter that has been updated at least once (compute layout). */
  exportState(): Map<string, { step: number; expAvg: tf.Tensor; expAvgSq: tf.Tensor }> {
    return new Map(
      [...this.state].map(([name, s]) => [name, { step: s.step, expAvg: s.expAvg, expAvgSq: s.expAvgSq }]),
    );
  }

  /** Restores one parameter's state (compute layout), as saved by `exportState`. */
  importState(name: string, step: number, expAvg: tf.Tensor, expAvgSq: tf.Tensor): void {
    const parameter = this.parameters.get(name);
    if (!parameter) throw new Error(`AdamW: saved state for unknown parameter ${name}.`);
    if (expAvg.shape.join() !== parameter.shape.join() || expAvgSq.shape.join() !== parameter.shape.join()) {
      throw new Error(
        `AdamW: saved state for ${name} has shape [${expAvg.shape}], expected [${parameter.shape}].`,
      );
    }
    this.disposeState(name);
    this.state.set(name, {
      step,
      expAvg: tf.variable(expAvg, false),
      expAvgSq: tf.variable(expAvgSq, false),
    });
  }

  private disposeState(name: string): void {
    const state = this.state.get(name);
    if (state) tf.dispose([state.expAvg, state.expAvgSq]);
    this.state.delete(name);
  }

  dispose(): void {
    for (const name of [...this.state.keys()]) this.disposeState(name);
  }
}
