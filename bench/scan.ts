/**
 * `npm run bench:scan`: library scan throughput, each figure next to its anchor measured in the
 * same run on the same files.
 *
 *   first scan           images/s of `scanLibrary` on an empty library (hash, decode, thumbnail,
 *                        training copy, SQLite) vs sharp's plain decode-and-resize of the same
 *                        files (read into a reused buffer + auto-orient + resize to the 256 px short
 *                        side + raw RGB), with the same number of files in flight and a warm page
 *                        cache for both. Goal: ≥ 80 % of the anchor. CPU time per image and cores
 *                        busy are printed too: on a shared machine they say what the rates cannot.
 *   no-change rescan     images/s of a second `scanLibrary` when nothing changed.
 *   10,000-file rescan   seconds for a no-change rescan of 10,000 small files. Goal: < 2 s.
 *
 * Sets: ../shared/datasets/photos (45 real photos, when present) and 2,000 generated 6 MP JPEGs,
 * generated once into a cache under os.tmpdir() (generation is not timed).
 *
 * Options: --concurrency N (files in flight), --limit N (first N generated JPEGs),
 * --only photos|generated|rescan.
 */

import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { addFolders } from '../core/library/add-folders.ts';
import { TRAIN_SHORT_SIDE } from '../core/library/image-decoder.ts';
import { hasImageExtension } from '../core/library/image-format.ts';
import { ReusableFileReader } from '../core/library/reusable-file-reader.ts';
import { DEFAULT_CONCURRENCY, scanLibrary } from '../core/library/scan.ts';
import { openDatabase } from '../core/store/database.ts';
import { hasShared, sharedPath } from '../test/shared-fixtures.ts';

const { values: args } = parseArgs({
  options: {
    concurrency: { type: 'string', default: String(DEFAULT_CONCURRENCY) },
    limit: { type: 'string', default: '2000' },
    only: { type: 'string' },
  },
});
const concurrency = Number(args.concurrency);
const cache = join(tmpdir(), 'dinoscope-bench-scan');
const GENERATED_COUNT = 2000;
const GENERATED_SIZE = { width: 3000, height: 2000 };
const SMALL_COUNT = 10_000;

console.log(
  `bench:scan — ${cpus().length} cores, ${concurrency} files in flight, libuv pool ${process.env.UV_THREADPOOL_SIZE ?? 4}, sharp ${sharp.versions.sharp} / libvips ${sharp.versions.vips}`,
);

if (!args.only || args.only === 'photos') {
  if (hasShared) await compare('shared photos', sharedPath('datasets/photos'));
  else console.log('shared photos: skipped (../shared is not present)');
}
if (!args.only || args.only === 'generated') {
  const folder = await generatedJpegs();
  await compare(
    `generated ${GENERATED_SIZE.width}×${GENERATED_SIZE.height} JPEGs`,
    folder,
    Number(args.limit),
  );
}
if (!args.only || args.only === 'rescan') await smallRescan();

/**
 * First scan and no-change rescan of one folder, each next to the plain decode-and-resize rate.
 * Besides wall-clock rates it prints CPU time per image (all threads of this process), which other
 * processes on a busy machine disturb far less than they disturb the rates.
 */
