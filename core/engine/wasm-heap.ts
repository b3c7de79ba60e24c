import type * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export type { BackendWasm };

/**
 * A float32 tensor's data as a view of the wasm backend's heap, for dinoscope's own kernels. Take
 * views after allocating the outputs: a growing heap detaches older views.
 */
export function float32Heap(backend: BackendWasm, info: tf.TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(info) as Float32Array;
}
