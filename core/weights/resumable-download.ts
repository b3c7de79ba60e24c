import { createHash } from 'node:crypto';
import {
  createReadStream,
  createWriteStream,
  existsSync,
  readFileSync,
  renameSync,
  rmSync,
  statfsSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ProgressListener, ProgressTracker } from '../jobs/progress.ts';
import { httpGet } from './http-get.ts';

/**
 * A large file downloaded so that nothing is lost to a dropped connection: bytes go to
 * `<file>.partial` (with `<file>.partial.json` recording the URL), a retry or a later run asks
 * only for the rest (HTTP Range), and the file gets its final name only once complete and, when
 * a SHA-256 is given, verified. A wrong checksum deletes the partial file: resuming it could
 * never give the right bytes.
 */
export interface DownloadOptions {
  /** Expected SHA-256 (hex); null or absent: no check. */
  sha256?: string | null;
  onProgress?: ProgressListener;
  /** The phase progress events name (`downloading dino-vits16`); the job is `weights`. */
  label?: string;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
  /** Further tries after a dropped or stalled connection within this call (each resumes). */
  retries?: number;
  /** Wait before the first retry, doubled for each next one. */
  retryDelayMs?: number;
  idleTimeoutMs?: number;
  /** Bytes free where the file goes (default: the file system's figure; tests pass their own). */
  freeSpace?: (folder: string) => number;
}

export interface DownloadResult {
  file: string;
  bytes: number;
  sha256: string;
  /** Bytes already on disk from an earlier, interrupted download. */
  resumedFrom: number;
  /** True when the checksum was given and matched. */
  verified: boolean;
}

/** The server said no (404, 403, …): retrying or resuming will not help. */
export class DownloadRefused extends Error {
  constructor(
    message: string,
    /** The HTTP status, or 0 for too many redirects. */
    readonly status = 0,
  ) {
    super(message);
  }
}
/** Stopped by the signal; the partial file is kept for the next run. */
export class DownloadCancelled extends Error {}

/** Three retries after 1, 2 and 4 s ride out a flaky Wi-Fi without hiding a dead server for long. */
const DEFAULT_RETRIES = 3;
const DEFAULT_RETRY_DELAY_MS = 1000;
const MAX_REDIRECTS = 10;
const MB = 1e6;

export async function downloadFile(
  url: string,
  destination: string,
  options: DownloadOptions = {},
): Promise<DownloadResult> {
  const partial = `${destination}.partial`;
  const record = `${partial}.json`;
  const expected = options.sha256?.toLowerCase() ?? null;
  if (expected !== null && !/^[0-9a-f]{64}$/.test(expected)) {
    throw new Error(`"${options.sha256}" is not a SHA-256 (64 hexadecimal digits).`);
  }
  // A partial file from another URL is not the beginning of this one.
  if (existsSync(partial) && readRecord(record) !== url) rmSync(partial, { force: true });
  writeFileSync(record, JSON.stringify({ url }));
  const resumedFrom = existsSync(partial) ? statSync(partial).size : 0;
  const retries = options.retries ?? DEFAULT_RETRIES;
  const tracker = { current: null as ProgressTracker | null };
  for (let attempt = 0; ; attempt++) {
    try {
      await fetchRest(url, partial, options, tracker);
      break;
    } catch (error) {
      const have = existsSync(partial) ? statSync(partial).size : 0;
      if (options.signal?.aborted) {
        throw new DownloadCancelled(
          `Download stopped with ${(have / MB).toFixed(1)} MB kept in ${partial}; run the same command again to resume.`,
        );
      }
      if (error instanceof DownloadRefused) {
        rmSync(record, { force: true });
        if (have === 0) rmSync(partial, { force: true });
        throw error;
      }
      const reason = error instanceof Error ? error.message : String(error);
      if (attempt >= retries) {
        throw new Error(
          `The download of ${url} was interrupted (${reason}) after ${(have / MB).toFixed(1)} MB, kept in ${partial}; ` +
            'run the same command again to resume where it stopped.',
        );
      }
      await sleep((options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS) * 2 ** attempt);
    }
  }
  const sha256 = await fileSha256(partial);
  if (expected !== null && sha256 !== expected) {
    rmSync(partial, { force: true });
    rmSync(record, { force: true });
    throw new Error(
      `${url}: the SHA-256 of the downloaded file is ${sha256}, expected ${expected}. ` +
        'The download was deleted and nothing was imported; the file on the server differs from the one expected (or was corrupted on the way).',
    );
  }
  renameSync(partial, destination);
  rmSync(record, { force: true });
  return {
    file: destination,
    bytes: statSync(destination).size,
    sha256,
    resumedFrom,
    verified: expected !== null,
  };
}

