import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrate, openDatabase, schemaVersion } from '../../../core/store/database.ts';
import { libraryDataFolder } from '../../../core/store/library-location.ts';
import { migrations } from '../../../core/store/migrations.ts';

describe('library database', () => {
  it('creates a WAL file at the newest schema and reopens it unchanged', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'db-')), 'lib.sqlite');
    const db = openDatabase(file);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(schemaVersion(db)).toBe(migrations.at(-1)?.version);
    db.prepare('INSERT INTO folders (path, added_at) VALUES (?, ?)').run('/photos', 1);
    db.close();
    const again = openDatabase(file);
    expect(again.prepare('SELECT count(*) AS n FROM folders').get()).toEqual({ n: 1 });
    expect(again.pragma('integrity_check', { simple: true })).toBe('ok');
    again.close();
  });

  it('refuses a file from a newer schema instead of damaging it', () => {
    const db = openDatabase(':memory:');
    db.pragma('user_version = 999');
    expect(() => migrate(db, migrations)).toThrow(/newer dinoscope/);
  });

  it('rolls back a failing migration as a whole', () => {
    const db = openDatabase(':memory:');
    const version = schemaVersion(db);
    const broken = [
      ...migrations,
      { version: version + 1, description: 'bad', sql: 'CREATE TABLE t (x); SELECT nope FROM nowhere;' },
    ];
    expect(() => migrate(db, broken)).toThrow();
    expect(schemaVersion(db)).toBe(version);
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 't'").get()).toEqual({ n: 0 });
  });

  it('names the file and what to do when it is not a library', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'db-')), 'notes.sqlite');
    writeFileSync(file, 'shopping list: eggs, milk, bread, and enough text to fill a page header');
    expect(() => openDatabase(file)).toThrow(/notes\.sqlite cannot be opened as a dinoscope library.*--db/);
    expect(readFileSync(file, 'utf8')).toMatch(/^shopping list/);
  });

  it('keeps large files beside the library file', () => {
    expect(libraryDataFolder('/home/a/library.sqlite')).toBe('/home/a/library.data');
  });
});