async function compare(name: string, folder: string, limit = Number.POSITIVE_INFINITY): Promise<void> {
  const files = listImages(folder).slice(0, limit);
  const root = limit < Number.POSITIVE_INFINITY ? linkedSubset(files, name) : folder;
  for (const file of files) readFileSync(file); // same warm page cache for every measurement
  const loadBefore = loadavg()[0];
  const anchorBefore = await measure(files.length, () => decodeAndResize(files));
  const workDir = freshDir('library');
  const db = openDatabase(join(workDir, 'library.sqlite'));
  addFolders(db, [root]);
  const first = await measure(files.length, () => scanLibrary(db, { concurrency }));
  const anchorAfter = await measure(files.length, () => decodeAndResize(files));
  const rescan = await measure(files.length, () => scanLibrary(db, { concurrency }));
  const loadAfter = loadavg()[0];
  db.close();
  rmSync(workDir, { recursive: true, force: true });
  if (root !== folder) rmSync(root, { recursive: true, force: true });
  const anchor = (anchorBefore.rate + anchorAfter.rate) / 2;
  const anchorCpu = (anchorBefore.cpuMs + anchorAfter.cpuMs) / 2;
  console.log(
    `\n${name}: ${files.length} files (${first.result.added} indexed, ${first.result.errors} errors); load average ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after`,
  );
  console.log(
    `  sharp decode-and-resize (anchor): ${anchor.toFixed(1)} images/s, ${anchorCpu.toFixed(1)} ms CPU/image, ${coresBusy(anchorBefore)} cores busy  (rates before ${anchorBefore.rate.toFixed(1)}, after ${anchorAfter.rate.toFixed(1)})`,
  );
  console.log(
    `  first scan:                       ${first.rate.toFixed(1)} images/s, ${first.cpuMs.toFixed(1)} ms CPU/image, ${coresBusy(first)} cores busy  = ${((100 * first.rate) / anchor).toFixed(0)} % of the anchor's rate, ${((100 * anchorCpu) / first.cpuMs).toFixed(0)} % by CPU time (goal ≥ 80 %)`,
  );
  console.log(`  no-change rescan:                 ${rescan.rate.toFixed(0)} images/s`);
}

/** CPU time over wall time: below the core count, the machine (or the work) left cores idle. */
function coresBusy({ rate, cpuMs }: { rate: number; cpuMs: number }): string {
  return ((rate * cpuMs) / 1000).toFixed(2);
}

async function measure<T>(
  count: number,
  work: () => Promise<T>,
): Promise<{ rate: number; cpuMs: number; result: T }> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const result = await work();
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { rate: count / seconds, cpuMs: (used.user + used.system) / 1000 / count, result };
}

