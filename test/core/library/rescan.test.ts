import { renameSync, rmSync, utimesSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ProgressEvent } from '../../../core/jobs/progress.ts';
import { addFolders } from '../../../core/library/add-folders.ts';
import { libraryStatus } from '../../../core/library/library-status.ts';
import { scanLibrary } from '../../../core/library/scan.ts';
import { listTrainableImages, readTrainingCopy } from '../../../core/library/training-copy.ts';
import { openDatabase } from '../../../core/store/database.ts';
import { imageByPath } from '../../../core/store/images.ts';
import * as make from './fixture-images.ts';

/** A scan whose file reads are counted: "not decoded again" means not even read. */
function countingReader() {
  const reads: string[] = [];
  return {
    reads,
    readFile: (path: string) => {
      reads.push(path);
      return readFile(path);
    },
  };
}

async function photoFolder(count: number) {
  const root = make.tempFolder('rescan');
  for (let i = 0; i < count; i++) {
    make.writeFile(
      root,
      `2024/photo-${String(i).padStart(2, '0')}.jpg`,
      await make.jpeg(40 + i, 30, `#${((i * 20) % 256).toString(16).padStart(2, '0')}8040`),
    );
  }
  return root;
}

describe('incremental rescans', () => {
  it('does not read unchanged files, keeps ids of moved files, marks deleted ones missing', async () => {
    const root = await photoFolder(6);
    const db = openDatabase(':memory:');
    addFolders(db, [root]);
    const first = await scanLibrary(db);
    expect(first.added).toBe(6);
    const idOf = (rel: string) => imageByPath(db, join(root, rel))?.id;
    const movedId = idOf('2024/photo-01.jpg');
    const renamedId = idOf('2024/photo-02.jpg');
    const deletedId = idOf('2024/photo-03.jpg');

    const unchanged = countingReader();
    const again = await scanLibrary(db, { readFile: unchanged.readFile });
    expect(unchanged.reads).toEqual([]);
    expect(again.unchanged).toBe(6);

    make.writeFile(root, 'elsewhere/.keep.jpg', '');
    renameSync(join(root, '2024/photo-01.jpg'), join(root, 'elsewhere/moved.jpg'));
    renameSync(join(root, '2024/photo-02.jpg'), join(root, '2024/Renamed Photo.JPG'));
    rmSync(join(root, '2024/photo-03.jpg'));
    const reader = countingReader();
    const third = await scanLibrary(db, { readFile: reader.readFile });
    expect(reader.reads.sort()).toEqual([
      join(root, '2024/Renamed Photo.JPG'),
      join(root, 'elsewhere/moved.jpg'),
    ]);
    expect(third).toMatchObject({ unchanged: 3, moved: 2, missing: 1, added: 0, errors: 0 });
    expect(idOf('elsewhere/moved.jpg')).toBe(movedId);
    expect(idOf('2024/Renamed Photo.JPG')).toBe(renamedId);
    expect(imageByPath(db, join(root, '2024/photo-01.jpg'))).toBeNull();
    expect(imageByPath(db, join(root, '2024/photo-03.jpg'))).toMatchObject({
      id: deletedId,
      status: 'missing',
    });
    expect(libraryStatus(db).counts).toEqual({ total: 6, ok: 5, error: 0, missing: 1 });
    expect(listTrainableImages(db).map((image) => image.id)).not.toContain(deletedId);
    // The moved image's pixels came along: nothing was decoded again.
    expect((await readTrainingCopy(db, movedId as number)).height).toBe(256);
  });

  it('brings a missing image back with its id, and rereads a changed file in place', async () => {
    const root = await photoFolder(2);
    const db = openDatabase(':memory:');
    addFolders(db, [root]);
    await scanLibrary(db);
    const path = join(root, '2024/photo-00.jpg');
    const original = await readFile(path);
    const id = imageByPath(db, path)?.id as number;
    db.prepare(
      "INSERT INTO models (name, source, config, weights_path, created_at) VALUES ('m', 'trained', '{}', 'w', 0)",
    ).run();
    db.prepare(
      'INSERT INTO embeddings (image_id, model_id, dim, vector, created_at) VALUES (?, 1, 1, ?, 0)',
    ).run(id, Buffer.alloc(4));

    renameSync(path, `${path}.away`);
    expect((await scanLibrary(db)).missing).toBe(1);
    renameSync(`${path}.away`, path);
    const back = await scanLibrary(db);
    expect(back.restored).toBe(1);
    expect(imageByPath(db, path)).toMatchObject({ id, status: 'ok' });
    expect(db.prepare('SELECT count(*) AS n FROM embeddings').get()).toEqual({ n: 1 }); // survived

    make.writeFile(root, '2024/photo-00.jpg', await make.jpeg(90, 45));
    const changed = await scanLibrary(db);
    expect(changed.updated).toBe(1);
    expect(imageByPath(db, path)).toMatchObject({ id, status: 'ok', width: 90, height: 45 });
    expect(db.prepare('SELECT count(*) AS n FROM embeddings').get()).toEqual({ n: 0 }); // stale, gone

    // Same bytes with a new mtime (a backup restore): no decode, nothing changes but the mtime.
    make.writeFile(root, '2024/photo-00.jpg', original);
    await scanLibrary(db);
    utimesSync(path, new Date(), new Date(Date.now() + 5_000));
    const touched = await scanLibrary(db);
    expect(touched.updated).toBe(1);
    expect(imageByPath(db, path)?.id).toBe(id);
  });

  it('reads a file again after an I/O error, and forgets a failure that went away', async () => {
    const root = await photoFolder(2);
    const db = openDatabase(':memory:');
    addFolders(db, [root]);
    const path = join(root, '2024/photo-01.jpg');
    await scanLibrary(db, {
      readFile: async (file) => {
        if (file === path) throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
        return readFile(file);
      },
    });
    expect(imageByPath(db, path)).toMatchObject({ status: 'error', readAgain: true });
    expect(imageByPath(db, path)?.error).toMatch(/^Input\/output error/);
    const retry = await scanLibrary(db);
    expect(retry.updated).toBe(1);
    expect(imageByPath(db, path)).toMatchObject({ status: 'ok', readAgain: false, error: null });
  });

  it('recognises a photo moved into another folder even when only that folder is scanned', async () => {
    const a = await photoFolder(2);
    const b = make.tempFolder('rescan-b');
    const db = openDatabase(':memory:');
    const { folderIds } = addFolders(db, [a, b]);
    await scanLibrary(db);
    const id = imageByPath(db, join(a, '2024/photo-00.jpg'))?.id;
    renameSync(join(a, '2024/photo-00.jpg'), join(b, 'photo-00.jpg'));
    const onlyB = await scanLibrary(db, { folderIds: [folderIds[1]] });
    expect(onlyB).toMatchObject({ moved: 1, added: 0 });
    expect(imageByPath(db, join(b, 'photo-00.jpg'))).toMatchObject({
      id,
      folderId: folderIds[1],
      relPath: 'photo-00.jpg',
    });
  });

  it('marks the images of a folder that is gone as missing, and brings them back with it', async () => {
    const root = await photoFolder(3);
    const db = openDatabase(':memory:');
    addFolders(db, [root]);
    await scanLibrary(db);
    renameSync(root, `${root}-unplugged`);
    const gone = await scanLibrary(db);
    expect(gone.folderProblems).toEqual([
      { path: root, reason: expect.stringMatching(/^Folder not found: .*not connected/) },
    ]);
    expect(gone.missing).toBe(3);
    expect(libraryStatus(db).counts).toMatchObject({ ok: 0, missing: 3 });
    renameSync(`${root}-unplugged`, root);
    const reader = countingReader();
    const back = await scanLibrary(db, { readFile: reader.readFile });
    expect(back).toMatchObject({ restored: 3, folderProblems: [] });
    expect(reader.reads).toEqual([]);
    expect(libraryStatus(db).counts).toMatchObject({ ok: 3, missing: 0 });
  });

  it('stops cleanly when aborted and the next scan reads only what is left', async () => {
    const root = await photoFolder(12);
    const db = openDatabase(':memory:');
    addFolders(db, [root]);
    const controller = new AbortController();
    const events: ProgressEvent[] = [];
    // Ctrl-C arrives while the fifth file is read (progress events are throttled, so they cannot time it).
    const interrupted = countingReader();
    const stopped = await scanLibrary(db, {
      signal: controller.signal,
      concurrency: 1,
      batchSize: 2,
      readFile: (path) => {
        if (interrupted.reads.length === 4) controller.abort();
        return interrupted.readFile(path);
      },
      onProgress: (event) => events.push(event),
    });
    expect(stopped.cancelled).toBe(true);
    const saved = stopped.added;
    expect(saved).toBe(5);
    expect(libraryStatus(db).folders[0].lastScanFinishedAt).toBeNull();
    expect(events.at(-1)).toMatchObject({ job: 'scan', phase: 'reading images', total: 12 });

    const reader = countingReader();
    const resumed = await scanLibrary(db, { readFile: reader.readFile });
    expect(resumed).toMatchObject({ cancelled: false, unchanged: saved, added: 12 - saved });
    expect(reader.reads).toHaveLength(12 - saved);
    expect(libraryStatus(db).folders[0].lastScanFinishedAt).not.toBeNull();
    // Ids follow folder order whatever the interruption.
    const ids = listTrainableImages(db).map((image) => image.relPath);
    expect(ids).toEqual([...ids].sort());
  });

  it('reports progress with count, total, rate and ETA', async () => {
    const root = await photoFolder(4);
    const db = openDatabase(':memory:');
    addFolders(db, [root]);
    const events: ProgressEvent[] = [];
    await scanLibrary(db, { onProgress: (event) => events.push(event) });
    const last = events.at(-1) as ProgressEvent;
    expect(last).toMatchObject({ job: 'scan', phase: 'reading images', done: 4, total: 4 });
    expect(last.ratePerSecond).toBeGreaterThan(0);
    expect(last.etaSeconds).toBe(0);
    expect(last.detail).toEqual({ errors: 0, unchanged: 0 });
  });
});
