/**
 * The photos of `../shared/datasets/imagenette-dev` (or a class-balanced subset) as a dinoscope
 * library in a temporary folder: what bench:learn and bench:adapt train and measure on. The folder
 * names are the classes; they never reach training, only the k-NN scores.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Db, openDatabase } from '../core/store/database.ts';

export const imagenetteDev = fileURLToPath(new URL('../../shared/datasets/imagenette-dev/', import.meta.url));

/** Ends the bench with a `skipped:` line when the dataset is absent; `why` says what it needs it for. */
export function requireImagenette(why: string): void {
  if (existsSync(imagenetteDev)) return;
  console.log(`skipped: ${imagenetteDev} is absent (${why}).`);
  process.exit(0);
}

/**
 * Copies the photos (at most about `subset` in all, the same count from each class) into a new
 * folder named with `prefix` under the system's temporary folder and opens a library database
 * there; the caller adds and scans `photos`, and removes `work` when done.
 */
export function copyImagenetteLibrary(
  prefix: string,
  subset?: number,
): { work: string; photos: string; classes: string[]; libraryFile: string; db: Db } {
  const work = mkdtempSync(join(tmpdir(), prefix));
  const photos = join(work, 'photos');
  const classes = readdirSync(imagenetteDev, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  const perClass = subset ? Math.ceil(subset / classes.length) : Number.POSITIVE_INFINITY;
  for (const name of classes) {
    mkdirSync(join(photos, name), { recursive: true });
    for (const file of readdirSync(join(imagenetteDev, name)).sort().slice(0, perClass))
      copyFileSync(join(imagenetteDev, name, file), join(photos, name, file));
  }
  const libraryFile = join(work, 'library.sqlite');
  return { work, photos, classes, libraryFile, db: openDatabase(libraryFile) };
}
