import type { Db } from './database.ts';

/**
 * Tags a person gives photos: names, several per photo, stored by image id so that they survive
 * rescans, moves and renames. Every change is one transaction that also records the steps that
 * undo it (`tag_undo`), so the last operations can be taken back in order.
 */
export interface TagRecord {
  id: number;
  name: string;
  /** Photos carrying it (readable or not). */
  count: number;
  createdAt: number;
}

export type TagSource = 'manual' | 'accepted';

/** One step of an undo: the inverse of what an operation did. */
type UndoStep =
  | { kind: 'unlink'; tagId: number; imageIds: number[] }
  | { kind: 'link'; tagId: number; links: { imageId: number; source: TagSource; createdAt: number }[] }
  | { kind: 'drop'; tagId: number }
  | { kind: 'restore'; tagId: number; name: string; createdAt: number }
  | { kind: 'rename'; tagId: number; name: string };

/** Operations kept for undo: enough for a labelling session's mistakes, bounded so the table stays small. */
export const UNDO_DEPTH = 100;

const MAX_NAME_LENGTH = 100;

/** A tag name as stored: trimmed; refused when empty, too long, or holding a path separator or control character. */
export function checkTagName(name: string): string {
  const trimmed = name.trim();
  if (trimmed === '') throw new Error('A tag needs a name.');
  if (trimmed.length > MAX_NAME_LENGTH)
    throw new Error(`The tag name "${trimmed.slice(0, 20)}…" is longer than ${MAX_NAME_LENGTH} characters.`);
  // Tags become folder names in ImageFolder exports: no separators, no "." or "..".
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[/\\\u0000-\u001f]/.test(trimmed) || trimmed === '.' || trimmed === '..')
    throw new Error(`The tag name "${trimmed}" may not contain / or \\ or be "." or "..".`);
  return trimmed;
}

export function listTags(db: Db): TagRecord[] {
  return db
    .prepare(
      `SELECT t.id, t.name, t.created_at AS createdAt, count(it.image_id) AS count
       FROM tags t LEFT JOIN image_tags it ON it.tag_id = t.id GROUP BY t.id ORDER BY t.name COLLATE NOCASE`,
    )
    .all() as TagRecord[];
}

/** One tag with its photo count; the caller adds the WHERE that picks it. */
const SELECT_TAG = `SELECT t.id, t.name, t.created_at AS createdAt,
    (SELECT count(*) FROM image_tags WHERE tag_id = t.id) AS count
  FROM tags t`;

export function tagByName(db: Db, name: string): TagRecord | null {
  const row = db.prepare(`${SELECT_TAG} WHERE t.name = ?`).get(name.trim()) as TagRecord | undefined;
  return row ?? null;
}

export function tagById(db: Db, id: number): TagRecord | null {
  const row = db.prepare(`${SELECT_TAG} WHERE t.id = ?`).get(id) as TagRecord | undefined;
  return row ?? null;
}

function requireTag(db: Db, name: string): TagRecord {
  const tag = tagByName(db, name);
  if (!tag) throw new Error(`No tag "${name.trim()}". \`dinoscope tag list\` lists them.`);
  return tag;
}

/** Creates a tag (no photos yet); an existing name is refused. */
export function createTag(db: Db, name: string): TagRecord {
  const clean = checkTagName(name);
  return db.transaction(() => {
    if (tagByName(db, clean)) throw new Error(`There is already a tag "${clean}".`);
    const id = insertTag(db, clean);
    recordUndo(db, `create tag "${clean}"`, [{ kind: 'drop', tagId: id }]);
    return tagById(db, id) as TagRecord;
  })();
}

function insertTag(db: Db, name: string, id?: number, createdAt = Date.now()): number {
  const result = db
    .prepare('INSERT INTO tags (id, name, created_at) VALUES (?, ?, ?)')
    .run(id ?? null, name, createdAt);
  return Number(result.lastInsertRowid);
}

/**
 * Gives photos a tag, creating the tag when it does not exist. Photos that already carry it are
 * left as they are; unknown image ids are refused before anything changes.
 */
