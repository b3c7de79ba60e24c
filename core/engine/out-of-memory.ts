import * as tf from '@tensorflow/tfjs';

/**
 * Running out of memory on a compute backend, recognised so that a training step can be retried
 * with less memory at once instead of failing the run. The backends say it differently: the wasm
 * backend cannot grow its heap (RangeError / abort), the CPU one cannot allocate an ArrayBuffer,
 * and WebGPU does not throw at all: the device reports a GPUOutOfMemoryError to an error scope.
 */
export class GpuOutOfMemoryError extends Error {
  constructor(message: string) {
    super(`GPU out of memory: ${message}`);
    this.name = 'GpuOutOfMemoryError';
  }
}

const OUT_OF_MEMORY =
  /out of memory|OutOfMemory|OOM|Array buffer allocation failed|Cannot enlarge memory|Maximum memory size|memory\.grow|failed to allocate|allocation failed/i;

export function isOutOfMemoryError(error: unknown): boolean {
  if (error instanceof GpuOutOfMemoryError) return true;
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return OUT_OF_MEMORY.test(text);
}

interface ErrorScopeDevice {
  pushErrorScope(filter: 'out-of-memory'): void;
  popErrorScope(): Promise<{ message: string } | null>;
}

/**
 * Watches the WebGPU device (when tfjs computes on one) for out-of-memory errors from the work
 * issued after this call; `check` throws GpuOutOfMemoryError when there was one. Elsewhere a no-op.
 */
export function gpuOutOfMemoryScope(): { check(): Promise<void> } {
  const device = (tf.backend() as { device?: Partial<ErrorScopeDevice> } | undefined)?.device;
  if (typeof device?.pushErrorScope !== 'function' || typeof device.popErrorScope !== 'function') {
    return { check: async () => {} };
  }
  const scoped = device as ErrorScopeDevice;
  scoped.pushErrorScope('out-of-memory');
  let popped = false;
  return {
    async check() {
      if (popped) return;
      popped = true;
      const error = await scoped.popErrorScope();
      if (error) throw new GpuOutOfMemoryError(error.message);
    },
  };
}
