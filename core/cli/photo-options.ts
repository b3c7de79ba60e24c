import type { Command } from 'commander';
import { resolveImage } from '../analysis/neighbors.ts';
import type { PhotoFilter } from '../api.ts';
import type { Db } from '../store/database.ts';
import { resolveModel } from '../store/models.ts';
import { filterPhotos, isEmptyFilter } from '../store/photo-filter.ts';

/**
 * The options that name a set of photos, shared by `tag`, `select` and exports: explicit photos,
 * or a filter (cluster, folder, format, tag, untagged, capture dates), the same filter the app's
 * map and grid apply.
 */
export interface PhotoOptions {
  images?: string;
  cluster?: string[];
  folder?: string[];
  format?: string[];
  tag?: string[];
  untagged?: boolean;
  from?: string;
  to?: string;
  model?: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function addPhotoOptions(command: Command, options: { tagOption?: boolean } = {}): Command {
  command
    .option('--images <ids>', 'photos by id or path, comma-separated')
    .option('--cluster <n>', 'photos of this cluster of the map (repeatable; -1 is noise)', collect)
    .option('--folder <path>', 'photos inside this folder (repeatable)', collect)
    .option('--format <name>', 'photos of this format, e.g. jpeg, png (repeatable)', collect)
    .option('--untagged', 'only photos without any tag')
    .option('--from <date>', 'captured on or after this date (ISO, e.g. 2024-05-01)')
    .option('--to <date>', 'captured on or before this date (ISO; 2024-05 means to the end of May)')
    .option('--model <id>', 'model id or name whose clusters and embeddings are used (default: the newest)');
  if (options.tagOption !== false)
    command.option('--tag <name>', 'photos carrying this tag (repeatable)', collect);
  return command;
}

export function photoFilterOf(options: PhotoOptions): PhotoFilter {
  const filter: PhotoFilter = {};
  if (options.cluster) {
    filter.clusters = options.cluster.map((c) => {
      const n = Number(c);
      if (!Number.isInteger(n) || n < -1) throw new Error(`--cluster must be a cluster number (got ${c}).`);
      return n;
    });
  }
  if (options.folder) filter.folders = options.folder;
  if (options.format) filter.formats = options.format;
  if (options.tag) filter.tags = options.tag;
  if (options.untagged) filter.untagged = true;
  if (options.from) filter.capturedFrom = options.from;
  if (options.to) filter.capturedTo = options.to;
  return filter;
}

/**
 * The photos the options name: `--images` (intersected with any filter), or the filter; null when
 * nothing was named (the command decides whether that means "all" or is an error).
 */
export function resolvePhotos(db: Db, options: PhotoOptions): number[] | null {
  const filter = photoFilterOf(options);
  const explicit = options.images
    ? options.images
        .split(',')
        .map((part) => part.trim())
        .filter((part) => part !== '')
        .map((part) => resolveImage(db, part).imageId)
    : null;
  if (isEmptyFilter(filter)) return explicit;
  const modelId = filter.clusters ? resolveModel(db, options.model).id : undefined;
  const matching = filterPhotos(db, filter, { modelId });
  if (!explicit) return matching;
  const inFilter = new Set(matching);
  return explicit.filter((id) => inFilter.has(id));
}
