import * as tf from '@tensorflow/tfjs';
import { type BackendWasm, heapOffset, simdKernels, simdKernelsAvailable } from './own-wasm-kernels.ts';

/**
 * Kernels of tfjs-backend-wasm 4.22 replaced where the stock ones copy far more than they must or
 * move one element at a time; same inputs, attributes and results (strings go to the stock kernels):
 * - `Slice` first copies the whole input out of the wasm heap (`readSync`) for every slice, so
 *   cutting a tensor into n pieces costs n whole copies (~5 ms per slice of a 10 MB tensor). This
 *   one views the heap in place.
 * - `Transpose` moves one element at a time (~1.6 ns an element; power-of-two rows collide in the
 *   cache). Swapping the last two axes, which every dense layer's backward does, runs on
 *   dinoscope's SIMD kernel in 4 × 4 blocks; other permutations stay with the stock kernel.
 * - `Identity` copies its input; it backs `tf.clone`, which autograd applies to every tensor a
 *   custom gradient saves. It shares the data instead, as the backend's own `Reshape` does: tfjs
 *   never writes into a tensor's memory after creating it.
 */
export function installWasmKernelFixes(): void {
  installSlice();
  if (simdKernelsAvailable()) installTranspose();
  installIdentity();
}

type KernelArgs<Inputs, Attrs> = { inputs: Inputs; attrs: Attrs; backend: BackendWasm };

type StockKernel = (args: unknown) => tf.TensorInfo | tf.TensorInfo[];

/**
 * Replaces a stock wasm kernel by `fast` for numeric tensors (strings, in `input`, stay with the
 * stock kernel, which `fast` may also hand a case to); done once, whoever asks again.
 */
function replaceWasmKernel<Inputs extends Record<string, tf.TensorInfo>, Attrs>(
  name: string,
  input: keyof Inputs,
  fast: (args: KernelArgs<Inputs, Attrs>, stock: StockKernel) => tf.TensorInfo | tf.TensorInfo[],
): void {
  const stock = tf.getKernel(name, 'wasm');
  if (!stock || (stock.kernelFunc as { dinoscope?: boolean }).dinoscope) return;
  const stockKernel = stock.kernelFunc as unknown as StockKernel;
  const kernelFunc = ((args: KernelArgs<Inputs, Attrs>) =>
    args.inputs[input].dtype === 'string'
      ? stockKernel(args)
      : fast(args, stockKernel)) as unknown as tf.KernelFunc & { dinoscope?: boolean };
  kernelFunc.dinoscope = true;
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ ...stock, kernelFunc });
}

function installIdentity(): void {
  replaceWasmKernel<{ x: tf.TensorInfo }, unknown>('Identity', 'x', ({ inputs: { x }, backend }) => {
    backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  });
}

function installTranspose(): void {
  replaceWasmKernel<{ x: tf.TensorInfo }, { perm: number[] }>('Transpose', 'x', (args, stock) => {
    const {
      inputs: { x },
      attrs: { perm },
      backend,
    } = args;
    const rank = perm.length;
    const swapsLastTwo =
      rank >= 2 &&
      perm[rank - 1] === rank - 2 &&
      perm[rank - 2] === rank - 1 &&
      perm.slice(0, -2).every((p, i) => p === i);
    // The kernel moves 4-byte elements.
    if (!swapsLastTwo || (x.dtype !== 'float32' && x.dtype !== 'int32')) return stock(args);
    const out = backend.makeOutput(
      perm.map((axis) => x.shape[axis]),
      x.dtype,
    );
    const [rows, cols] = x.shape.slice(-2);
    const batch = tf.util.sizeFromShape(x.shape.slice(0, -2));
    simdKernels(backend).transpose(heapOffset(backend, x), heapOffset(backend, out), batch, rows, cols);
    return out;
  });
}

function installSlice(): void {
  replaceWasmKernel<{ x: tf.TensorInfo }, { begin: number | number[]; size: number | number[] }>(
    'Slice',
    'x',
    ({ inputs: { x }, attrs, backend }) => {
      const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, attrs.begin, attrs.size);
      const out = backend.makeOutput(size, x.dtype);
      // Views are taken after makeOutput: allocating may grow the heap and detach older views.
      copySlice(backend.typedArrayFromHeap(x), x.shape, begin, size, backend.typedArrayFromHeap(out));
      return out;
    },
  );
}

/** Copies the box `begin`..`begin + size` of a row-major tensor into `out`, one innermost run at a time. */
export function copySlice(
  input: ArrayLike<number> & { subarray(start: number, end: number): ArrayLike<number> },
  shape: number[],
  begin: number[],
  size: number[],
  out: { set(values: ArrayLike<number>, offset: number): void },
): void {
  const rank = shape.length;
  const total = size.reduce((a, b) => a * b, 1);
  if (total === 0) return;
  const strides = tf.util.computeStrides(shape);
  if (rank === 0) {
    out.set(input.subarray(0, 1), 0);
    return;
  }
  // Merge the trailing axes the box spans completely into one contiguous run.
  let run = size[rank - 1];
  let runAxes = 1;
  while (runAxes < rank && size[rank - runAxes] === shape[rank - runAxes]) {
    run *= size[rank - runAxes - 1];
    runAxes++;
  }
  const outer = rank - runAxes;
  const index = new Array<number>(Math.max(outer, 0)).fill(0);
  const baseOffset = begin.reduce((offset, b, axis) => offset + b * (strides[axis] ?? 1), 0);
  for (let written = 0; written < total; written += run) {
    let offset = baseOffset;
    for (let axis = 0; axis < outer; axis++) offset += index[axis] * strides[axis];
    out.set(input.subarray(offset, offset + run), written);
    for (let axis = outer - 1; axis >= 0; axis--) {
      if (++index[axis] < size[axis]) break;
      index[axis] = 0;
    }
  }
}
