import type { Db } from '../store/database.ts';
import { listFolders } from '../store/folders.ts';
import { formatCounts, imagesWithStatus, statusCountsByFolder, storedPixelBytes } from '../store/images.ts';

export interface FolderStatus {
  id: number;
  path: string;
  /** Every file the library knows in this folder, whatever its status. */
  imageCount: number;
  ok: number;
  error: number;
  missing: number;
  lastScanStartedAt: number | null;
  /** null when its last scan did not finish (stopped or crashed): `scan` continues it. */
  lastScanFinishedAt: number | null;
}

export interface LibraryStatusReport {
  folders: FolderStatus[];
  counts: { total: number; ok: number; error: number; missing: number };
  /** Readable images per format. */
  formats: Record<string, number>;
  /** Bytes of stored thumbnails and training copies. */
  storedBytes: { thumbnails: number; trainingCopies: number };
  /** Some folder's last scan did not finish. */
  unfinishedScan: boolean;
}

/**
 * Per-folder and total counts: cheap (the status index), so the app can poll it during a scan;
 * `libraryStatus` adds what needs a pass over every image.
 */
export function folderStatuses(db: Db): Pick<LibraryStatusReport, 'folders' | 'counts'> {
  const counts = statusCountsByFolder(db);
  const folders = listFolders(db).map((folder): FolderStatus => {
    const { ok, error, missing } = counts.get(folder.id) ?? { ok: 0, error: 0, missing: 0 };
    return {
      id: folder.id,
      path: folder.path,
      imageCount: ok + error + missing,
      ok,
      error,
      missing,
      lastScanStartedAt: folder.lastScanStartedAt,
      lastScanFinishedAt: folder.lastScanFinishedAt,
    };
  });
  const sum = (key: 'ok' | 'error' | 'missing') => folders.reduce((total, folder) => total + folder[key], 0);
  const [ok, error, missing] = [sum('ok'), sum('error'), sum('missing')];
  return { folders, counts: { total: ok + error + missing, ok, error, missing } };
}

/** What the library holds, as JSON-able data (CLI `status`). */
export function libraryStatus(db: Db): LibraryStatusReport {
  const { folders, counts } = folderStatuses(db);
  return {
    folders,
    counts,
    formats: formatCounts(db),
    storedBytes: storedPixelBytes(db),
    unfinishedScan: folders.some((folder) => folder.lastScanFinishedAt === null),
  };
}

export interface ImageErrorReport {
  id: number;
  path: string;
  folderPath: string;
  relPath: string;
  reason: string;
  scannedAt: number;
}

/** Every file that could not be read, with its reason, by path. */
export function listErrors(db: Db): ImageErrorReport[] {
  const folderPaths = new Map(listFolders(db).map((folder) => [folder.id, folder.path]));
  return imagesWithStatus(db, 'error').map((image) => ({
    id: image.id,
    path: image.path,
    folderPath: folderPaths.get(image.folderId) ?? '',
    relPath: image.relPath,
    reason: image.error ?? 'Unknown error',
    scannedAt: image.scannedAt,
  }));
}

/** Images the library knew whose file is gone, by path. */
export function listMissing(db: Db): { id: number; path: string }[] {
  return imagesWithStatus(db, 'missing').map((image) => ({ id: image.id, path: image.path }));
}
