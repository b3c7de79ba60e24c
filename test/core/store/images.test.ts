import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../core/store/database.ts';
import { insertFolder, listFolders, markScanFinished, markScanStarted } from '../../../core/store/folders.ts';
import {
  getImage,
  hasPixels,
  type ImageFields,
  imagesWithStatus,
  insertImage,
  missingImagesWithHash,
  putPixels,
  setImageStatus,
  statusCountsByFolder,
  storedPixelBytes,
  updateImage,
} from '../../../core/store/images.ts';

const fields = (folderId: number, name: string, extra: Partial<ImageFields> = {}): ImageFields => ({
  folderId,
  path: `/photos/${name}`,
  relPath: name,
  size: 10,
  mtimeMs: 1_700_000_000_123,
  hash: `hash-${name}`,
  format: 'jpeg',
  width: 4,
  height: 3,
  capturedAt: '2020-01-02T03:04:05',
  status: 'ok',
  error: null,
  readAgain: false,
  scannedAt: 5,
  ...extra,
});

describe('image store', () => {
  it('round-trips images, pixels and folder scan marks', () => {
    const db = openDatabase(':memory:');
    const folder = insertFolder(db, '/photos', 1);
    const id = insertImage(db, fields(folder.id, 'a.jpg'));
    expect(getImage(db, id)).toEqual({ id, ...fields(folder.id, 'a.jpg') });
    updateImage(
      db,
      id,
      fields(folder.id, 'a.jpg', { status: 'error', error: 'bad', readAgain: true, hash: null }),
    );
    expect(getImage(db, id)).toMatchObject({ status: 'error', error: 'bad', readAgain: true, hash: null });

    expect(hasPixels(db, id)).toBe(false);
    const pixels = {
      thumbnail: Buffer.from([1, 2]),
      thumbnailMime: 'image/jpeg',
      train: Buffer.from([3, 4, 5]),
      trainFormat: 'jpeg',
      trainWidth: 256,
      trainHeight: 256,
    };
    putPixels(db, id, pixels);
    putPixels(db, id, { ...pixels, train: Buffer.from([6]) }); // replaces
    expect(hasPixels(db, id)).toBe(true);
    expect(storedPixelBytes(db)).toEqual({ thumbnails: 2, trainingCopies: 1 });

    markScanStarted(db, folder.id, 10);
    expect(listFolders(db)[0]).toMatchObject({ lastScanStartedAt: 10, lastScanFinishedAt: null });
    markScanFinished(db, folder.id, 20);
    expect(listFolders(db)[0]).toMatchObject({ lastScanStartedAt: 10, lastScanFinishedAt: 20 });
  });

  it('counts by status and finds missing images by content hash', () => {
    const db = openDatabase(':memory:');
    const folder = insertFolder(db, '/photos');
    const a = insertImage(db, fields(folder.id, 'a.jpg', { hash: 'same' }));
    const b = insertImage(db, fields(folder.id, 'b.jpg', { hash: 'same' }));
    insertImage(db, fields(folder.id, 'c.jpg', { status: 'error', error: 'Truncated JPEG' }));
    setImageStatus(db, b, 'missing', null);
    setImageStatus(db, a, 'missing', null);
    expect(missingImagesWithHash(db, 'same').map((image) => image.id)).toEqual([a, b]);
    expect(statusCountsByFolder(db).get(folder.id)).toEqual({ ok: 0, error: 1, missing: 2 });
    expect(imagesWithStatus(db, 'error').map((image) => image.error)).toEqual(['Truncated JPEG']);
  });

  it('deleting a folder deletes its images and their pixels', () => {
    const db = openDatabase(':memory:');
    const folder = insertFolder(db, '/photos');
    const id = insertImage(db, fields(folder.id, 'a.jpg'));
    putPixels(db, id, {
      thumbnail: Buffer.alloc(1),
      thumbnailMime: 'image/jpeg',
      train: Buffer.alloc(1),
      trainFormat: 'jpeg',
      trainWidth: 1,
      trainHeight: 1,
    });
    db.prepare('DELETE FROM folders').run();
    expect(getImage(db, id)).toBeNull();
    expect(hasPixels(db, id)).toBe(false);
  });
});
