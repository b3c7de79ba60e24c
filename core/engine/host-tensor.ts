/** A float32 tensor in plain memory: how weights travel between files, tfjs and ONNX Runtime. */
export interface HostTensor {
  shape: number[];
  data: Float32Array;
}

/** Tensors by name; names follow the official DINO PyTorch state dicts (`blocks.0.attn.qkv.weight`). */
export type NamedTensors = Map<string, HostTensor>;

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}
