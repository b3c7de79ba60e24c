import { join } from 'node:path';
import type { MapFacts } from '../api.ts';
import type { Db } from '../store/database.ts';
import { listTags } from '../store/tags.ts';

/**
 * What the map is coloured and filtered by, per point in the map's order: folder group (the
 * registered folder, or its first-level subfolder — where people sort photos by event or class),
 * format, capture time, tags. Columns of small integers so that 100,000 points stay a few MB.
 */
export function mapFacts(db: Db, imageIds: readonly number[]): MapFacts {
  const rows = db
    .prepare(
      `SELECT i.id, f.path AS folder, i.rel_path AS relPath, i.format, i.captured_at AS capturedAt
       FROM images i JOIN folders f ON f.id = i.folder_id`,
    )
    .all() as {
    id: number;
    folder: string;
    relPath: string;
    format: string | null;
    capturedAt: string | null;
  }[];
  const byId = new Map(rows.map((row) => [row.id, row]));
  const folders: string[] = [];
  const folderIndex = new Map<string, number>();
  const formats: string[] = [];
  const formatIndex = new Map<string, number>();
  const indexOf = (list: string[], index: Map<string, number>, value: string) => {
    let i = index.get(value);
    if (i === undefined) {
      i = list.length;
      list.push(value);
      index.set(value, i);
    }
    return i;
  };
  const tags = listTags(db);
  const tagsOf = new Map<number, number[]>();
  for (const link of db.prepare('SELECT image_id AS imageId, tag_id AS tagId FROM image_tags').all() as {
    imageId: number;
    tagId: number;
  }[]) {
    const list = tagsOf.get(link.imageId);
    if (list) list.push(link.tagId);
    else tagsOf.set(link.imageId, [link.tagId]);
  }
  const facts: MapFacts = {
    folders,
    folder: [],
    formats,
    format: [],
    capturedAt: [],
    tags: tags.map((t) => ({ id: t.id, name: t.name, count: t.count })),
    pointTags: [],
  };
  for (const id of imageIds) {
    const row = byId.get(id);
    const parts = row ? row.relPath.split(/[\\/]/) : [];
    const group = row ? (parts.length > 1 ? join(row.folder, parts[0]) : row.folder) : '';
    facts.folder.push(indexOf(folders, folderIndex, group));
    facts.format.push(row?.format ? indexOf(formats, formatIndex, row.format) : -1);
    const time = row?.capturedAt ? Date.parse(row.capturedAt) : Number.NaN;
    facts.capturedAt.push(Number.isFinite(time) ? time : null);
    facts.pointTags.push(tagsOf.get(id) ?? []);
  }
  return facts;
}
