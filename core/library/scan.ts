import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { type ProgressListener, ProgressTracker } from '../jobs/progress.ts';
import type { Db } from '../store/database.ts';
import { type FolderRecord, listFolders, markScanFinished, markScanStarted } from '../store/folders.ts';
import {
  deleteEmbeddingsOf,
  deleteImage,
  deletePixels,
  getImage,
  hasPixels,
  type ImageFields,
  type ImageRecord,
  imagesInFolder,
  insertImage,
  putPixels,
  setImageStatus,
  updateImage,
} from '../store/images.ts';
import { type FolderContents, type FoundFile, walkFolder } from './folder-walk.ts';
import { type DecodedImage, decodeImage } from './image-decoder.ts';
import { type ImageFormat, sniffImageFormat } from './image-format.ts';
import { describeFileSystemError, ImageReadFailure } from './read-failure.ts';
import { ReusableFileReader } from './reusable-file-reader.ts';

/**
 * Files read and decoded at once. sharp decodes each on a libuv worker (4 by default) with one
 * libvips thread per image, so more than 4 only queue; 1 leaves a core idle while the main thread
 * hashes and writes. Measured with `bench:scan --concurrency 1|2|4|8` on a busy 2-core machine:
 * 1 was slowest, 2–8 within the noise; 4 keeps both cores busy with slack for the main thread.
 */
export const DEFAULT_CONCURRENCY = 4;
/** Files per transaction: a crash loses at most this many files' work (plus ~2 s, see below). */
export const DEFAULT_BATCH_SIZE = 32;
/** A batch is committed at least this often, so a slow folder still saves its progress. */
const COMMIT_INTERVAL_MS = 2_000;
/** Finished files that may wait behind a slow one for the in-order commit. */
const MAX_UNCOMMITTED = 256;
const PROGRESS_INTERVAL_MS = 100;

export interface ScanOptions {
  /** Stops cleanly: the files in flight are finished and saved; the next scan continues. */
  signal?: AbortSignal;
  onProgress?: ProgressListener;
  /** Registered folders to scan (ids); all of them when absent. */
  folderIds?: number[];
  concurrency?: number;
  batchSize?: number;
  /** How a file's bytes are read (tests inject failures here). */
  readFile?: (path: string) => Promise<Buffer>;
}

export interface ScanSummary {
  folders: number;
  /** Image files found on disk. */
  found: number;
  /** Same size and modification time as last time: not read again. */
  unchanged: number;
  added: number;
  /** Known paths whose file changed (or had failed before) and were read again. */
  updated: number;
  /** New paths recognised by their content as a known image that moved: the image keeps its id. */
  moved: number;
  /** Missing images that are back. */
  restored: number;
  /** Images whose file is no longer there. */
  missing: number;
  /** Files that could not be indexed in this scan (`listErrors` says why). */
  errors: number;
  /** Registered folders that could not be listed at all. */
  folderProblems: { path: string; reason: string }[];
  cancelled: boolean;
  elapsedSeconds: number;
}

interface WorkItem {
  folderId: number;
  file: FoundFile;
  existing: ImageRecord | undefined;
}

type Outcome =
  | { kind: 'decoded'; hash: string; image: DecodedImage }
  | { kind: 'same-content'; hash: string }
  | { kind: 'moved'; from: ImageRecord }
  | { kind: 'failed'; hash: string | null; format: ImageFormat | null; failure: ImageReadFailure }
  | { kind: 'vanished' };

/**
 * Brings the library up to date with the registered folders: new and changed files are read once
 * (hashed, decoded, thumbnail and training copy stored); unchanged ones (same size and mtime) are
 * not touched; moved ones keep their id; deleted ones become `missing`. Work is committed in
 * batches, so a stopped or crashed scan loses at most the batch in flight and the next one resumes.
 */
