import { mkdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { importModel } from '../export/model-library.ts';
import type { ProgressListener } from '../jobs/progress.ts';
import type { ImportedWeights } from '../model/weight-import.ts';
import type { Db } from '../store/database.ts';
import { libraryDataFolder } from '../store/library-location.ts';
import type { ModelRecord } from '../store/models.ts';
import { findPublishedWeights, PUBLISHED_WEIGHTS, type PublishedWeights } from './published-weights.ts';
import { DownloadRefused, type DownloadResult, downloadFile } from './resumable-download.ts';

/**
 * `dinoscope weights fetch NAME|URL`: download published weights into the library's data folder
 * (resumable, checksum-verified), check that the tensors are the architecture the catalogue
 * promises, and import them as a library model. The downloaded file is deleted once imported:
 * the model keeps its own copy of the backbone, and 100–350 MB twice is a lot on a laptop.
 */
export interface FetchWeightsOptions {
  /** Overrides (or, for a URL, supplies) the expected SHA-256. */
  sha256?: string;
  /** The model's name in the library (default: the catalogue title or the file name). */
  name?: string;
  /** Attention heads, for a URL whose width is not 64 per head. */
  numHeads?: number;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
  retries?: number;
  retryDelayMs?: number;
  /** The catalogue to look names up in (tests inject entries for their fixtures). */
  catalogue?: readonly PublishedWeights[];
}

export interface FetchWeightsResult {
  model: ModelRecord;
  description: string;
  download: DownloadResult;
  /** The catalogue entry, or null for a URL of one's own. */
  entry: PublishedWeights | null;
}

export function weightsFolder(libraryFile: string): string {
  return join(libraryDataFolder(libraryFile), 'weights');
}

export async function fetchWeights(
  db: Db,
  libraryFile: string,
  nameOrUrl: string,
  options: FetchWeightsOptions = {},
): Promise<FetchWeightsResult> {
  const catalogue = options.catalogue ?? PUBLISHED_WEIGHTS;
  const entry = findPublishedWeights(nameOrUrl, catalogue);
  const isUrl = /^https?:\/\//i.test(nameOrUrl);
  if (!entry && !isUrl) {
    throw new Error(
      `"${nameOrUrl}" is neither a published model nor an http(s) URL. \`dinoscope weights list\` shows the names: ${catalogue
        .map((e) => e.key)
        .join(', ')}.`,
    );
  }
  const urls = entry ? [entry.url, ...(entry.fallbackUrls ?? [])] : [nameOrUrl];
  const folder = weightsFolder(libraryFile);
  mkdirSync(folder, { recursive: true });
  let url = urls[0];
  let file = '';
  let download: DownloadResult | null = null;
  for (const [index, candidate] of urls.entries()) {
    url = candidate;
    file = join(
      folder,
      index === 0 ? (entry?.fileName ?? urlFileName(url)) : `${entry?.key}-${index}-${urlFileName(url)}`,
    );
    try {
      download = await downloadFile(url, file, {
        // A pinned checksum belongs to the first address's file.
        sha256: options.sha256 ?? (index === 0 ? entry?.sha256 : null) ?? null,
        label: entry ? `downloading ${entry.key}` : 'downloading',
        onProgress: options.onProgress,
        signal: options.signal,
        env: options.env,
        retries: options.retries,
        retryDelayMs: options.retryDelayMs,
      });
      break;
    } catch (error) {
      const another = index + 1 < urls.length;
      if (!(another && error instanceof DownloadRefused && error.status === 404)) throw error;
    }
  }
  if (!download) throw new Error(`${nameOrUrl}: nothing was downloaded.`);
  try {
    const { model, description } = await importModel(db, libraryFile, file, {
      name: options.name,
      defaultName: entry?.title ?? basename(new URL(url).pathname).replace(/\.[^.]*$/, ''),
      // The head count is not in the shapes; the catalogue knows it.
      numHeads: options.numHeads ?? entry?.architecture.numHeads,
      check: entry ? (imported) => checkArchitecture(imported, entry, basename(file)) : undefined,
      source: url,
    });
    return { model, description, download, entry };
  } finally {
    rmSync(file, { force: true });
  }
}

/** The tensors must be the backbone the catalogue promises, named (so a wrong file never becomes a model). */
export function checkArchitecture(imported: ImportedWeights, entry: PublishedWeights, source: string): void {
  const { config } = imported;
  const found = {
    patchSize: config.patchSize,
    embedDim: config.embedDim,
    depth: config.depth,
    numHeads: config.numHeads,
    mlpRatio: config.mlpRatio,
    imgSize: config.imgSize,
    registers: config.registers ?? 0,
    layerScale: !!config.layerScale,
  };
  const wrong = (Object.keys(found) as (keyof typeof found)[]).filter(
    (key) => found[key] !== entry.architecture[key],
  );
  if (wrong.length > 0) {
    throw new Error(
      `${source} is not ${entry.title}: ${wrong.map((key) => `${key} ${found[key]} where ${entry.architecture[key]} was expected`).join(', ')}. ` +
        'Nothing was imported and the download was deleted; the file at that address may have changed.',
    );
  }
}

/** A safe local name for a URL's file, with the URL's host so two `model.safetensors` do not collide. */
function urlFileName(url: string): string {
  const parsed = new URL(url);
  const parts = parsed.pathname.split('/').filter(Boolean);
  const last = parts.at(-1) ?? 'weights';
  const owner = parts.length >= 2 ? parts.slice(0, 2).join('-') : parsed.hostname;
  return `${owner}-${last}`.replace(/[^A-Za-z0-9._-]+/g, '_').slice(-120);
}
