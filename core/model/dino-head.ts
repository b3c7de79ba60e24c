import * as tf from '@tensorflow/tfjs';
import type { NamedTensors } from '../engine/host-tensor.ts';
import { gelu } from './gelu.ts';
import {
  filled,
  TOKEN_AND_DENSE_STD,
  truncatedNormal,
  type Uniform,
  uniformFanIn,
} from './initialisation.ts';
import { linear } from './linear.ts';
import { ParameterSet, type ParameterSpec } from './parameter-set.ts';

/**
 * The reference `DINOHead`: an MLP (Linear → GELU → … → Linear to the bottleneck), L2
 * normalisation, then a weight-normalised Linear without bias to `outDim` prototypes:
 * W = g · v / ‖v‖ per output row. With `normLastLayer`, g stays 1 and only v trains.
 */
export interface DinoHeadConfig {
  inDim: number;
  /** Prototypes: the reference uses 65536; small data converges faster with 4096–8192. */
  outDim: number;
  /** Linear layers in the MLP before the bottleneck (reference 3). */
  nlayers: number;
  /** Width of the MLP's hidden layers (reference 2048). */
  hiddenDim: number;
  /** Width before the last layer (reference 256). */
  bottleneckDim: number;
  /** Keep the last layer's norm fixed at 1 (reference True): stabilises ViT training. */
  normLastLayer: boolean;
}

export function dinoHeadConfig(
  inDim: number,
  outDim: number,
  overrides: Partial<DinoHeadConfig> = {},
): DinoHeadConfig {
  return {
    inDim,
    outDim,
    nlayers: 3,
    hiddenDim: 2048,
    bottleneckDim: 256,
    normLastLayer: true,
    ...overrides,
  };
}

/** F.normalize's floor on the norm. */
const NORMALIZE_EPS = 1e-12;

export class DinoHead {
  readonly config: DinoHeadConfig;
  readonly parameters: ParameterSet;

  constructor(
    config: DinoHeadConfig,
    weights?: NamedTensors,
    options: { random?: Uniform; trainable?: boolean } = {},
  ) {
    this.config = config;
    this.parameters = new ParameterSet(dinoHeadParameterSpecs(config), {
      weights,
      random: options.random,
      trainable: options.trainable ?? false,
      what: 'DINO head',
    });
  }

  /** Logits [B, outDim] for embeddings [B, inDim]; differentiable in the parameters. */
  forward(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const layers = mlpLayerNames(this.config.nlayers);
      let h = x;
      layers.forEach((name, i) => {
        h = linear(h, this.weight(`${name}.weight`), this.parameters.get(`${name}.bias`) as tf.Tensor1D);
        if (i < layers.length - 1) h = gelu(h);
      });
      const norm = tf.maximum(tf.sqrt(tf.sum(tf.square(h), -1, true)), NORMALIZE_EPS);
      const normalized = tf.div(h, norm) as tf.Tensor2D;
      return linear(normalized, this.lastLayerWeight(), null);
    });
  }

  /** The effective last-layer weight [bottleneck, outDim] (compute layout): g · v / ‖v‖ per prototype. */
  private lastLayerWeight(): tf.Tensor2D {
    const v = this.weight('last_layer.weight_v');
    const norms = tf.sqrt(tf.sum(tf.square(v), 0, true));
    const g = this.parameters.get('last_layer.weight_g');
    return tf.mul(v, tf.div(g, norms)) as tf.Tensor2D;
  }

  private weight(name: string): tf.Tensor2D {
    return this.parameters.get(name) as tf.Tensor2D;
  }

  getWeights(): NamedTensors {
    return this.parameters.toNamedTensors();
  }

  setWeights(weights: NamedTensors): void {
    this.parameters.assign(weights, 'DINO head');
  }

  dispose(): void {
    this.parameters.dispose();
  }
}

/**
 * Names of the MLP's Linear layers as the reference's modules: `mlp` alone when nlayers is 1,
 * else `mlp.0`, `mlp.2`, `mlp.4`, … (GELUs sit at the odd indices of its `nn.Sequential`).
 */
function mlpLayerNames(nlayers: number): string[] {
  if (nlayers <= 1) return ['mlp'];
  return Array.from({ length: nlayers }, (_, i) => `mlp.${2 * i}`);
}

export function dinoHeadParameterSpecs(config: DinoHeadConfig): ParameterSpec[] {
  const { inDim, hiddenDim, bottleneckDim, outDim } = config;
  const names = mlpLayerNames(config.nlayers);
  const specs: ParameterSpec[] = [];
  names.forEach((name, i) => {
    const inputs = i === 0 ? inDim : hiddenDim;
    const outputs = i === names.length - 1 ? bottleneckDim : hiddenDim;
    specs.push(
      {
        name: `${name}.weight`,
        shape: [outputs, inputs],
        initialise: (random) => truncatedNormal(outputs * inputs, TOKEN_AND_DENSE_STD, random),
        trainable: true,
      },
      { name: `${name}.bias`, shape: [outputs], initialise: () => filled(outputs, 0), trainable: true },
    );
  });
  specs.push(
    // weight_norm wraps a default-initialised Linear; g is then filled with 1 by the reference.
    {
      name: 'last_layer.weight_g',
      shape: [outDim, 1],
      initialise: () => filled(outDim, 1),
      trainable: !config.normLastLayer,
    },
    {
      name: 'last_layer.weight_v',
      shape: [outDim, bottleneckDim],
      initialise: (random) => uniformFanIn(outDim * bottleneckDim, bottleneckDim, random),
      trainable: true,
    },
  );
  return specs;
}
