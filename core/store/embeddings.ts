import type { Db } from './database.ts';

/** All stored embeddings of one model as one row-major matrix, in image-id order. */
export interface EmbeddingMatrix {
  imageIds: Int32Array;
  dim: number;
  /** imageIds.length × dim, L2-normalised rows. */
  vectors: Float32Array;
}

export function putEmbeddings(
  db: Db,
  modelId: number,
  rows: { imageId: number; vector: Float32Array }[],
): void {
  const insert = db.prepare(
    'INSERT OR REPLACE INTO embeddings (image_id, model_id, dim, vector, created_at) VALUES (?, ?, ?, ?, ?)',
  );
  const now = Date.now();
  db.transaction(() => {
    for (const { imageId, vector } of rows) {
      insert.run(
        imageId,
        modelId,
        vector.length,
        Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength),
        now,
      );
    }
  })();
}

export function loadEmbeddings(db: Db, modelId: number, options: { onlyOk?: boolean } = {}): EmbeddingMatrix {
  const sql =
    options.onlyOk === false
      ? 'SELECT e.image_id AS id, e.dim AS dim, e.vector AS vector FROM embeddings e WHERE e.model_id = ? ORDER BY e.image_id'
      : `SELECT e.image_id AS id, e.dim AS dim, e.vector AS vector FROM embeddings e
       JOIN images i ON i.id = e.image_id WHERE e.model_id = ? AND i.status = 'ok' ORDER BY e.image_id`;
  const rows = db.prepare(sql).all(modelId) as { id: number; dim: number; vector: Buffer }[];
  const dim = rows[0]?.dim ?? 0;
  const imageIds = new Int32Array(rows.length);
  const vectors = new Float32Array(rows.length * dim);
  const bytes = new Uint8Array(vectors.buffer);
  rows.forEach((row, i) => {
    imageIds[i] = row.id;
    bytes.set(row.vector, i * dim * 4);
  });
  return { imageIds, dim, vectors };
}

export function embeddingFor(db: Db, modelId: number, imageId: number): Float32Array | null {
  const row = db
    .prepare('SELECT vector FROM embeddings WHERE model_id = ? AND image_id = ?')
    .get(modelId, imageId) as { vector: Buffer } | undefined;
  if (!row) return null;
  return new Float32Array(
    row.vector.buffer.slice(row.vector.byteOffset, row.vector.byteOffset + row.vector.byteLength),
  );
}

/**
 * Changes whenever the set of embeddings of a model changes, so that a stored map or clustering
 * can tell it is stale.
 */
export function embeddingsFingerprint(db: Db, modelId: number): string {
  const row = db
    .prepare(
      `SELECT count(*) AS n, coalesce(max(e.created_at), 0) AS newest, coalesce(sum(e.image_id), 0) AS ids
       FROM embeddings e JOIN images i ON i.id = e.image_id WHERE e.model_id = ? AND i.status = 'ok'`,
    )
    .get(modelId) as { n: number; newest: number; ids: number };
  return `${row.n}:${row.newest}:${row.ids}`;
}