/** sharp alone on the same files: read, decode, auto-orient, resize to the training short side, raw RGB. */
async function decodeAndResize(files: string[]): Promise<void> {
  let next = 0;
  const worker = async () => {
    // Read as the scan reads, into one reused buffer per file in flight: measured on the 6 MP JPEGs,
    // sharp from such a buffer (21.9 ms CPU per photo) beat sharp from a fresh `readFile` buffer
    // (22.4 ms) and sharp from the path (23.5 ms), so this is the strictest anchor.
    const reader = new ReusableFileReader();
    while (next < files.length) {
      const file = files[next++];
      try {
        await sharp(await reader.read(file))
          .autoOrient()
          .resize(TRAIN_SHORT_SIDE, TRAIN_SHORT_SIDE, { fit: 'outside' })
          .toColourspace('srgb')
          .raw()
          .toBuffer();
      } catch {
        // unreadable files are not part of the anchor
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** 10,000 small files: time of a rescan when nothing changed (the indexed library is cached too). */
async function smallRescan(): Promise<void> {
  const folder = join(cache, `small-${SMALL_COUNT}`);
  const indexed = join(cache, `small-${SMALL_COUNT}-library.sqlite`);
  if (!existsSync(join(folder, 'complete'))) {
    console.log(`\ngenerating ${SMALL_COUNT} small JPEGs into ${folder} (once; not timed)…`);
    rmSync(folder, { recursive: true, force: true });
    for (let i = 0; i < SMALL_COUNT; i++) {
      const sub = join(folder, `day-${String(Math.floor(i / 250)).padStart(3, '0')}`);
      if (i % 250 === 0) mkdirSync(sub, { recursive: true });
      const colour = { r: i % 256, g: (i >> 8) % 256, b: (i * 7) % 256 };
      await sharp({ create: { width: 32, height: 24, channels: 3, background: colour } })
        .jpeg()
        .toFile(join(sub, `IMG_${String(i).padStart(5, '0')}.JPG`));
    }
    rmSync(indexed, { force: true });
    writeFileSync(join(folder, 'complete'), '');
  }
  if (!existsSync(indexed)) {
    console.log('indexing them once (not timed)…');
    const db = openDatabase(`${indexed}.partial`);
    addFolders(db, [folder]);
    await scanLibrary(db, { concurrency });
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    copyFileSync(`${indexed}.partial`, indexed);
    rmSync(`${indexed}.partial`);
  }
  const workDir = freshDir('small-library');
  copyFileSync(indexed, join(workDir, 'library.sqlite'));
  const db = openDatabase(join(workDir, 'library.sqlite'));
  const started = performance.now();
  const summary = await scanLibrary(db);
  const seconds = (performance.now() - started) / 1000;
  db.close();
  rmSync(workDir, { recursive: true, force: true });
  console.log(
    `\nno-change rescan of ${summary.found} small files: ${seconds.toFixed(2)} s (${summary.unchanged} unchanged; goal < 2 s)`,
  );
}

async function generatedJpegs(): Promise<string> {
  const folder = join(cache, `jpegs-${GENERATED_SIZE.width}x${GENERATED_SIZE.height}-${GENERATED_COUNT}`);
  if (existsSync(join(folder, 'complete'))) return folder;
  console.log(`\ngenerating ${GENERATED_COUNT} JPEGs into ${folder} (once; not timed)…`);
  mkdirSync(folder, { recursive: true });
  const bases: Buffer[] = [];
  for (let i = 0; i < 16; i++) bases.push(await syntheticScene(i));
  let next = 0;
  const worker = async () => {
    while (next < GENERATED_COUNT) {
      const i = next++;
      const file = join(folder, `photo-${String(i).padStart(4, '0')}.jpg`);
      if (existsSync(file)) continue;
      // Each file is its base scene rolled by a different number of pixels: distinct bytes, same look.
      const base = bases[i % bases.length];
      const shift = ((i * 7919) % (GENERATED_SIZE.width * GENERATED_SIZE.height)) * 3;
      const pixels = Buffer.concat([base.subarray(shift), base.subarray(0, shift)]);
      await sharp(pixels, { raw: { ...GENERATED_SIZE, channels: 3 } })
        .jpeg({ quality: 88 })
        .toFile(file);
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  writeFileSync(join(folder, 'complete'), '');
  return folder;
}

/**
 * Raw RGB of a photo-like scene: smooth random colour fields (upscaled noise) with fine grain on
 * top, so that its JPEG compresses like a photo (~1.6 MB at 6 MP), not like flat colour or noise.
 */
async function syntheticScene(seed: number): Promise<Buffer> {
  const { width, height } = GENERATED_SIZE;
  const pixels = await sharp({
    create: {
      width: 48,
      height: 32,
      channels: 3,
      background: '#000',
      noise: { type: 'gaussian', mean: 118 + seed, sigma: 60 },
    },
  })
    .resize(width, height, { kernel: 'cubic' })
    .raw()
    .toBuffer();
  let state = seed + 1;
  for (let i = 0; i < pixels.length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    const value = pixels[i] + ((state >>> 16) & 31) - 16;
    pixels[i] = Math.max(0, Math.min(255, value));
  }
  return pixels;
}

function listImages(folder: string): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (hasImageExtension(entry.name)) files.push(path);
    }
  };
  walk(folder);
  return files;
}

/** A folder of symbolic links to the first files, so `--limit` scans exactly what the anchor decodes. */
function linkedSubset(files: string[], name: string): string {
  const dir = freshDir(`subset-${name.replace(/\W+/g, '-')}`);
  for (const [i, file] of files.entries()) symlinkSync(file, join(dir, `${String(i).padStart(5, '0')}.jpg`));
  return dir;
}

function freshDir(name: string): string {
  const dir = join(cache, 'runs', `${name}-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}
