import { mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addFolders } from '../../../core/library/add-folders.ts';
import { scanLibrary } from '../../../core/library/scan.ts';
import { openDatabase } from '../../../core/store/database.ts';
import { listFolders } from '../../../core/store/folders.ts';
import { imageByPath } from '../../../core/store/images.ts';
import * as make from './fixture-images.ts';

describe('adding folders', () => {
  it('refuses a folder that does not exist (or is a file), naming it, and adds none of the others', () => {
    const root = make.tempFolder('add');
    const file = make.writeFile(root, 'photo.jpg', 'x');
    const db = openDatabase(':memory:');
    expect(() => addFolders(db, [root, join(root, 'nope')])).toThrow(
      `Folder not found: ${join(root, 'nope')}. Check the spelling`,
    );
    expect(() => addFolders(db, [file])).toThrow(/is a file, not a folder/);
    expect(() => addFolders(db, [])).toThrow(/No folder given/);
    expect(listFolders(db)).toEqual([]);
  });

  it('registers absolute paths once; a folder inside a registered one is already covered', () => {
    const root = make.tempFolder('add');
    mkdirSync(join(root, 'inner'));
    const db = openDatabase(':memory:');
    const first = addFolders(db, [relative(process.cwd(), root)]);
    expect(first.added.map((folder) => folder.path)).toEqual([root]);
    const again = addFolders(db, [root, join(root, 'inner')]);
    expect(again.added).toEqual([]);
    expect(again.alreadyCovered).toEqual([
      { path: root, by: root },
      { path: join(root, 'inner'), by: root },
    ]);
    expect(again.folderIds).toEqual([first.added[0].id]);
  });

  it('absorbs registered folders into a new parent: their images keep their ids', async () => {
    const root = make.tempFolder('add');
    make.writeFile(root, 'child/photo.jpg', await make.jpeg(10, 10));
    const db = openDatabase(':memory:');
    addFolders(db, [join(root, 'child')]);
    await scanLibrary(db);
    const before = imageByPath(db, join(root, 'child/photo.jpg'));
    const parent = addFolders(db, [root]);
    expect(listFolders(db).map((folder) => folder.path)).toEqual([root]);
    const after = imageByPath(db, join(root, 'child/photo.jpg'));
    expect(after).toMatchObject({ id: before?.id, folderId: parent.added[0].id, relPath: 'child/photo.jpg' });
    const rescan = await scanLibrary(db);
    expect(rescan).toMatchObject({ unchanged: 1, added: 0, missing: 0 });
  });
});
