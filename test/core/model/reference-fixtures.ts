import * as tf from '@tensorflow/tfjs';
import type { HostTensor, NamedTensors } from '../../../core/engine/host-tensor.ts';
import { readSafetensors, type SafetensorsFile } from '../../../core/engine/safetensors.ts';
import { sharedPath } from '../../shared-fixtures.ts';

/** A file of `../shared/fixtures/dino-reference/` (golden tensors of the official DINO code). */
export function referenceFixture(name: string): SafetensorsFile {
  return readSafetensors(sharedPath(`fixtures/dino-reference/${name}.safetensors`));
}

export function tensorNamed(file: SafetensorsFile, name: string): HostTensor {
  const tensor = file.tensors.get(name);
  if (!tensor) throw new Error(`fixture has no tensor ${name}`);
  return tensor;
}

/** The tensors under `prefix`, renamed without it. */
export function withPrefix(tensors: NamedTensors, prefix: string): NamedTensors {
  const out: NamedTensors = new Map();
  for (const [name, tensor] of tensors)
    if (name.startsWith(prefix)) out.set(name.slice(prefix.length), tensor);
  return out;
}

/** The fixtures store images as PyTorch does, NCHW; the model takes NHWC. */
export function nchwToNhwc(tensor: HostTensor): tf.Tensor4D {
  return tf.tidy(() =>
    tf.transpose(tf.tensor4d(tensor.data, tensor.shape as [number, number, number, number]), [0, 2, 3, 1]),
  );
}

export function maxAbsDifference(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} != ${expected.length}`);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= worst)) worst = d; // NaN propagates as the worst
  }
  return worst;
}

/** Reads a tensor's values and disposes it. */
export function take(tensor: tf.Tensor): Float32Array {
  const values = tensor.dataSync() as Float32Array;
  tensor.dispose();
  return values;
}

/**
 * Reads a tensor's values without blocking, and disposes it: WebGPU in Node has no synchronous
 * read-back, so the golden tests that also run there read this way.
 */
export async function read(tensor: tf.Tensor): Promise<Float32Array> {
  const values = (await tensor.data()) as Float32Array;
  tensor.dispose();
  return values;
}

/** Fetches tensors to the CPU without blocking, so later synchronous reads (`getWeights`) work on WebGPU. */
export async function prefetch(tensors: Iterable<tf.Tensor>): Promise<void> {
  await Promise.all([...tensors].map((t) => t.data()));
}