export function addTag(
  db: Db,
  name: string,
  imageIds: readonly number[],
  source: TagSource = 'manual',
): { tag: TagRecord; added: number } {
  const clean = checkTagName(name);
  return db.transaction(() => {
    checkImagesExist(db, imageIds);
    const existing = tagByName(db, clean);
    const tagId = existing?.id ?? insertTag(db, clean);
    const insert = db.prepare(
      'INSERT OR IGNORE INTO image_tags (image_id, tag_id, source, created_at) VALUES (?, ?, ?, ?)',
    );
    const now = Date.now();
    const added: number[] = [];
    for (const imageId of new Set(imageIds)) {
      if (insert.run(imageId, tagId, source, now).changes > 0) added.push(imageId);
    }
    const steps: UndoStep[] = [{ kind: 'unlink', tagId, imageIds: added }];
    if (!existing) steps.push({ kind: 'drop', tagId });
    recordUndo(db, `tag ${plural(added.length)} "${clean}"`, steps);
    return { tag: tagById(db, tagId) as TagRecord, added: added.length };
  })();
}

/** Takes a tag off photos (the tag itself stays, possibly with no photos). */
export function removeTag(db: Db, name: string, imageIds: readonly number[]): { removed: number } {
  return db.transaction(() => {
    const tag = requireTag(db, name);
    const links = linksOf(db, tag.id, imageIds);
    const remove = db.prepare('DELETE FROM image_tags WHERE tag_id = ? AND image_id = ?');
    for (const link of links) remove.run(tag.id, link.imageId);
    recordUndo(db, `untag ${plural(links.length)} "${tag.name}"`, [{ kind: 'link', tagId: tag.id, links }]);
    return { removed: links.length };
  })();
}

export function renameTag(db: Db, from: string, to: string): TagRecord {
  const clean = checkTagName(to);
  return db.transaction(() => {
    const tag = requireTag(db, from);
    const clash = tagByName(db, clean);
    if (clash && clash.id !== tag.id)
      throw new Error(
        `There is already a tag "${clash.name}". Tag its photos with both names, or delete one first.`,
      );
    db.prepare('UPDATE tags SET name = ? WHERE id = ?').run(clean, tag.id);
    recordUndo(db, `rename tag "${tag.name}" to "${clean}"`, [
      { kind: 'rename', tagId: tag.id, name: tag.name },
    ]);
    return tagById(db, tag.id) as TagRecord;
  })();
}

/** Deletes a tag and takes it off every photo (undo brings both back). */
export function deleteTag(db: Db, name: string): { removed: number } {
  return db.transaction(() => {
    const tag = requireTag(db, name);
    const links = linksOf(db, tag.id, null);
    db.prepare('DELETE FROM tags WHERE id = ?').run(tag.id); // image_tags cascade
    recordUndo(db, `delete tag "${tag.name}"`, [
      { kind: 'restore', tagId: tag.id, name: tag.name, createdAt: tag.createdAt },
      { kind: 'link', tagId: tag.id, links },
    ]);
    return { removed: links.length };
  })();
}

/** Every tag of each photo that has one: image id → tag names, by name. */
export function tagsOfImages(db: Db): Map<number, string[]> {
  const rows = db
    .prepare(
      `SELECT it.image_id AS imageId, t.name FROM image_tags it JOIN tags t ON t.id = it.tag_id
       ORDER BY it.image_id, t.name COLLATE NOCASE`,
    )
    .all() as { imageId: number; name: string }[];
  const tags = new Map<number, string[]>();
  for (const row of rows) {
    const list = tags.get(row.imageId);
    if (list) list.push(row.name);
    else tags.set(row.imageId, [row.name]);
  }
  return tags;
}

/** Image ids carrying a tag. */
export function imagesWithTag(db: Db, name: string): number[] {
  const tag = requireTag(db, name);
  return (
    db.prepare('SELECT image_id AS id FROM image_tags WHERE tag_id = ? ORDER BY image_id').all(tag.id) as {
      id: number;
    }[]
  ).map((row) => row.id);
}