function readRecord(file: string): string | null {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { url?: string }).url ?? null;
  } catch {
    return null;
  }
}

function freeBytes(folder: string): number {
  const { bavail, bsize } = statfsSync(folder);
  return bavail * bsize;
}

export async function fileSha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

/** Appends the bytes `partial` lacks, following redirects; throws when the body ends early. */
async function fetchRest(
  url: string,
  partial: string,
  options: DownloadOptions,
  tracker: { current: ProgressTracker | null },
): Promise<void> {
  let start = existsSync(partial) ? statSync(partial).size : 0;
  let current = new URL(url);
  for (let hop = 0; ; hop++) {
    const response = await httpGet(current, {
      headers: start > 0 ? { range: `bytes=${start}-` } : {},
      env: options.env,
      signal: options.signal,
      idleTimeoutMs: options.idleTimeoutMs,
    });
    const status = response.statusCode ?? 0;
    if (status >= 300 && status < 400 && response.headers.location) {
      response.resume();
      if (hop >= MAX_REDIRECTS) throw new DownloadRefused(`${url}: more than ${MAX_REDIRECTS} redirects.`);
      current = new URL(response.headers.location, current);
      continue;
    }
    let total: number;
    if (status === 416 && start > 0) {
      // Asked for bytes past the end: the partial file is complete when the sizes agree, else stale.
      response.resume();
      const size = Number(/\/(\d+)$/.exec(response.headers['content-range'] ?? '')?.[1]);
      if (size === start) return;
      rmSync(partial, { force: true });
      throw new Error('the partial file did not match the file on the server; starting again');
    }
    if (status === 206) {
      const range = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(response.headers['content-range'] ?? '');
      if (!range || Number(range[1]) !== start) {
        response.resume();
        throw new Error(
          `the server sent a range other than the one asked for (${response.headers['content-range']})`,
        );
      }
      total = range[2] === '*' ? 0 : Number(range[2]);
    } else if (status === 200) {
      start = 0; // the server ignores Range: start over
      const length = Number(response.headers['content-length']);
      total = Number.isFinite(length) ? length : 0;
    } else {
      response.resume();
      throw new DownloadRefused(
        `${current.href}: the server answered HTTP ${status}${response.statusMessage ? ` ${response.statusMessage}` : ''}` +
          (status === 404 ? ' (no such file: check the name or URL).' : '.'),
        status,
      );
    }
    const needed = total - start;
    const free = (options.freeSpace ?? freeBytes)(dirname(partial));
    if (needed > free) {
      response.resume();
      throw new DownloadRefused(
        `${url} needs ${(needed / MB).toFixed(1)} MB more but only ${(free / MB).toFixed(1)} MB are free in ${dirname(partial)}: ` +
          'free some space, then run the same command again.',
        status,
      );
    }
    if (!tracker.current) tracker.current = new ProgressTracker('weights', total / MB);
    const progress = tracker.current;
    progress.setTotal(Math.round((total / MB) * 10) / 10);
    let received = start;
    const report = () =>
      options.onProgress?.(
        progress.update(Math.round((received / MB) * 10) / 10, {
          phase: `${options.label ?? 'download'} (MB)`,
          detail: { bytes: received, totalBytes: total },
        }),
      );
    let lastReport = 0;
    response.on('data', (chunk: Buffer) => {
      received += chunk.length;
      const now = Date.now();
      if (now - lastReport >= 200) {
        lastReport = now;
        report();
      }
    });
    // A server that closes the connection mid-body ends the stream with an 'aborted' error, or
    // (some proxies) cleanly: the byte count below catches both.
    await pipeline(response, createWriteStream(partial, { flags: start > 0 ? 'a' : 'w' }));
    report();
    if (total > 0 && received < total) {
      throw new Error(
        `the connection closed after ${(received / MB).toFixed(1)} of ${(total / MB).toFixed(1)} MB`,
      );
    }
    return;
  }
}
