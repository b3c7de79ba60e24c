import { realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { Db } from '../store/database.ts';
import { deleteFolder, type FolderRecord, insertFolder, listFolders } from '../store/folders.ts';

export interface AddFoldersResult {
  /** Newly registered folders. */
  added: FolderRecord[];
  /** Given folders the library already covers (registered, or inside a registered folder). */
  alreadyCovered: { path: string; by: string }[];
  /** The registered folders that cover every given path: what `scanLibrary` should scan now. */
  folderIds: number[];
}

/**
 * Registers folders (resolved to absolute real paths). Every path is checked before any is
 * registered: a folder that does not exist is a clear error and nothing changes. A folder inside
 * a registered one is already covered; a folder that contains registered ones absorbs them (their
 * images keep their ids and move under it).
 */
export function addFolders(db: Db, paths: string[]): AddFoldersResult {
  if (paths.length === 0) throw new Error('No folder given: name at least one folder of photos to add.');
  const resolved = paths.map(checkedFolder);
  const result: AddFoldersResult = { added: [], alreadyCovered: [], folderIds: [] };
  db.transaction(() => {
    for (const path of resolved) {
      const registered = listFolders(db);
      const covering = registered.find((folder) => isInside(path, folder.path));
      if (covering) {
        result.alreadyCovered.push({ path, by: covering.path });
        result.folderIds.push(covering.id);
        continue;
      }
      const folder = insertFolder(db, path);
      for (const inner of registered.filter((candidate) => isInside(candidate.path, path))) {
        absorb(db, inner, folder);
      }
      result.added.push(folder);
      result.folderIds.push(folder.id);
    }
  })();
  result.folderIds = [...new Set(result.folderIds)];
  return result;
}

function checkedFolder(path: string): string {
  const absolute = resolve(path);
  let stats: ReturnType<typeof statSync>;
  try {
    stats = statSync(absolute);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new Error(
        `Folder not found: ${absolute}. Check the spelling (or that its drive is connected) and run \`dinoscope add\` again; nothing was added.`,
      );
    }
    throw new Error(`Cannot open folder ${absolute}: ${(error as Error).message}. Nothing was added.`);
  }
  if (!stats.isDirectory()) {
    throw new Error(
      `${absolute} is a file, not a folder: add the folder that contains it. Nothing was added.`,
    );
  }
  return realpathSync(absolute);
}

/** `inner` is `outer` or below it. */
function isInside(inner: string, outer: string): boolean {
  const rel = relative(outer, inner);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

function absorb(db: Db, inner: FolderRecord, outer: FolderRecord): void {
  const images = db.prepare('SELECT id, path FROM images WHERE folder_id = ?').all(inner.id) as {
    id: number;
    path: string;
  }[];
  const move = db.prepare('UPDATE images SET folder_id = ?, rel_path = ? WHERE id = ?');
  for (const image of images) {
    move.run(outer.id, relative(outer.path, image.path).split(sep).join('/'), image.id);
  }
  deleteFolder(db, inner.id);
}
