import type { Dirent, Stats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { hasImageExtension } from './image-format.ts';
import { describeFileSystemError } from './read-failure.ts';

export interface FoundFile {
  path: string;
  /** Relative to the registered folder, with '/' separators on every platform. */
  relPath: string;
  size: number;
  mtimeMs: number;
}

/** Something below the folder that could not be looked at: a symlink loop, an unreadable subfolder. */
export interface WalkProblem {
  path: string;
  relPath: string;
  reason: string;
  /** A folder that could not be listed: what the library knows below it must not be marked missing. */
  unlistedFolder: boolean;
}

export interface FolderContents {
  files: FoundFile[];
  problems: WalkProblem[];
}

/**
 * Names that are never photos: macOS resource forks and folder metadata (`._IMG_0001.jpg`,
 * `.DS_Store`, `.Spotlight-V100`), every other hidden name, and NAS / Windows system folders.
 * They are skipped quietly.
 */
const SYSTEM_FOLDERS = new Set(['@eaDir', '#recycle', '$RECYCLE.BIN', 'System Volume Information']);
const isLitter = (name: string) => name.startsWith('.') || SYSTEM_FOLDERS.has(name);

/** How many `stat` calls are in flight while listing one folder. */
const STAT_CONCURRENCY = 64;

/**
 * Lists every image file below `root` (recursively, following symbolic links, each real folder
 * visited once). Image files are picked by extension, case-insensitively; whether a file really is
 * an image is decided later, on its content. Throws only when `root` itself cannot be listed.
 */
export async function walkFolder(
  root: string,
  options: { signal?: AbortSignal; onFound?: (count: number) => void } = {},
): Promise<FolderContents> {
  const rootStats = await stat(root);
  if (!rootStats.isDirectory())
    throw Object.assign(new Error(`${root} is not a folder`), { code: 'ENOTDIR' });
  const files: FoundFile[] = [];
  const problems: WalkProblem[] = [];
  const visited = new Set<string>([folderKey(rootStats)]);
  const relPathOf = (path: string) => relative(root, path).split(sep).join('/');
  // Depth-first; each entry carries the keys of its ancestors to tell a loop from a second route.
  const stack: { path: string; ancestors: Map<string, string> }[] = [
    { path: root, ancestors: new Map([[folderKey(rootStats), root]]) },
  ];
  while (stack.length > 0) {
    if (options.signal?.aborted) break;
    const folder = stack.pop() as (typeof stack)[number];
    let entries: Dirent[];
    try {
      entries = await readdir(folder.path, { withFileTypes: true });
    } catch (error) {
      if (folder.path === root) throw error;
      problems.push({
        path: folder.path,
        relPath: relPathOf(folder.path),
        reason: `Folder could not be listed: ${describeFileSystemError(error)}`,
        unlistedFolder: true,
      });
      continue;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const toStat = entries.filter(
      (entry) =>
        !isLitter(entry.name) &&
        (entry.isDirectory() || entry.isSymbolicLink() || (entry.isFile() && hasImageExtension(entry.name))),
    );
    const stats = await mapLimited(toStat, STAT_CONCURRENCY, (entry) =>
      stat(join(folder.path, entry.name)).then(
        (value) => ({ value, error: null }),
        (error: unknown) => ({ value: null, error }),
      ),
    );
    const subfolders: typeof stack = [];
    toStat.forEach((entry, i) => {
      const path = join(folder.path, entry.name);
      const { value, error } = stats[i];
      if (!value) {
        // A dangling link or a file gone since the listing is nothing to index; a loop is a problem.
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return;
        if (!entry.isSymbolicLink() && entry.isDirectory()) {
          problems.push({
            path,
            relPath: relPathOf(path),
            reason: describeFileSystemError(error),
            unlistedFolder: true,
          });
        } else if (code === 'ELOOP' || hasImageExtension(entry.name)) {
          problems.push({
            path,
            relPath: relPathOf(path),
            reason: describeFileSystemError(error),
            unlistedFolder: false,
          });
        }
        return;
      }
      if (value.isDirectory()) {
        const key = folderKey(value);
        const ancestor = folder.ancestors.get(key);
        if (ancestor !== undefined) {
          problems.push({
            path,
            relPath: relPathOf(path),
            reason: `Symbolic link loop: it leads back to ${ancestor}, which contains it. It was not followed.`,
            unlistedFolder: false,
          });
          return;
        }
        if (visited.has(key)) return; // reached by a second route: its images are already listed
        visited.add(key);
        subfolders.push({ path, ancestors: new Map(folder.ancestors).set(key, path) });
      } else if (value.isFile() && hasImageExtension(entry.name)) {
        files.push({ path, relPath: relPathOf(path), size: value.size, mtimeMs: Math.trunc(value.mtimeMs) });
      }
    });
    options.onFound?.(files.length);
    stack.push(...subfolders.reverse()); // popped in name order
  }
  return { files, problems };
}

const folderKey = (stats: Stats) => `${stats.dev}:${stats.ino}`;

async function mapLimited<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
