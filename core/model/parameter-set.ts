import * as tf from '@tensorflow/tfjs';
import { elementCount, type NamedTensors } from '../engine/host-tensor.ts';
import type { Uniform } from './initialisation.ts';
import { toComputeLayout, toReferenceLayout } from './parameter-layout.ts';

/** One parameter as the reference declares it: its state-dict name, shape and initialisation. */
export interface ParameterSpec {
  name: string;
  /** The reference (PyTorch) shape. */
  shape: number[];
  initialise(random: Uniform): Float32Array;
  /** False for parameters the reference keeps fixed (`weight_g` with `norm_last_layer`). */
  trainable: boolean;
}

/**
 * The parameters of one module as tfjs variables (compute layout, parameter-layout.ts), keyed by
 * the reference names, loaded from or exported to `NamedTensors` with the reference layout.
 */
export class ParameterSet {
  readonly variables = new Map<string, tf.Variable>();
  readonly specs: ReadonlyMap<string, ParameterSpec>;

  constructor(
    specs: ParameterSpec[],
    options: { weights?: NamedTensors; random?: Uniform; trainable: boolean; what: string },
  ) {
    this.specs = new Map(specs.map((s) => [s.name, s]));
    if (options.weights) checkWeights(specs, options.weights, options.what);
    const random = options.random ?? Math.random;
    for (const spec of specs) {
      const given = options.weights?.get(spec.name);
      const data = given ? given.data : spec.initialise(random);
      const compute = toComputeLayout({ shape: spec.shape, data });
      const value = tf.tensor(compute.data, compute.shape, 'float32');
      this.variables.set(spec.name, tf.variable(value, options.trainable && spec.trainable));
      value.dispose();
    }
  }

  get(name: string): tf.Variable {
    const variable = this.variables.get(name);
    if (!variable) throw new Error(`No parameter named ${name}.`);
    return variable;
  }

  /** The names of the parameters an optimiser updates, in declaration order. */
  trainableNames(): string[] {
    return [...this.specs.values()].filter((s) => s.trainable).map((s) => s.name);
  }

  toNamedTensors(prefix = ''): NamedTensors {
    const out: NamedTensors = new Map();
    for (const [name, variable] of this.variables) {
      const data = variable.dataSync() as Float32Array;
      const spec = this.specs.get(name) as ParameterSpec;
      out.set(
        `${prefix}${name}`,
        toReferenceLayout({ shape: variable.shape, data: data.slice() }, spec.shape),
      );
    }
    return out;
  }

  /** Replaces every value (reference names and layout), after checking names and shapes. */
  assign(weights: NamedTensors, what: string): void {
    checkWeights([...this.specs.values()], weights, what);
    for (const [name, variable] of this.variables) {
      const spec = this.specs.get(name) as ParameterSpec;
      const compute = toComputeLayout({
        shape: spec.shape,
        data: (weights.get(name) as { data: Float32Array }).data,
      });
      tf.tidy(() => variable.assign(tf.tensor(compute.data, compute.shape, 'float32')));
    }
  }

  dispose(): void {
    for (const variable of this.variables.values()) variable.dispose();
    this.variables.clear();
  }
}

function checkWeights(specs: ParameterSpec[], weights: NamedTensors, what: string): void {
  const problems: string[] = [];
  const expected = new Set(specs.map((s) => s.name));
  for (const spec of specs) {
    const given = weights.get(spec.name);
    if (!given) problems.push(`missing ${spec.name}`);
    else if (
      given.shape.join(',') !== spec.shape.join(',') ||
      given.data.length !== elementCount(spec.shape)
    ) {
      problems.push(`${spec.name} has shape [${given.shape}], expected [${spec.shape}]`);
    }
  }
  const unexpected = [...weights.keys()].filter((name) => !expected.has(name));
  if (unexpected.length > 0) {
    const shown = unexpected.slice(0, 5).join(', ');
    problems.push(`unexpected ${shown}${unexpected.length > 5 ? ` and ${unexpected.length - 5} more` : ''}`);
  }
  if (problems.length > 0) {
    throw new Error(
      `The ${what} weights do not fit its configuration: ${problems.slice(0, 8).join('; ')}` +
        `${problems.length > 8 ? `; and ${problems.length - 8} more problems` : ''}. ` +
        'Check the architecture (size, patch, depth) the weights were trained with.',
    );
  }
}
