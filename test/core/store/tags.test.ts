import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate, openDatabase, schemaVersion } from '../../../core/store/database.ts';
import { insertFolder } from '../../../core/store/folders.ts';
import { deleteImage, getImage, insertImage, updateImage } from '../../../core/store/images.ts';
import { migrations } from '../../../core/store/migrations.ts';
import {
  addTag,
  createTag,
  deleteTag,
  imagesWithTag,
  listTags,
  removeTag,
  renameTag,
  tagsOfImages,
  UNDO_DEPTH,
  undoHistory,
  undoLastTagOperation,
} from '../../../core/store/tags.ts';

function library(photos = 5) {
  const db = openDatabase(':memory:');
  const folder = insertFolder(db, '/photos');
  const ids = Array.from({ length: photos }, (_, i) =>
    insertImage(db, {
      folderId: folder.id,
      path: `/photos/${i}.jpg`,
      relPath: `${i}.jpg`,
      size: 100,
      mtimeMs: 0,
      hash: `h${i}`,
      format: 'jpeg',
      width: 10,
      height: 10,
      capturedAt: null,
      status: 'ok',
      error: null,
      readAgain: false,
      scannedAt: 0,
    }),
  );
  return { db, ids };
}

describe('tags migration', () => {
  it('adds the tag tables to a library written before tags existed, keeping its photos', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'tags-')), 'old.sqlite');
    const old = new Database(file);
    migrate(
      old,
      migrations.filter((m) => m.version === 1),
    );
    old.prepare("INSERT INTO folders (path, added_at) VALUES ('/photos', 1)").run();
    old
      .prepare(
        `INSERT INTO images (folder_id, path, rel_path, size, mtime_ms, status, scanned_at)
         VALUES (1, '/photos/a.jpg', 'a.jpg', 1, 0, 'ok', 0)`,
      )
      .run();
    expect(schemaVersion(old)).toBe(1);
    old.close();
    const db = openDatabase(file);
    expect(schemaVersion(db)).toBe(migrations.at(-1)?.version);
    expect(schemaVersion(db)).toBeGreaterThanOrEqual(2);
    addTag(db, 'cats', [1]);
    expect(tagsOfImages(db).get(1)).toEqual(['cats']);
    db.close();
  });
});

describe('tags', () => {
  it('puts several tags on a photo, ignores repeats, and lists counts', () => {
    const { db, ids } = library();
    expect(addTag(db, 'cats', [ids[0], ids[1], ids[1]]).added).toBe(2);
    expect(addTag(db, 'Cats', [ids[1], ids[2]]).added).toBe(1); // same tag, case aside
    addTag(db, 'outdoor', [ids[1]]);
    expect(listTags(db).map((t) => [t.name, t.count])).toEqual([
      ['cats', 3],
      ['outdoor', 1],
    ]);
    expect(tagsOfImages(db).get(ids[1])).toEqual(['cats', 'outdoor']);
    expect(imagesWithTag(db, 'CATS')).toEqual([ids[0], ids[1], ids[2]]);
  });

  it('refuses unknown photos and bad names without changing anything', () => {
    const { db, ids } = library();
    expect(() => addTag(db, 'cats', [ids[0], 999])).toThrow(/No photo with id 999.*nothing was tagged/);
    expect(listTags(db)).toEqual([]);
    expect(() => addTag(db, '  ', [ids[0]])).toThrow(/needs a name/);
    expect(() => addTag(db, 'a/b', [ids[0]])).toThrow(/may not contain/);
    expect(() => addTag(db, '..', [ids[0]])).toThrow(/may not contain/);
    expect(() => removeTag(db, 'nope', [ids[0]])).toThrow(/No tag "nope"/);
  });

  it('belongs to the image id: a move or rename of the file keeps it; deleting the photo drops it', () => {
    const { db, ids } = library();
    addTag(db, 'cats', [ids[0], ids[1]]);
    const image = getImage(db, ids[0]);
    if (!image) throw new Error('missing');
    const { id: _id, ...fields } = image;
    updateImage(db, ids[0], { ...fields, path: '/photos/moved/renamed.jpg', relPath: 'moved/renamed.jpg' });
    expect(tagsOfImages(db).get(ids[0])).toEqual(['cats']);
    deleteImage(db, ids[1]);
    expect(imagesWithTag(db, 'cats')).toEqual([ids[0]]);
  });

  it('renames and deletes; a rename onto another tag is refused', () => {
    const { db, ids } = library();
    addTag(db, 'cat', [ids[0]]);
    addTag(db, 'dog', [ids[1]]);
    expect(() => renameTag(db, 'cat', 'DOG')).toThrow(/already a tag "dog"/);
    expect(renameTag(db, 'cat', 'Cat').name).toBe('Cat'); // a change of case is allowed
    expect(deleteTag(db, 'dog').removed).toBe(1);
    expect(listTags(db).map((t) => t.name)).toEqual(['Cat']);
    expect(() => createTag(db, 'cat')).toThrow(/already a tag/);
  });

  it('undoes the last operations in reverse order, back to nothing', () => {
    const { db, ids } = library();
    const snapshot = () =>
      JSON.stringify([listTags(db).map((t) => [t.id, t.name, t.count]), [...tagsOfImages(db)]]);
    const states = [snapshot()];
    addTag(db, 'cats', [ids[0], ids[1]]);
    states.push(snapshot());
    addTag(db, 'cats', [ids[1], ids[2]]);
    states.push(snapshot());
    addTag(db, 'dogs', [ids[3]], 'accepted');
    states.push(snapshot());
    removeTag(db, 'cats', [ids[0], ids[4]]);
    states.push(snapshot());
    renameTag(db, 'dogs', 'puppies');
    states.push(snapshot());
    deleteTag(db, 'cats');
    states.push(snapshot());
    createTag(db, 'empty');
    expect(undoHistory(db).map((h) => h.description)).toEqual([
      'create tag "empty"',
      'delete tag "cats"',
      'rename tag "dogs" to "puppies"',
      'untag 1 photo "cats"',
      'tag 1 photo "dogs"',
      'tag 1 photo "cats"',
      'tag 2 photos "cats"',
    ]);
    for (let i = states.length - 1; i >= 0; i--) {
      expect(undoLastTagOperation(db)).not.toBeNull();
      expect(snapshot()).toBe(states[i]);
    }
    expect(undoLastTagOperation(db)).toBeNull();
    // The accepted source comes back with an undone delete.
    addTag(db, 'dogs', [ids[3]], 'accepted');
    deleteTag(db, 'dogs');
    undoLastTagOperation(db);
    expect(db.prepare('SELECT source FROM image_tags').all()).toEqual([{ source: 'accepted' }]);
  });

  it('keeps a bounded undo history', () => {
    const { db, ids } = library();
    for (let i = 0; i < UNDO_DEPTH + 10; i++) addTag(db, `t${i}`, [ids[0]]);
    expect(undoHistory(db)).toHaveLength(UNDO_DEPTH);
  });
});
