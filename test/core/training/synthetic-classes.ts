import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { addFolders } from '../../../core/library/add-folders.ts';
import { scanLibrary } from '../../../core/library/scan.ts';
import { type Db, openDatabase } from '../../../core/store/database.ts';
import type { RgbPixels } from '../../../core/training/augmentation/bicubic-resize.ts';
import { Random } from '../../../core/training/random.ts';

/**
 * A small image set with visually distinct classes for the "it must actually learn" test: each
 * class is a kind of structure (horizontal stripes, checks, rings, blobs, diagonal stripes), all
 * drawn in the same two greys, and every image draws its own period, phase and position, plus
 * pixel noise. No colour or brightness tells the classes apart, only the shapes: a random network
 * sorts them far from perfectly, a network that learnt crop-invariant structure does better.
 */
export const SYNTHETIC_CLASSES = ['stripes', 'checks', 'rings', 'blobs', 'diagonals'] as const;

const SHADES = [0.25 * 255, 0.75 * 255];

export function syntheticImage(
  kind: (typeof SYNTHETIC_CLASSES)[number],
  size: number,
  random: Random,
): RgbPixels {
  const data = new Uint8Array(size * size * 3);
  const period = random.uniform(size / 6, size / 3.5);
  const offset = random.uniform(0, period);
  const cx = random.uniform(0.25, 0.75) * size;
  const cy = random.uniform(0.25, 0.75) * size;
  const blobs = Array.from({ length: 4 + random.integer(0, 3) }, () => ({
    x: random.uniform(0, size),
    y: random.uniform(0, size),
    r: random.uniform(size / 10, size / 5),
  }));
  const half = period / 2;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let region: number;
      if (kind === 'stripes') region = Math.floor((y + offset) / half);
      else if (kind === 'checks')
        region = Math.floor((x + offset) / half) * 7 + Math.floor((y + offset) / half);
      else if (kind === 'rings') region = Math.floor((Math.hypot(x - cx, y - cy) + offset) / half);
      else if (kind === 'diagonals') region = Math.floor((x + y + offset) / (half * 1.4));
      else region = blobs.some((blob) => Math.hypot(x - blob.x, y - blob.y) < blob.r) ? 1 : 0;
      const shade = SHADES[((region % 2) + 2) % 2];
      for (let c = 0; c < 3; c++) {
        const value = shade + random.normal() * 10;
        data[(y * size + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(value)));
      }
    }
  }
  return { width: size, height: size, data };
}

/** Writes `perClass` PNGs per class under `folder/<class>/`, and returns them with their labels. */
export async function writeSyntheticSet(
  folder: string,
  perClass: number,
  size: number,
  seed: number,
): Promise<{ images: RgbPixels[]; labels: number[] }> {
  const random = new Random(seed);
  const images: RgbPixels[] = [];
  const labels: number[] = [];
  for (const [label, kind] of SYNTHETIC_CLASSES.entries()) {
    mkdirSync(join(folder, kind), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const image = syntheticImage(kind, size, random);
      await sharp(Buffer.from(image.data), { raw: { width: size, height: size, channels: 3 } })
        .png()
        .toFile(join(folder, kind, `${kind}-${i}.png`));
      images.push(image);
      labels.push(label);
    }
  }
  return { images, labels };
}

/**
 * The library the trainer tests train on: 30 synthetic photos a class (256 px, seed 1) written to
 * `photos`, added to a new library database at `libraryFile` and scanned.
 */
export async function openSyntheticLibrary(photos: string, libraryFile: string): Promise<Db> {
  await writeSyntheticSet(photos, 30, 256, 1);
  const db = openDatabase(libraryFile);
  addFolders(db, [photos]);
  await scanLibrary(db);
  return db;
}
