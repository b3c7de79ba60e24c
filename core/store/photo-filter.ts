import { resolve, sep } from 'node:path';
import type { PhotoFilter } from '../api.ts';
import type { Db } from './database.ts';

/**
 * The readable photos a filter selects, as ascending image ids: one place decides, so the map, the
 * grid, tag operations and exports agree on what "these photos" means.
 *
 * Capture dates are compared as ISO 8601 text (the scan stores EXIF time as the camera wrote it):
 * `capturedTo` is inclusive of everything it prefixes, so `2024-05` reaches the end of May.
 */
export function filterPhotos(db: Db, filter: PhotoFilter, options: { modelId?: number } = {}): number[] {
  const where: string[] = ["i.status = 'ok'"];
  const params: (string | number)[] = [];
  if (filter.clusters) {
    if (options.modelId === undefined) throw new Error('Filtering by cluster needs a model (--model).');
    if (filter.clusters.length === 0) return [];
    where.push(
      `i.id IN (SELECT image_id FROM cluster_members WHERE model_id = ? AND cluster IN (${marks(filter.clusters)}))`,
    );
    params.push(options.modelId, ...filter.clusters);
  }
  if (filter.folders) {
    if (filter.folders.length === 0) return [];
    const clauses = filter.folders.map(() => '(i.path LIKE ? ESCAPE ?)');
    where.push(`(${clauses.join(' OR ')})`);
    for (const folder of filter.folders) params.push(`${likeEscape(folderPrefix(folder))}%`, '\\');
  }
  if (filter.formats) {
    if (filter.formats.length === 0) return [];
    where.push(`i.format IN (${marks(filter.formats)})`);
    params.push(...filter.formats.map((f) => f.toLowerCase()));
  }
  if (filter.tags) {
    if (filter.tags.length === 0) return [];
    where.push(
      `i.id IN (SELECT it.image_id FROM image_tags it JOIN tags t ON t.id = it.tag_id WHERE t.name IN (${marks(filter.tags)}))`,
    );
    params.push(...filter.tags);
  }
  if (filter.untagged) where.push('NOT EXISTS (SELECT 1 FROM image_tags it WHERE it.image_id = i.id)');
  if (filter.capturedFrom) {
    where.push('i.captured_at IS NOT NULL AND i.captured_at >= ?');
    params.push(filter.capturedFrom);
  }
  if (filter.capturedTo) {
    where.push("i.captured_at IS NOT NULL AND i.captured_at < ? || '\uffff'");
    params.push(filter.capturedTo);
  }
  return (
    db.prepare(`SELECT i.id FROM images i WHERE ${where.join(' AND ')} ORDER BY i.id`).all(...params) as {
      id: number;
    }[]
  ).map((row) => row.id);
}

/** True when the filter narrows nothing (every readable photo). */
export function isEmptyFilter(filter: PhotoFilter): boolean {
  return Object.values(filter).every((value) => value === undefined || value === false);
}

const marks = (values: readonly unknown[]) => values.map(() => '?').join(', ');

/** A folder as the prefix its photos' paths start with (resolved, with a trailing separator). */
function folderPrefix(folder: string): string {
  const absolute = resolve(folder);
  return absolute.endsWith(sep) ? absolute : `${absolute}${sep}`;
}

function likeEscape(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}