/** Operations that can be undone, newest first. */
export function undoHistory(db: Db): { id: number; description: string; createdAt: number }[] {
  return db
    .prepare('SELECT id, description, created_at AS createdAt FROM tag_undo ORDER BY id DESC')
    .all() as { id: number; description: string; createdAt: number }[];
}

/** Takes back the newest tag operation; null when there is nothing to undo. */
export function undoLastTagOperation(db: Db): { description: string } | null {
  return db.transaction(() => {
    const row = db.prepare('SELECT id, description, inverse FROM tag_undo ORDER BY id DESC LIMIT 1').get() as
      | { id: number; description: string; inverse: string }
      | undefined;
    if (!row) return null;
    for (const step of JSON.parse(row.inverse) as UndoStep[]) applyStep(db, step);
    db.prepare('DELETE FROM tag_undo WHERE id = ?').run(row.id);
    return { description: row.description };
  })();
}

function applyStep(db: Db, step: UndoStep): void {
  switch (step.kind) {
    case 'unlink': {
      const remove = db.prepare('DELETE FROM image_tags WHERE tag_id = ? AND image_id = ?');
      for (const imageId of step.imageIds) remove.run(step.tagId, imageId);
      return;
    }
    case 'link': {
      // Photos deleted from the library since then are skipped: their tags went with them.
      const insert = db.prepare(
        `INSERT OR IGNORE INTO image_tags (image_id, tag_id, source, created_at)
         SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM images WHERE id = ?)`,
      );
      for (const link of step.links)
        insert.run(link.imageId, step.tagId, link.source, link.createdAt, link.imageId);
      return;
    }
    case 'drop':
      db.prepare('DELETE FROM tags WHERE id = ?').run(step.tagId);
      return;
    case 'restore': {
      const clash = tagByName(db, step.name);
      if (clash)
        throw new Error(`Cannot undo: a tag "${clash.name}" exists again. Rename or delete it first.`);
      insertTag(db, step.name, step.tagId, step.createdAt);
      return;
    }
    case 'rename': {
      const clash = tagByName(db, step.name);
      if (clash && clash.id !== step.tagId)
        throw new Error(`Cannot undo: a tag "${clash.name}" exists again. Rename or delete it first.`);
      db.prepare('UPDATE tags SET name = ? WHERE id = ?').run(step.name, step.tagId);
      return;
    }
  }
}

/**
 * Stores the steps that undo an operation, in the order undo runs them (unlink before dropping a
 * tag; restore a tag before linking it again).
 */
function recordUndo(db: Db, description: string, inverse: UndoStep[]): void {
  db.prepare('INSERT INTO tag_undo (description, inverse, created_at) VALUES (?, ?, ?)').run(
    description,
    JSON.stringify(inverse),
    Date.now(),
  );
  db.prepare('DELETE FROM tag_undo WHERE id <= (SELECT max(id) FROM tag_undo) - ?').run(UNDO_DEPTH);
}

function linksOf(
  db: Db,
  tagId: number,
  imageIds: readonly number[] | null,
): { imageId: number; source: TagSource; createdAt: number }[] {
  const rows = db
    .prepare(
      'SELECT image_id AS imageId, source, created_at AS createdAt FROM image_tags WHERE tag_id = ? ORDER BY image_id',
    )
    .all(tagId) as { imageId: number; source: TagSource; createdAt: number }[];
  if (imageIds === null) return rows;
  const wanted = new Set(imageIds);
  return rows.filter((row) => wanted.has(row.imageId));
}

function checkImagesExist(db: Db, imageIds: readonly number[]): void {
  const exists = db.prepare('SELECT 1 FROM images WHERE id = ?');
  const unknown = imageIds.filter((id) => !exists.get(id));
  if (unknown.length > 0)
    throw new Error(
      `No photo with id ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ' …' : ''} in the library; nothing was tagged.`,
    );
}

const plural = (n: number) => `${n} photo${n === 1 ? '' : 's'}`;
