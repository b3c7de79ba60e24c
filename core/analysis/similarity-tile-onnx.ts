import { availableParallelism } from 'node:os';
import { createSession } from '../engine/onnx-runtime.ts';
import { OnnxGraphBuilder } from '../export/onnx-builder.ts';
import type { SimilarityTiles } from './similarity-tile.ts';

/**
 * Tiles computed by ONNX Runtime's `Gemm` (MLAS: AVX2/AVX-512 kernels on every core), tens of
 * GFLOP/s where plain JS manages one or two. `run` is asynchronous: the caller scans one tile in
 * JS while the next one is being multiplied.
 */
export async function onnxSimilarityTiles(options: { threads?: number } = {}): Promise<SimilarityTiles> {
  const { session, ort } = await createSession(similarityGraph(), {
    threads: options.threads ?? availableParallelism(),
    executionProviders: ['cpu'],
  });
  return {
    name: 'onnx',
    async tile(a, aRows, b, bRows, dim) {
      const result = await session.run({
        A: new ort.Tensor('float32', a.subarray(0, aRows * dim), [aRows, dim]),
        B: new ort.Tensor('float32', b.subarray(0, bRows * dim), [bRows, dim]),
      });
      return result.S.data as Float32Array;
    },
    release: () => session.release(),
  };
}

/** S = A · Bᵀ for A [a, dim], B [b, dim]: one Gemm with transB, so B is read in its stored layout. */
export function similarityGraph(): Uint8Array {
  const g = new OnnxGraphBuilder('cosine_similarity');
  const a = g.input('A', ['a', 'dim']);
  const b = g.input('B', ['b', 'dim']);
  const s = g.node('Gemm', [a, b], { outputs: ['S'], attributes: { transB: { int: 1 } } })[0];
  g.output(s, 'S', ['a', 'b']);
  return g.serialize();
}
