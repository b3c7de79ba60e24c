import { existsSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Db } from '../store/database.ts';
import { resolveModel } from '../store/models.ts';
import { embeddingIndex } from './embedding-index.ts';

/** One photo of the library, as the search reports it. */
export interface ImageRef {
  imageId: number;
  path: string;
  relPath: string;
}

export interface NeighborsResult {
  model: { id: number; name: string };
  query: ImageRef;
  neighbors: (ImageRef & { similarity: number })[];
  /** Embedded photos searched. */
  searched: number;
  /** Time of the search itself, the matrix already in memory. */
  searchMilliseconds: number;
}

/**
 * A photo named on the command line: its id, or its path (absolute or relative to the working
 * directory; symlinks resolved as the scan resolved them).
 */
export function resolveImage(db: Db, image: string | number): ImageRef {
  const select = 'SELECT id AS imageId, path, rel_path AS relPath FROM images';
  if (typeof image === 'number' || (/^\d+$/.test(image) && !existsSync(image))) {
    const row = db.prepare(`${select} WHERE id = ?`).get(Number(image)) as ImageRef | undefined;
    if (!row) throw new Error(`No image with id ${image} in the library.`);
    return row;
  }
  const absolute = resolve(image);
  const candidates = [absolute, ...(existsSync(absolute) ? [realpathSync(absolute)] : [])];
  for (const path of candidates) {
    const row = db.prepare(`${select} WHERE path = ?`).get(path) as ImageRef | undefined;
    if (row) return row;
  }
  throw new Error(
    `${absolute} is not in the library. Add its folder with \`dinoscope add FOLDER\` and run \`dinoscope scan\`, then \`dinoscope embed\`.`,
  );
}

/** The k photos whose embeddings are most cosine-similar to the given photo's (exact search). */
export async function findNeighbors(
  db: Db,
  options: { image: string | number; k?: number; model?: string | number },
): Promise<NeighborsResult> {
  const model = resolveModel(db, options.model);
  const query = resolveImage(db, options.image);
  const k = options.k ?? 20;
  if (!Number.isInteger(k) || k < 1)
    throw new Error(`-k must be a positive whole number (got ${options.k}).`);
  const found = await nearestToImage(db, model.id, query.imageId, k);
  if (!found) {
    throw new Error(
      `${query.path} has no embedding for model "${model.name}" yet: run \`dinoscope embed --model ${model.id}\`.`,
    );
  }
  const refs = imageRefs(db, found.imageIds);
  return {
    model: { id: model.id, name: model.name },
    query,
    neighbors: Array.from(found.imageIds, (id, i) => ({
      ...(refs.get(id) ?? { imageId: id, path: '', relPath: '' }),
      similarity: found.similarities[i],
    })),
    searched: found.searched,
    searchMilliseconds: found.searchMilliseconds,
  };
}

/**
 * The k photos nearest to a photo of the library under a model, itself excluded; null when the
 * photo has no embedding for that model.
 */
export async function nearestToImage(
  db: Db,
  modelId: number,
  imageId: number,
  k: number,
): Promise<{
  imageIds: Int32Array;
  similarities: Float32Array;
  searched: number;
  searchMilliseconds: number;
} | null> {
  const index = await embeddingIndex(db, modelId);
  const vector = index.vectorOf(imageId);
  if (!vector) return null;
  const started = performance.now();
  const found = await index.nearest(vector, k, { excludeImageId: imageId });
  return { ...found, searched: index.count, searchMilliseconds: performance.now() - started };
}

export function imageRefs(db: Db, imageIds: ArrayLike<number>): Map<number, ImageRef> {
  const select = db.prepare('SELECT id AS imageId, path, rel_path AS relPath FROM images WHERE id = ?');
  const refs = new Map<number, ImageRef>();
  for (const id of Array.from(imageIds)) {
    const row = select.get(id) as ImageRef | undefined;
    if (row) refs.set(id, row);
  }
  return refs;
}
