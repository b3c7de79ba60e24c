import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from './own-wasm-kernels.ts';

/**
 * Kernels of tfjs-backend-wasm 4.22 replaced where the stock ones copy far more than they must;
 * same inputs, attributes and results (strings go to the stock kernels):
 * - `Slice` and `Unpack` (unstack) first copy the whole input out of the wasm heap (`readSync`)
 *   for every slice, so cutting a tensor into n pieces costs n whole copies (~5 ms per slice of a
 *   10 MB tensor, which made per-head attention products impossible). These view the heap in place.
 * - `Identity` copies its input; it backs `tf.clone`, which autograd applies to every tensor a
 *   custom gradient saves. It shares the data instead, as the backend's own `Reshape` does: tfjs
 *   never writes into a tensor's memory after creating it.
 */
export function installWasmKernelFixes(): void {
  installSlice();
  installUnpack();
  installIdentity();
}

type KernelArgs<Inputs, Attrs> = { inputs: Inputs; attrs: Attrs; backend: BackendWasm };

/**
 * Replaces a stock wasm kernel by `fast` for numeric tensors (strings, in `input`, stay with the
 * stock kernel); done once, whoever asks again.
 */
function replaceWasmKernel<Inputs extends Record<string, tf.TensorInfo>, Attrs>(
  name: string,
  input: keyof Inputs,
  fast: (args: KernelArgs<Inputs, Attrs>) => tf.TensorInfo | tf.TensorInfo[],
): void {
  const stock = tf.getKernel(name, 'wasm');
  if (!stock || (stock.kernelFunc as { dinoscope?: boolean }).dinoscope) return;
  const kernelFunc = ((args: KernelArgs<Inputs, Attrs>) =>
    args.inputs[input].dtype === 'string'
      ? stock.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0])
      : fast(args)) as unknown as tf.KernelFunc & { dinoscope?: boolean };
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

function installUnpack(): void {
  replaceWasmKernel<{ value: tf.TensorInfo }, { axis: number }>(
    'Unpack',
    'value',
    ({ inputs: { value }, attrs, backend }) => {
      const rank = value.shape.length;
      const axis = attrs.axis < 0 ? attrs.axis + rank : attrs.axis;
      const outShape = value.shape.filter((_, i) => i !== axis);
      const size = value.shape.map((d, i) => (i === axis ? 1 : d));
      const outs = Array.from({ length: value.shape[axis] }, () => backend.makeOutput(outShape, value.dtype));
      // Views are taken after every output exists: allocating may grow the heap and detach views.
      const input = backend.typedArrayFromHeap(value);
      outs.forEach((out, i) => {
        const begin = value.shape.map((_, j) => (j === axis ? i : 0));
        copySlice(input, value.shape, begin, size, backend.typedArrayFromHeap(out));
      });
      return outs;
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
