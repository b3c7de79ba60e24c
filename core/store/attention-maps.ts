import type { Db } from './database.ts';

/** A photo's last-block CLS attention for one model at one input size: the cache the UI toggles heads from. */
export interface StoredAttention {
  modelId: number;
  imageId: number;
  longSide: number;
  imageHash: string | null;
  gridWidth: number;
  gridHeight: number;
  heads: number;
  /** heads × gridHeight × gridWidth. */
  attention: Float32Array;
}

export function saveAttention(db: Db, entry: StoredAttention): void {
  db.prepare(
    `INSERT OR REPLACE INTO attention_maps
       (model_id, image_id, long_side, image_hash, grid_width, grid_height, heads, attention, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    entry.modelId,
    entry.imageId,
    entry.longSide,
    entry.imageHash,
    entry.gridWidth,
    entry.gridHeight,
    entry.heads,
    Buffer.from(entry.attention.buffer, entry.attention.byteOffset, entry.attention.byteLength),
    Date.now(),
  );
}

export function loadAttention(
  db: Db,
  modelId: number,
  imageId: number,
  longSide: number,
): StoredAttention | null {
  const row = db
    .prepare(
      `SELECT image_hash AS imageHash, grid_width AS gridWidth, grid_height AS gridHeight, heads, attention
       FROM attention_maps WHERE model_id = ? AND image_id = ? AND long_side = ?`,
    )
    .get(modelId, imageId, longSide) as
    | { imageHash: string | null; gridWidth: number; gridHeight: number; heads: number; attention: Buffer }
    | undefined;
  if (!row) return null;
  const bytes = row.attention;
  return {
    modelId,
    imageId,
    longSide,
    imageHash: row.imageHash,
    gridWidth: row.gridWidth,
    gridHeight: row.gridHeight,
    heads: row.heads,
    attention: new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)),
  };
}
