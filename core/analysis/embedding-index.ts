import type { Db } from '../store/database.ts';
import { embeddingsFingerprint, loadEmbeddings } from '../store/embeddings.ts';
import { checkMatrix, cosineTopK, type TopK, TopKSelection } from './cosine-top-k.ts';
import type { SimilarityTiles } from './similarity-tile.ts';

/**
 * A model's embeddings held in memory for repeated exact searches (the UI asks one query per
 * click). The matrix is scanned whole for every query — exact, no index to build or go stale — by
 * ONNX Runtime's Gemm on every core when it is available (a memory-bound scan of 154 MB at
 * 100,000 × 384), else by a JS loop.
 */
export class EmbeddingIndex {
  private readonly rows = new Map<number, number>();
  private tiles: Promise<SimilarityTiles | null> | null = null;
  private scores: Float32Array | null = null;
  /** Queries run one at a time: they share the scores buffer. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly imageIds: Int32Array,
    readonly dim: number,
    /** imageIds.length × dim, L2-normalised rows. */
    readonly vectors: Float32Array,
    private readonly engine: 'auto' | 'js' | 'onnx' = 'auto',
  ) {
    if (imageIds.length > 0) checkMatrix(vectors, imageIds.length, dim); // a model with no embeddings yet is empty
    for (let row = 0; row < imageIds.length; row++) this.rows.set(imageIds[row], row);
  }

  get count(): number {
    return this.imageIds.length;
  }

  rowOf(imageId: number): number | undefined {
    return this.rows.get(imageId);
  }

  vectorOf(imageId: number): Float32Array | undefined {
    const row = this.rows.get(imageId);
    return row === undefined ? undefined : this.vectors.subarray(row * this.dim, (row + 1) * this.dim);
  }

  /** The k stored images most similar to `query`, leaving out `excludeImageId` (the query's own photo). */
  async nearest(
    query: Float32Array,
    k: number,
    options: { excludeImageId?: number } = {},
  ): Promise<{ imageIds: Int32Array; similarities: Float32Array }> {
    if (query.length !== this.dim)
      throw new Error(`The query has ${query.length} values; this model's embeddings have ${this.dim}.`);
    const excludeRow =
      options.excludeImageId === undefined ? -1 : (this.rows.get(options.excludeImageId) ?? -1);
    const run = this.queue.then(() => this.topK(query, k, excludeRow));
    this.queue = run.catch(() => undefined);
    const top = await run;
    const kept = top.indices.findIndex((i) => i < 0);
    const length = kept < 0 ? top.indices.length : kept;
    return {
      imageIds: Int32Array.from(top.indices.subarray(0, length), (row) => this.imageIds[row]),
      similarities: top.similarities.slice(0, length),
    };
  }

  private async topK(query: Float32Array, k: number, excludeRow: number): Promise<TopK> {
    const tiles = await this.onnxTiles();
    if (!tiles) return cosineTopK(this.vectors, this.count, this.dim, query, k, { excludeRow });
    this.scores ??= new Float32Array(this.count);
    const scores = this.scores;
    await tiles.tile(query, 1, this.vectors, this.count, this.dim, scores);
    if (excludeRow >= 0) scores[excludeRow] = Number.NEGATIVE_INFINITY;
    const kept = Math.max(0, Math.min(k, this.count - (excludeRow >= 0 ? 1 : 0)));
    const selection = new TopKSelection(1, kept);
    selection.offerRun(0, scores, this.count, 0);
    return selection.result(0);
  }

  private onnxTiles(): Promise<SimilarityTiles | null> {
    const wanted =
      this.engine === 'onnx' || (this.engine === 'auto' && this.count * this.dim >= ONNX_MIN_VALUES);
    if (!wanted) return Promise.resolve(null);
    this.tiles ??= import('./similarity-tile-onnx.ts')
      .then(({ onnxSimilarityTiles }) => onnxSimilarityTiles())
      .catch((error: unknown) => {
        if (this.engine === 'onnx') throw error;
        return null; // ONNX Runtime cannot load here: the JS scan gives the same answer
      });
    return this.tiles;
  }

  /** Frees the ONNX Runtime session, if one was opened. */
  async release(): Promise<void> {
    const tiles = await this.tiles?.catch(() => null);
    this.tiles = null;
    await tiles?.release();
  }
}

/** Below ~1M values (2,600 × 384) a JS scan takes under a millisecond: not worth a session. */
const ONNX_MIN_VALUES = 1_000_000;

const cache = new WeakMap<Db, Map<number, { fingerprint: string; index: Promise<EmbeddingIndex> }>>();

/**
 * The index of a model's embeddings, loaded once and kept while they do not change (checked by
 * `embeddingsFingerprint` on every call, one small query): a server answers many queries from it.
 */
export function embeddingIndex(db: Db, modelId: number): Promise<EmbeddingIndex> {
  let models = cache.get(db);
  if (!models) {
    models = new Map();
    cache.set(db, models);
  }
  const fingerprint = embeddingsFingerprint(db, modelId);
  const cached = models.get(modelId);
  if (cached && cached.fingerprint === fingerprint) return cached.index;
  if (cached) void cached.index.then((index) => index.release());
  const { imageIds, dim, vectors } = loadEmbeddings(db, modelId);
  const index = Promise.resolve(new EmbeddingIndex(imageIds, dim, vectors));
  models.set(modelId, { fingerprint, index });
  return index;
}

/** Drops the cached indexes of a library (a server closing it). */
export async function releaseEmbeddingIndexes(db: Db): Promise<void> {
  const models = cache.get(db);
  cache.delete(db);
  await Promise.all([...(models?.values() ?? [])].map(async (entry) => (await entry.index).release()));
}
