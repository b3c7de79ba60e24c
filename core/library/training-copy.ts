import sharp from 'sharp';
import type { Db } from '../store/database.ts';

/** 8-bit RGB pixels, row-major HWC (`data.length === width * height * 3`). */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

export interface TrainableImage {
  id: number;
  /** Absolute path of the original. */
  path: string;
  /** Relative to its registered folder; the first segment may be a class name. */
  relPath: string;
  /** The registered folder the image was found in. */
  folderPath: string;
}

/** Every readable image whose training copy is stored, in id order (stable across rescans). */
export function listTrainableImages(db: Db): TrainableImage[] {
  return db
    .prepare(
      `SELECT i.id AS id, i.path AS path, i.rel_path AS relPath, f.path AS folderPath
       FROM images i JOIN folders f ON f.id = i.folder_id JOIN image_pixels p ON p.image_id = i.id
       WHERE i.status = 'ok' ORDER BY i.id`,
    )
    .all() as TrainableImage[];
}

interface TrainRow {
  train: Buffer;
  train_format: string;
  train_width: number;
  train_height: number;
}

/**
 * The training-ready copy of an image (short side 256 px, EXIF orientation applied), decoded
 * from the library file: the multi-megapixel original is never read again.
 */
export async function readTrainingCopy(db: Db, imageId: number): Promise<RgbImage> {
  const row = db
    .prepare('SELECT train, train_format, train_width, train_height FROM image_pixels WHERE image_id = ?')
    .get(imageId) as TrainRow | undefined;
  if (!row) {
    throw new Error(
      `Image ${imageId} has no training copy in the library: it is missing, unreadable, or not scanned yet. Run \`dinoscope scan\`.`,
    );
  }
  return decodeTrainingCopy(row.train, row.train_format, row.train_width, row.train_height);
}

/** Decodes a stored training copy; `format` is the `image_pixels.train_format` it was written with. */
export async function decodeTrainingCopy(
  bytes: Uint8Array,
  format: string,
  width: number,
  height: number,
): Promise<RgbImage> {
  if (format === 'rgb8') {
    return { width, height, data: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
  }
  const { data, info } = await sharp(bytes)
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.width !== width || info.height !== height || info.channels !== 3) {
    throw new Error(
      `Stored training copy (${format}) decoded to ${info.width}×${info.height}×${info.channels}, expected ${width}×${height}×3. Rescan the library.`,
    );
  }
  return { width, height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/** The stored thumbnail (about 256 px long side), or null when the image has none. */
export function readThumbnail(db: Db, imageId: number): { bytes: Buffer; mime: string } | null {
  const row = db
    .prepare('SELECT thumbnail, thumbnail_mime FROM image_pixels WHERE image_id = ?')
    .get(imageId) as { thumbnail: Buffer; thumbnail_mime: string } | undefined;
  return row ? { bytes: row.thumbnail, mime: row.thumbnail_mime } : null;
}
