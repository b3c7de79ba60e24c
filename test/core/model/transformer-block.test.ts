import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../core/engine/backend.ts';
import type { AttentionShape } from '../../../core/model/attention.ts';
import {
  BLOCK_PARAMETERS,
  type BlockParameters,
  blockBackward,
  blockForward,
  blockForwardForBackward,
  trainingBlock,
} from '../../../core/model/transformer-block.ts';
import { maxAbsDifference, take } from './reference-fixtures.ts';

/** A small block with random weights (as variables: the checkpointed block needs them to outlive the forward). */
function randomBlock(dim: number): BlockParameters {
  const hidden = 4 * dim;
  const shapes: Record<string, number[]> = {
    'norm1.weight': [dim],
    'norm1.bias': [dim],
    'attn.qkv.weight': [dim, 3 * dim],
    'attn.qkv.bias': [3 * dim],
    'attn.proj.weight': [dim, dim],
    'attn.proj.bias': [dim],
    'norm2.weight': [dim],
    'norm2.bias': [dim],
    'mlp.fc1.weight': [dim, hidden],
    'mlp.fc1.bias': [hidden],
    'mlp.fc2.weight': [hidden, dim],
    'mlp.fc2.bias': [dim],
  };
  return Object.fromEntries(
    BLOCK_PARAMETERS.map((name) => [
      name,
      tf.variable(
        name.startsWith('norm') && name.endsWith('weight')
          ? tf.add(1, tf.randomNormal(shapes[name], 0, 0.1))
          : tf.randomNormal(shapes[name], 0, 0.3),
      ),
    ]),
  ) as unknown as BlockParameters;
}

describe('transformer block backward', () => {
  const shape: AttentionShape = { images: 3, tokens: 5, heads: 2, headDim: 4 };
  const dim = shape.heads * shape.headDim;
  let params: BlockParameters;
  let x: tf.Tensor2D;
  let weights: tf.Tensor2D;
  beforeAll(async () => {
    await initBackend();
    params = randomBlock(dim);
    x = tf.randomNormal([shape.images * shape.tokens, dim]) as tf.Tensor2D;
    weights = tf.randomNormal([shape.images * shape.tokens, dim]) as tf.Tensor2D;
  });

  for (const withDropPath of [false, true]) {
    it(`gives autograd's gradients${withDropPath ? ' with drop-path masks' : ''}`, () => {
      const masks = withDropPath
        ? { attention: tf.tensor2d([0, 1.25, 1.25], [3, 1]), mlp: tf.tensor2d([1.25, 0, 1.25], [3, 1]) }
        : null;
      const all = [x, ...BLOCK_PARAMETERS.map((n) => params[n])];
      const rebuild = (tensors: tf.Tensor[]) =>
        Object.fromEntries(BLOCK_PARAMETERS.map((n, i) => [n, tensors[i + 1]])) as unknown as BlockParameters;
      // Reference: tfjs autograd through the plain forward.
      const expected = tf.grads((...inputs: tf.Tensor[]) =>
        tf.sum(tf.mul(blockForward(inputs[0] as tf.Tensor2D, rebuild(inputs), shape, masks), weights)),
      )(all);
      const { y, cache } = blockForwardForBackward(x, params, shape, masks);
      y.dispose();
      const { dx, dParams } = blockBackward(cache, params, shape, masks, weights);
      expect(maxAbsDifference(take(dx), take(expected[0]))).toBeLessThan(1e-4);
      BLOCK_PARAMETERS.forEach((name, i) => {
        expect(maxAbsDifference(take(dParams[name]), take(expected[i + 1])), name).toBeLessThan(1e-4);
      });
      if (masks) tf.dispose([masks.attention, masks.mlp]);
    });
  }

  for (const recompute of [true, false]) {
    it(`as an autograd node${recompute ? ' that recomputes its forward' : ' that keeps its activations'}: same gradients, no tensor left behind`, () => {
      const loss = (block: (input: tf.Tensor2D) => tf.Tensor2D) => () =>
        tf.sum(tf.mul(block(x), weights)) as tf.Scalar;
      const variables = BLOCK_PARAMETERS.map((n) => params[n] as tf.Variable);
      const plain = tf.variableGrads(
        loss((input) => blockForward(input, params, shape, null)),
        variables,
      );
      const before = tf.memory().numTensors;
      const checkpointed = tf.variableGrads(
        loss((input) => trainingBlock(input, params, shape, null, recompute)),
        variables,
      );
      expect(take(checkpointed.value)).toEqual(take(plain.value));
      for (const v of variables) {
        expect(maxAbsDifference(take(checkpointed.grads[v.name]), take(plain.grads[v.name]))).toBeLessThan(
          1e-4,
        );
      }
      expect(tf.memory().numTensors).toBe(before - 1 - variables.length);
    });
  }
});

describe('transformer block drop-path', () => {
  it('a dropped branch adds nothing, a kept one is scaled by its factor', async () => {
    await initBackend();
    const shape: AttentionShape = { images: 2, tokens: 3, heads: 2, headDim: 4 };
    const params = randomBlock(8);
    const x = tf.randomNormal([6, 8]) as tf.Tensor2D;
    const full = take(blockForward(x, params, shape, null));
    const bothDropped = take(
      blockForward(x, params, shape, { attention: tf.zeros([2, 1]), mlp: tf.zeros([2, 1]) }),
    );
    expect(maxAbsDifference(bothDropped, take(x.clone()))).toBe(0);
    const bothKept = take(
      blockForward(x, params, shape, { attention: tf.ones([2, 1]), mlp: tf.ones([2, 1]) }),
    );
    expect(maxAbsDifference(bothKept, full)).toBeLessThan(1e-6);
  });
});