export async function scanLibrary(db: Db, options: ScanOptions = {}): Promise<ScanSummary> {
  const started = Date.now();
  const { signal, onProgress } = options;
  const folders = listFolders(db).filter(
    (folder) => !options.folderIds || options.folderIds.includes(folder.id),
  );
  const summary: ScanSummary = {
    folders: folders.length,
    found: 0,
    unchanged: 0,
    added: 0,
    updated: 0,
    moved: 0,
    restored: 0,
    missing: 0,
    errors: 0,
    folderProblems: [],
    cancelled: false,
    elapsedSeconds: 0,
  };

  const finding = new ProgressTracker('scan', 0);
  let foundBefore = 0;
  const throttle = throttled(PROGRESS_INTERVAL_MS);
  const work: WorkItem[] = [];
  // Images this scan found gone: one that turns up elsewhere moved, and is not counted missing.
  const newlyMissing = new Set<number>();
  for (const folder of folders) {
    if (signal?.aborted) break;
    markScanStarted(db, folder.id, started);
    let contents: FolderContents | null = null;
    try {
      contents = await walkFolder(folder.path, {
        signal,
        onFound: (count) =>
          throttle() && onProgress?.(finding.update(foundBefore + count, { phase: 'finding images' })),
      });
    } catch (error) {
      summary.folderProblems.push({ path: folder.path, reason: folderProblem(folder.path, error) });
    }
    if (signal?.aborted) break;
    foundBefore += contents?.files.length ?? 0;
    onProgress?.(finding.update(foundBefore, { phase: 'finding images' }));
    work.push(...reconcile(db, folder, contents, summary, newlyMissing, started));
  }
  summary.found = foundBefore;

  const tracker = new ProgressTracker('scan', work.length);
  const report = (done: number, force = false) => {
    if (onProgress && (force || throttle())) {
      onProgress(
        tracker.update(done, {
          phase: 'reading images',
          detail: { errors: summary.errors, unchanged: summary.unchanged },
        }),
      );
    }
  };
  report(0, true);
  let examined = 0;
  await processInOrder(work, {
    concurrency: options.concurrency ?? DEFAULT_CONCURRENCY,
    batchSize: options.batchSize ?? DEFAULT_BATCH_SIZE,
    signal,
    // Each file in flight reads into a buffer of its own, reused for the next file it takes.
    newExaminer: () => {
      const reader = new ReusableFileReader();
      const read = options.readFile ?? ((path: string) => reader.read(path));
      return (item, claimed) => examine(db, item, claimed, read);
    },
    commit: (batch) =>
      db.transaction(() => {
        for (const [item, outcome] of batch) record(db, item, outcome, summary, newlyMissing, Date.now());
      })(),
    onExamined: (done) => {
      examined = done;
      report(done);
    },
  });

  summary.cancelled = signal?.aborted ?? false;
  if (!summary.cancelled) {
    for (const folder of folders) markScanFinished(db, folder.id);
  }
  report(examined, true);
  summary.elapsedSeconds = (Date.now() - started) / 1000;
  return summary;
}

/**
 * Compares what is on disk with what the library knows, without reading any file: returns the
 * files to read, and at once records what needs no reading (vanished files, restored ones, folders
 * that could not be listed).
 */
function reconcile(
  db: Db,
  folder: FolderRecord,
  contents: FolderContents | null,
  summary: ScanSummary,
  newlyMissing: Set<number>,
  scannedAt: number,
): WorkItem[] {
  const known = new Map(imagesInFolder(db, folder.id).map((image) => [image.path, image]));
  const seen = new Set<string>();
  const work: WorkItem[] = [];
  db.transaction(() => {
    for (const file of contents?.files ?? []) {
      seen.add(file.path);
      const existing = known.get(file.path);
      const unchanged =
        existing && existing.size === file.size && existing.mtimeMs === file.mtimeMs && !existing.readAgain;
      if (unchanged && existing.status !== 'missing') {
        summary.unchanged++;
      } else if (unchanged && hasPixels(db, existing.id)) {
        setImageStatus(db, existing.id, 'ok', null);
        summary.restored++;
      } else {
        work.push({ folderId: folder.id, file, existing });
      }
    }
    for (const problem of contents?.problems ?? []) {
      seen.add(problem.path);
      const fields: ImageFields = {
        ...emptyFields(folder.id, problem, scannedAt),
        status: 'error',
        error: problem.reason,
        readAgain: true,
      };
      const existing = known.get(problem.path);
      if (existing)
        updateImage(db, existing.id, {
          ...existing,
          status: 'error',
          error: problem.reason,
          readAgain: true,
        });
      else insertImage(db, fields);
    }
    const unlisted = (contents?.problems ?? []).filter((p) => p.unlistedFolder).map((p) => `${p.path}/`);
    for (const image of known.values()) {
      if (seen.has(image.path) || image.status === 'missing') continue;
      if (unlisted.some((prefix) => image.path.startsWith(prefix))) continue; // unknown, not gone
      if (image.hash === null && !hasPixels(db, image.id)) {
        deleteImage(db, image.id); // never was an image (a loop, an unreadable folder): nothing to keep
      } else {
        setImageStatus(db, image.id, 'missing', null);
        newlyMissing.add(image.id);
        summary.missing++;
      }
    }
  })();
  return work;
}

