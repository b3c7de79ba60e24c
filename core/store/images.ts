import type { Db } from './database.ts';

export type ImageStatus = 'ok' | 'error' | 'missing';

/** One file the library knows: a readable image, one that could not be read, or one that is gone. */
export interface ImageRecord {
  id: number;
  folderId: number;
  path: string;
  relPath: string;
  size: number;
  mtimeMs: number;
  /** sha256 of the file's bytes (hex); null when the file could not be read. */
  hash: string | null;
  format: string | null;
  /** As displayed (EXIF orientation applied). */
  width: number | null;
  height: number | null;
  /** EXIF capture time, ISO 8601 (local time as the camera recorded it, with its offset when known). */
  capturedAt: string | null;
  status: ImageStatus;
  error: string | null;
  /** After an I/O error the next scan reads the file again even if its size and mtime did not change. */
  readAgain: boolean;
  scannedAt: number;
}

export type ImageFields = Omit<ImageRecord, 'id'>;

/** The stored, already-decoded pixels of one image. */
export interface ImagePixels {
  thumbnail: Buffer;
  thumbnailMime: string;
  train: Buffer;
  /** How `train` is encoded (see `decodeTrainingCopy`). */
  trainFormat: string;
  trainWidth: number;
  trainHeight: number;
}

interface ImageRow {
  id: number;
  folder_id: number;
  path: string;
  rel_path: string;
  size: number;
  mtime_ms: number;
  hash: string | null;
  format: string | null;
  width: number | null;
  height: number | null;
  captured_at: string | null;
  status: ImageStatus;
  error: string | null;
  read_again: number;
  scanned_at: number;
}

const fromRow = (row: ImageRow): ImageRecord => ({
  id: row.id,
  folderId: row.folder_id,
  path: row.path,
  relPath: row.rel_path,
  size: row.size,
  mtimeMs: row.mtime_ms,
  hash: row.hash,
  format: row.format,
  width: row.width,
  height: row.height,
  capturedAt: row.captured_at,
  status: row.status,
  error: row.error,
  readAgain: row.read_again === 1,
  scannedAt: row.scanned_at,
});

const toParams = (image: ImageFields) => ({
  folder_id: image.folderId,
  path: image.path,
  rel_path: image.relPath,
  size: image.size,
  mtime_ms: Math.trunc(image.mtimeMs),
  hash: image.hash,
  format: image.format,
  width: image.width,
  height: image.height,
  captured_at: image.capturedAt,
  status: image.status,
  error: image.error,
  read_again: image.readAgain ? 1 : 0,
  scanned_at: image.scannedAt,
});

export function getImage(db: Db, id: number): ImageRecord | null {
  const row = db.prepare('SELECT * FROM images WHERE id = ?').get(id) as ImageRow | undefined;
  return row ? fromRow(row) : null;
}

export function imageByPath(db: Db, path: string): ImageRecord | null {
  const row = db.prepare('SELECT * FROM images WHERE path = ?').get(path) as ImageRow | undefined;
  return row ? fromRow(row) : null;
}

export function imagesInFolder(db: Db, folderId: number): ImageRecord[] {
  return (db.prepare('SELECT * FROM images WHERE folder_id = ? ORDER BY id').all(folderId) as ImageRow[]).map(
    fromRow,
  );
}

/** Missing images with this content, oldest first: a new path with the same bytes is the same photo, moved. */
export function missingImagesWithHash(db: Db, hash: string): ImageRecord[] {
  return (
    db
      .prepare("SELECT * FROM images WHERE hash = ? AND status = 'missing' ORDER BY id")
      .all(hash) as ImageRow[]
  ).map(fromRow);
}

export function insertImage(db: Db, image: ImageFields): number {
  const { lastInsertRowid } = db
    .prepare(
      `INSERT INTO images (folder_id, path, rel_path, size, mtime_ms, hash, format, width, height, captured_at,
         status, error, read_again, scanned_at)
       VALUES (@folder_id, @path, @rel_path, @size, @mtime_ms, @hash, @format, @width, @height, @captured_at,
         @status, @error, @read_again, @scanned_at)`,
    )
    .run(toParams(image));
  return Number(lastInsertRowid);
}

export function updateImage(db: Db, id: number, image: ImageFields): void {
  db.prepare(
    `UPDATE images SET folder_id = @folder_id, path = @path, rel_path = @rel_path, size = @size,
       mtime_ms = @mtime_ms, hash = @hash, format = @format, width = @width, height = @height,
       captured_at = @captured_at, status = @status, error = @error, read_again = @read_again,
       scanned_at = @scanned_at
     WHERE id = @id`,
  ).run({ ...toParams(image), id });
}

export function setImageStatus(db: Db, id: number, status: ImageStatus, error: string | null): void {
  db.prepare('UPDATE images SET status = ?, error = ? WHERE id = ?').run(status, error, id);
}

export function deleteImage(db: Db, id: number): void {
  db.prepare('DELETE FROM images WHERE id = ?').run(id);
}

export function hasPixels(db: Db, imageId: number): boolean {
  return db.prepare('SELECT 1 FROM image_pixels WHERE image_id = ?').get(imageId) !== undefined;
}

export function putPixels(db: Db, imageId: number, pixels: ImagePixels): void {
  db.prepare(
    `INSERT OR REPLACE INTO image_pixels
       (image_id, thumbnail, thumbnail_mime, train, train_format, train_width, train_height)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    imageId,
    pixels.thumbnail,
    pixels.thumbnailMime,
    pixels.train,
    pixels.trainFormat,
    pixels.trainWidth,
    pixels.trainHeight,
  );
}

export function deletePixels(db: Db, imageId: number): void {
  db.prepare('DELETE FROM image_pixels WHERE image_id = ?').run(imageId);
}

/** Embeddings describe the bytes they were computed from: when a file's content changes they are stale. */
export function deleteEmbeddingsOf(db: Db, imageId: number): void {
  db.prepare('DELETE FROM embeddings WHERE image_id = ?').run(imageId);
}

export interface StatusCounts {
  ok: number;
  error: number;
  missing: number;
}

/** Image counts by status, per folder id. */
export function statusCountsByFolder(db: Db): Map<number, StatusCounts> {
  const rows = db
    .prepare('SELECT folder_id AS folderId, status, count(*) AS n FROM images GROUP BY folder_id, status')
    .all() as { folderId: number; status: ImageStatus; n: number }[];
  const counts = new Map<number, StatusCounts>();
  for (const { folderId, status, n } of rows) {
    const entry = counts.get(folderId) ?? { ok: 0, error: 0, missing: 0 };
    entry[status] = n;
    counts.set(folderId, entry);
  }
  return counts;
}

export function formatCounts(db: Db): Record<string, number> {
  const rows = db
    .prepare("SELECT format, count(*) AS n FROM images WHERE status = 'ok' GROUP BY format ORDER BY n DESC")
    .all() as { format: string; n: number }[];
  return Object.fromEntries(rows.map((row) => [row.format, row.n]));
}

export function storedPixelBytes(db: Db): { thumbnails: number; trainingCopies: number } {
  const row = db
    .prepare(
      'SELECT coalesce(sum(length(thumbnail)), 0) AS thumbnails, coalesce(sum(length(train)), 0) AS trainingCopies FROM image_pixels',
    )
    .get() as { thumbnails: number; trainingCopies: number };
  return row;
}

export function imagesWithStatus(db: Db, status: ImageStatus): ImageRecord[] {
  return (db.prepare('SELECT * FROM images WHERE status = ? ORDER BY path').all(status) as ImageRow[]).map(
    fromRow,
  );
}
