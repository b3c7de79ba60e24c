import { createSession } from '../engine/onnx-runtime.ts';
import { OnnxGraphBuilder } from '../export/onnx-builder.ts';
import type { SimilarityTiles } from './similarity-tile.ts';

/**
 * Tiles computed by ONNX Runtime's `Gemm` (MLAS: AVX2/AVX-512 kernels on every core). Measured
 * side by side on one 2048² tile here (bench:neighbors, busy machine): blocked JS 1.0 GFLOP/s,
 * tfjs-wasm's 2-D matMul 6.3, this 11 (best runs 37). `run` is asynchronous: the caller scans one
 * tile in JS while the next ones are being multiplied.
 *
 * One session with a thread per core: 8 tiles at a time on a busy machine, it ran at a median
 * 44 GFLOP/s against 36 for two single-threaded sessions running tiles side by side.
 *
 * Not used: int8 `MatMulInteger` (VNNI) ran only 1.65× faster than this Gemm on the same tile, and
 * staying exact would need a margin of candidates re-scored in float32 plus a full fallback for
 * rows whose margin is crowded (bursts of near-identical photos): too little left to gain.
 */
export async function onnxSimilarityTiles(options: { threads?: number } = {}): Promise<SimilarityTiles> {
  const { session, ort } = await createSession(similarityGraph(), {
    threads: options.threads,
    executionProviders: ['cpu'],
  });
  return {
    name: 'onnx',
    async tile(a, aRows, b, bRows, dim, out) {
      // The output is bound to the caller's buffer: no 16 MB allocation per tile.
      await session.run(
        {
          A: new ort.Tensor('float32', a.subarray(0, aRows * dim), [aRows, dim]),
          B: new ort.Tensor('float32', b.subarray(0, bRows * dim), [bRows, dim]),
        },
        { S: new ort.Tensor('float32', out.subarray(0, aRows * bRows), [aRows, bRows]) },
      );
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
