import { availableParallelism } from 'node:os';
import { similarityGraph } from './similarity-onnx-graph.ts';
import type { SimilarityTiles } from './similarity-tile.ts';

/**
 * Tiles computed by ONNX Runtime's `Gemm` (MLAS: AVX2/AVX-512 kernels on every core), tens of
 * GFLOP/s where plain JS manages one or two. `run` is asynchronous: the caller scans one tile in
 * JS while the next one is being multiplied.
 */
export async function onnxSimilarityTiles(options: { threads?: number } = {}): Promise<SimilarityTiles> {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(similarityGraph(), {
    intraOpNumThreads: options.threads ?? availableParallelism(),
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
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
    async release() {
      await session.release();
    },
  };
}
