import { cosineTopK } from '../analysis/cosine-top-k.ts';
import type { Neighbor } from '../api.ts';
import type { Db } from '../store/database.ts';
import { type EmbeddingMatrix, embeddingsFingerprint, loadEmbeddings } from '../store/embeddings.ts';
import { ApiFailure } from './api-failure.ts';

/**
 * Nearest neighbours of a photo for the Photo view: exact cosine top-k over the model's embeddings,
 * kept in memory between clicks and reloaded when the embeddings change.
 */
export class NeighborSearch {
  private cached: {
    modelId: number;
    fingerprint: string;
    matrix: EmbeddingMatrix;
    rowOf: Map<number, number>;
  } | null = null;

  constructor(private readonly db: Db) {}

  neighbors(modelId: number, imageId: number, k: number): Neighbor[] {
    const { matrix, rowOf } = this.embeddings(modelId);
    const row = rowOf.get(imageId);
    if (row === undefined) {
      throw new ApiFailure(
        `Photo ${imageId} has no embedding for this model yet.`,
        'Compute the embeddings (Training view → Embed photos), then try again.',
      );
    }
    const query = matrix.vectors.subarray(row * matrix.dim, (row + 1) * matrix.dim);
    const count = matrix.imageIds.length;
    const top = cosineTopK(matrix.vectors, count, matrix.dim, query, k, { excludeRow: row });
    return Array.from(top.indices, (index, i) => ({
      imageId: matrix.imageIds[index],
      similarity: top.similarities[i],
    }));
  }

  private embeddings(modelId: number) {
    const fingerprint = embeddingsFingerprint(this.db, modelId);
    if (this.cached?.modelId !== modelId || this.cached.fingerprint !== fingerprint) {
      const matrix = loadEmbeddings(this.db, modelId);
      const rowOf = new Map<number, number>();
      for (let row = 0; row < matrix.imageIds.length; row++) rowOf.set(matrix.imageIds[row], row);
      this.cached = { modelId, fingerprint, matrix, rowOf };
    }
    return this.cached;
  }
}