/**
 * Reads one file and decides what it is. Never throws: a failure is an outcome. The bytes `read`
 * returns may be reused for the next file, so nothing in the outcome refers to them.
 */
async function examine(
  db: Db,
  { file, existing }: WorkItem,
  claimed: Set<number>,
  read: (path: string) => Promise<Buffer>,
): Promise<Outcome> {
  let bytes: Buffer;
  try {
    bytes = await read(file.path);
  } catch (error) {
    if (existing && (error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'vanished' };
    return {
      kind: 'failed',
      hash: null,
      format: null,
      failure: new ImageReadFailure(describeFileSystemError(error), true),
    };
  }
  if (bytes.length === 0) {
    const failure = new ImageReadFailure(
      'Empty file (0 bytes): nothing to read. Restore it from a backup or delete it.',
      false,
    );
    return { kind: 'failed', hash: null, format: null, failure };
  }
  const [format, hash] = [sniffImageFormat(bytes), sha256(bytes)];
  if (!format) {
    const failure = new ImageReadFailure(
      `Not an image: the content is not JPEG, PNG, WebP, TIFF, GIF, AVIF or HEIC, whatever the name ends with (starts with ${describeStart(bytes)}).`,
      false,
    );
    return { kind: 'failed', hash, format: null, failure };
  }
  if (existing?.hash === hash && hasPixels(db, existing.id)) return { kind: 'same-content', hash };
  if (!existing) {
    const from = movedFrom(db, hash, claimed);
    if (from) return { kind: 'moved', from };
  }
  try {
    return { kind: 'decoded', hash, image: await decodeImage(bytes, format) };
  } catch (error) {
    const failure =
      error instanceof ImageReadFailure
        ? error
        : new ImageReadFailure(
            `Unexpected error while decoding: ${(error as Error).message ?? error}`,
            false,
          );
    return { kind: 'failed', hash, format, failure };
  }
}

/**
 * A known image with these exact bytes whose file is gone: the new path is that photo, moved or
 * renamed. It keeps its id, so its embeddings and everything computed from them survive.
 */
function movedFrom(db: Db, hash: string, claimed: Set<number>): ImageRecord | undefined {
  const candidates = db
    .prepare("SELECT id, path, status FROM images WHERE hash = ? AND status != 'error' ORDER BY id")
    .all(hash) as { id: number; path: string; status: string }[];
  for (const candidate of candidates) {
    if (claimed.has(candidate.id)) continue;
    // An image of a folder not rescanned yet may still say 'ok' though its file is gone.
    if (candidate.status === 'ok' && existsSync(candidate.path)) continue;
    if (!hasPixels(db, candidate.id)) continue;
    claimed.add(candidate.id);
    return getImage(db, candidate.id) ?? undefined;
  }
  return undefined;
}

/** Writes one outcome (inside the batch's transaction). */
function record(
  db: Db,
  item: WorkItem,
  outcome: Outcome,
  summary: ScanSummary,
  newlyMissing: Set<number>,
  scannedAt: number,
): void {
  const { folderId, file, existing } = item;
  const place = {
    folderId,
    path: file.path,
    relPath: file.relPath,
    size: file.size,
    mtimeMs: file.mtimeMs,
    scannedAt,
    readAgain: false,
  };
  switch (outcome.kind) {
    case 'decoded': {
      const { image } = outcome;
      const fields: ImageFields = {
        ...place,
        hash: outcome.hash,
        format: image.format,
        width: image.width,
        height: image.height,
        capturedAt: image.capturedAt,
        status: 'ok',
        error: null,
      };
      if (existing) {
        updateImage(db, existing.id, fields);
        // Embeddings describe the bytes they were computed from.
        if (existing.hash !== null && existing.hash !== outcome.hash) deleteEmbeddingsOf(db, existing.id);
        putPixels(db, existing.id, image.pixels);
        summary.updated++;
      } else {
        putPixels(db, insertImage(db, fields), image.pixels);
        summary.added++;
      }
      return;
    }
    case 'same-content': {
      if (!existing) return;
      updateImage(db, existing.id, { ...existing, ...place, hash: outcome.hash, status: 'ok', error: null });
      if (existing.status === 'missing') summary.restored++;
      else summary.updated++;
      return;
    }
    case 'moved': {
      updateImage(db, outcome.from.id, { ...outcome.from, ...place, status: 'ok', error: null });
      summary.moved++;
      if (newlyMissing.delete(outcome.from.id)) summary.missing--; // not gone after all: it moved
      return;
    }
    case 'vanished': {
      if (!existing) return;
      if (existing.hash === null && !hasPixels(db, existing.id)) deleteImage(db, existing.id);
      else setImageStatus(db, existing.id, 'missing', null);
      summary.missing++;
      return;
    }
    case 'failed': {
      summary.errors++;
      const { failure } = outcome;
      if (failure.transient) {
        // The content is unknown, not bad: keep what the library had (pixels, hash) for when it is back.
        const fields = existing
          ? { ...existing, ...place, status: 'error' as const, error: failure.reason, readAgain: true }
          : {
              ...emptyFields(folderId, file, scannedAt),
              ...place,
              status: 'error' as const,
              error: failure.reason,
              readAgain: true,
            };
        if (existing) updateImage(db, existing.id, fields);
        else insertImage(db, fields);
        return;
      }
      const fields: ImageFields = {
        ...emptyFields(folderId, file, scannedAt),
        ...place,
        hash: outcome.hash,
        format: outcome.format,
        status: 'error',
        error: failure.reason,
      };
      if (existing) {
        updateImage(db, existing.id, fields);
        deletePixels(db, existing.id);
      } else {
        insertImage(db, fields);
      }
      return;
    }
  }
}

function emptyFields(
  folderId: number,
  place: { path: string; relPath: string },
  scannedAt: number,
): ImageFields {
  return {
    folderId,
    path: place.path,
    relPath: place.relPath,
    size: 0,
    mtimeMs: 0,
    hash: null,
    format: null,
    width: null,
    height: null,
    capturedAt: null,
    status: 'error',
    error: null,
    readAgain: false,
    scannedAt,
  };
}

/**
 * Runs `examine` on several items at once and commits the outcomes in the items' order (so ids
 * follow folder order), in batches. Stops launching new work when `signal` aborts.
 */
async function processInOrder(
  items: WorkItem[],
  options: {
    concurrency: number;
    batchSize: number;
    signal: AbortSignal | undefined;
    /** Called once per file in flight: what examines the items it takes, one after the other. */
    newExaminer: () => (item: WorkItem, claimed: Set<number>) => Promise<Outcome>;
    commit: (batch: [WorkItem, Outcome][]) => void;
    onExamined: (done: number) => void;
  },
): Promise<void> {
  const outcomes = new Array<Outcome | undefined>(items.length);
  const claimed = new Set<number>();
  let next = 0;
  let examined = 0;
  let committed = 0;
  let lastCommitAt = Date.now();
  const waiting: (() => void)[] = [];

  const commitReady = (force: boolean) => {
    let ready = committed;
    while (ready < items.length && outcomes[ready] !== undefined) ready++;
    const due = ready - committed >= options.batchSize || Date.now() - lastCommitAt >= COMMIT_INTERVAL_MS;
    if (ready === committed || !(force || due)) return;
    const batch: [WorkItem, Outcome][] = [];
    for (let i = committed; i < ready; i++) {
      batch.push([items[i], outcomes[i] as Outcome]);
      outcomes[i] = undefined; // the pixels are in the database now; let them go
    }
    options.commit(batch);
    committed = ready;
    lastCommitAt = Date.now();
    for (const wake of waiting.splice(0)) wake();
  };

  const worker = async () => {
    const examine = options.newExaminer();
    while (next < items.length && !options.signal?.aborted) {
      while (next - committed > MAX_UNCOMMITTED) await new Promise<void>((resolve) => waiting.push(resolve));
      const index = next++;
      outcomes[index] = await examine(items[index], claimed);
      options.onExamined(++examined);
      commitReady(false);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  commitReady(true);
}

/**
 * SHA-256 with the CPU's SHA extensions (~1.2 GB/s here). Synchronous on purpose: WebCrypto's
 * asynchronous digest copies the bytes first and cost 3× the CPU time per photo (measured).
 */
function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function describeStart(bytes: Buffer): string {
  const head = bytes.subarray(0, 8);
  const printable = [...head].every((byte) => byte >= 0x20 && byte < 0x7f);
  return printable
    ? JSON.stringify(head.toString('latin1'))
    : head.toString('hex').replace(/(..)/g, '$1 ').trim();
}

function folderProblem(path: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') {
    return `Folder not found: ${path} (deleted, renamed, or on a drive that is not connected). Its images are marked missing until it is back.`;
  }
  if (code === 'ENOTDIR') return `${path} is no longer a folder. Its images are marked missing.`;
  return `Folder could not be listed: ${describeFileSystemError(error)}`;
}

function throttled(intervalMs: number): () => boolean {
  let last = 0;
  return () => {
    const now = Date.now();
    if (now - last < intervalMs) return false;
    last = now;
    return true;
  };
}
