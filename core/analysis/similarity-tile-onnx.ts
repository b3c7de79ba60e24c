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
  /** The Gemm + TopK session, started on first use (only crossTopK asks for it). */
  let fused: Awaited<ReturnType<typeof createSession>> | null = null;
  return {
    name: 'onnx',
    async topK(a, aRows, b, bRows, dim, k, values, indices) {
      fused ??= await createSession(similarityTopKGraph(), {
        threads: options.threads,
        executionProviders: ['cpu'],
      });
      const { session: topKSession, ort: runtime } = fused;
      await topKSession.run(
        {
          A: new runtime.Tensor('float32', a.subarray(0, aRows * dim), [aRows, dim]),
          B: new runtime.Tensor('float32', b.subarray(0, bRows * dim), [bRows, dim]),
          K: new runtime.Tensor('int64', BigInt64Array.of(BigInt(k)), [1]),
        },
        {
          V: new runtime.Tensor('float32', values.subarray(0, aRows * k), [aRows, k]),
          I: new runtime.Tensor('int32', indices.subarray(0, aRows * k), [aRows, k]),
        },
      );
    },
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
    async release() {
      await session.release();
      await fused?.session.release();
    },
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

/**
 * V, I = the K largest of each row of A · Bᵀ, sorted (ONNX TopK: equal values keep the lower index
 * first, the same order as TopKSelection), indices cast to int32. Propagation at 99,000 × 1,000
 * spent as long scanning the similarities in JS as multiplying them; TopK in the same run costs a
 * fraction of the Gemm and hands back 20 of every 1,000 values.
 */
export function similarityTopKGraph(): Uint8Array {
  const g = new OnnxGraphBuilder('cosine_top_k');
  const a = g.input('A', ['a', 'dim']);
  const b = g.input('B', ['b', 'dim']);
  const k = g.input('K', [1], 'int64');
  const s = g.node('Gemm', [a, b], { attributes: { transB: { int: 1 } } })[0];
  const [values, indices] = g.node('TopK', [s, k], {
    outputs: 2,
    attributes: { axis: { int: -1 }, largest: { int: 1 }, sorted: { int: 1 } },
  });
  g.output(values, 'V', ['a', 'k']);
  g.output(g.op('Cast', [indices], { to: { int: 6 } }), 'I', ['a', 'k'], 'int32');
  return g.serialize();
}
