import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/**
 * What dinoscope's own wasm kernels share (GELU, the small batched products, column sums, the fused
 * update, and the transposes of wasm-kernel-fixes.ts): their registration, and the WebAssembly
 * SIMD module that computes them (own-wasm-kernels.wat) bound to the backend's heap, so they read
 * and write tensors in place. JavaScript loops over the same heap ran GELU at ~14 ns an element
 * (Math.exp) and AdamW at ~10; the SIMD code does 4 floats an instruction.
 */
export type { BackendWasm };

/** The exports of own-wasm-kernels.wat: pointers are byte offsets in the heap, counts are in elements. */
export interface SimdKernels {
  gelu(x: number, y: number, cdf: number, pdf: number, count: number): void;
  sumOfSquares(x: number, count: number): number;
  adamw(
    p: number,
    g: number,
    m: number,
    v: number,
    pOut: number,
    mOut: number,
    vOut: number,
    count: number,
    factor: number,
    beta1: number,
    beta2: number,
    decay: number,
    stepSize: number,
    correction2Sqrt: number,
    eps: number,
  ): void;
  ema(teacher: number, student: number, out: number, count: number, momentum: number): void;
  batchMatMul(
    a: number,
    b: number,
    c: number,
    batch: number,
    m: number,
    k: number,
    n: number,
    aTransposed: number,
  ): void;
  columnSums(x: number, out: number, rows: number, cols: number): void;
  transpose(x: number, out: number, batch: number, rows: number, cols: number): void;
}

/** core/ compiles without the DOM library, which holds WebAssembly's types: the part used here. */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const webAssembly = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

let compiled: object | null | undefined;
const instances = new WeakMap<object, SimdKernels>();

/** The module, compiled once per thread; null where WebAssembly SIMD is missing. */
function simdModule(): object | null {
  if (compiled === undefined) {
    try {
      compiled = new webAssembly.Module(readFileSync(new URL('./own-wasm-kernels.wasm', import.meta.url)));
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

/** Whether this runtime compiles WebAssembly SIMD (every Node and Electron dinoscope supports does). */
export function simdKernelsAvailable(): boolean {
  return simdModule() !== null;
}

/** The kernels bound to the heap of the active wasm backend. */
export function simdKernels(backend: BackendWasm): SimdKernels {
  // The backend's WebAssembly.Memory: the kernels import it, so a grown heap stays theirs too.
  const memory = (backend.wasm as unknown as { asm: { memory: object } }).asm.memory;
  let kernels = instances.get(memory);
  if (!kernels) {
    const module = simdModule();
    if (!module) throw new Error('WebAssembly SIMD is not available for dinoscope’s kernels.');
    kernels = new webAssembly.Instance(module, { env: { memory } }).exports as SimdKernels;
    instances.set(memory, kernels);
  }
  return kernels;
}

/** Where a tensor's data starts in the heap (bytes). */
export function heapOffset(backend: BackendWasm, info: tf.TensorInfo): number {
  return backend.getMemoryOffset(info.dataId);
}

/**
 * Whether dinoscope's own kernels run: only on the wasm backend with WebAssembly SIMD and while
 * `enabled` (tests turn them off to compare with the op-by-op path). Registers them on first use,
 * then calls `onRegistered` (e.g. to register a gradient).
 */
export function ownWasmKernelsActive(
  enabled: boolean,
  kernels: Record<string, (args: never) => tf.TensorInfo | tf.TensorInfo[]>,
  onRegistered?: () => void,
): boolean {
  if (!enabled || tf.getBackend() !== 'wasm' || !simdKernelsAvailable()) return false;
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
