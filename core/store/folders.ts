import type { Db } from './database.ts';

/** A folder the user registered; everything below it belongs to the library. */
export interface FolderRecord {
  id: number;
  /** Absolute and resolved. */
  path: string;
  addedAt: number;
  lastScanStartedAt: number | null;
  /** null while the last scan is unfinished (stopped or crashed): the next scan resumes it. */
  lastScanFinishedAt: number | null;
}

interface FolderRow {
  id: number;
  path: string;
  added_at: number;
  last_scan_started_at: number | null;
  last_scan_finished_at: number | null;
}

const fromRow = (row: FolderRow): FolderRecord => ({
  id: row.id,
  path: row.path,
  addedAt: row.added_at,
  lastScanStartedAt: row.last_scan_started_at,
  lastScanFinishedAt: row.last_scan_finished_at,
});

export function listFolders(db: Db): FolderRecord[] {
  return (db.prepare('SELECT * FROM folders ORDER BY path').all() as FolderRow[]).map(fromRow);
}

export function folderByPath(db: Db, path: string): FolderRecord | null {
  const row = db.prepare('SELECT * FROM folders WHERE path = ?').get(path) as FolderRow | undefined;
  return row ? fromRow(row) : null;
}

export function insertFolder(db: Db, path: string, addedAt = Date.now()): FolderRecord {
  const { lastInsertRowid } = db
    .prepare('INSERT INTO folders (path, added_at) VALUES (?, ?)')
    .run(path, addedAt);
  return fromRow(db.prepare('SELECT * FROM folders WHERE id = ?').get(Number(lastInsertRowid)) as FolderRow);
}

export function deleteFolder(db: Db, id: number): void {
  db.prepare('DELETE FROM folders WHERE id = ?').run(id);
}

export function markScanStarted(db: Db, folderId: number, at = Date.now()): void {
  db.prepare('UPDATE folders SET last_scan_started_at = ?, last_scan_finished_at = NULL WHERE id = ?').run(
    at,
    folderId,
  );
}

export function markScanFinished(db: Db, folderId: number, at = Date.now()): void {
  db.prepare('UPDATE folders SET last_scan_finished_at = ? WHERE id = ?').run(at, folderId);
}
