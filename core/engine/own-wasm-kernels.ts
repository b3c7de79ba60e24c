import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** What dinoscope's own wasm kernels (GELU, the fused update) share. */
export type { BackendWasm };

/**
 * Whether dinoscope's own kernels run: only on the wasm backend and while `enabled` (tests turn
 * them off to compare with the op-by-op path). Registers them on first use, then calls
 * `onRegistered` (e.g. to register a gradient).
 */
export function ownWasmKernelsActive(
  enabled: boolean,
  kernels: Record<string, (args: never) => tf.TensorInfo | tf.TensorInfo[]>,
  onRegistered?: () => void,
): boolean {
  if (!enabled || tf.getBackend() !== 'wasm') return false;
  const names = Object.keys(kernels);
  if (!tf.getKernel(names[0], 'wasm')) {
    for (const name of names) {
      tf.registerKernel({
        kernelName: name,
        backendName: 'wasm',
        kernelFunc: kernels[name] as unknown as tf.KernelFunc,
      });
    }
    onRegistered?.();
  }
  return true;
}

/**
 * A float32 tensor's data as a view of the wasm backend's heap. Take views after allocating the
 * outputs: a growing heap detaches older views.
 */
export function float32Heap(backend: BackendWasm, info: tf.TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(info) as Float32Array;
}
