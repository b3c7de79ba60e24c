import { mkdirSync, symlinkSync } from 'node:fs';
import { readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { addFolders } from '../../../core/library/add-folders.ts';
import { libraryStatus, listErrors } from '../../../core/library/library-status.ts';
import { type ScanSummary, scanLibrary } from '../../../core/library/scan.ts';
import { readThumbnail, readTrainingCopy } from '../../../core/library/training-copy.ts';
import { type Db, openDatabase } from '../../../core/store/database.ts';
import { type ImageRecord, imageByPath } from '../../../core/store/images.ts';
import * as make from './fixture-images.ts';

/**
 * One folder holding every must-index and every bad-input case of the issue, scanned once; each
 * test then checks one case.
 */
describe('scanning a folder of awkward files', () => {
  let root: string;
  let db: Db;
  let summary: ScanSummary;
  const image = (relPath: string): ImageRecord => {
    const found = imageByPath(db, join(root, relPath));
    if (!found) throw new Error(`${relPath} was not recorded`);
    return found;
  };
  const reason = (relPath: string) => {
    const found = image(relPath);
    expect(found.status).toBe('error');
    return found.error ?? '';
  };

  beforeAll(async () => {
    root = make.tempFolder('awkward');
    const write = (relPath: string, bytes: Uint8Array | string) => make.writeFile(root, relPath, bytes);
    // Must index.
    write('rotated.jpg', await make.exifRotatedJpeg());
    write('cmyk.jpg', await make.cmykJpeg());
    write('sixteen-bit.png', await make.png16());
    write('grey-alpha.png', await make.greyAlphaPng());
    write('animated.gif', await make.animatedGif());
    write('one-pixel.png', await make.png(1, 1));
    write('panorama.jpg', await make.jpeg(3000, 30));
    write('actually-png.jpg', await make.png(20, 10));
    write('UPPER.JPEG', await make.jpeg(16, 16));
    write('Mixed.Png', await make.png(16, 16));
    write('with spaces and ünïcödé 写真 фото.jpg', await make.jpeg(16, 12));
    write('a/b/c/d/e/f/g/h/deep.jpg', await make.jpeg(12, 16));
    write('formats/picture.webp', await make.webp());
    write('formats/picture.tiff', await make.tiff());
    write('formats/picture.avif', await make.avif());
    // Bad input.
    write('empty.jpg', '');
    write('truncated.jpg', (await make.noiseJpeg(300, 200)).subarray(0, 6000));
    write('text.png', 'this is not a PNG at all, just some text\n');
    write('corrupt.png', await make.corruptPng());
    write('bomb.png', make.forgedPngHeader(40_000, 40_000));
    write('iphone.heic', make.heicStart());
    write('._IMG_0001.jpg', 'AppleDouble resource fork');
    write('.DS_Store', 'Bud1');
    write('.hidden/inside.jpg', await make.jpeg(8, 8));
    write('notes.txt', 'not an image name: ignored');
    write('gone.jpg', await make.jpeg(10, 10));
    write('unreadable.jpg', await make.jpeg(10, 10));
    mkdirSync(join(root, 'loop'));
    symlinkSync(root, join(root, 'loop', 'back-to-root'));
    symlinkSync('self.jpg', join(root, 'self.jpg'));

    db = openDatabase(':memory:');
    addFolders(db, [root]);
    summary = await scanLibrary(db, {
      // The file system's failures mid-scan, for real where root can make them happen.
      readFile: async (path) => {
        if (path.endsWith('gone.jpg')) await unlink(path); // deleted after the walk saw it
        if (path.endsWith('unreadable.jpg')) {
          // As root, chmod 000 does not stop a read: simulate what the OS says to a normal user.
          throw Object.assign(new Error(`EACCES: permission denied, open '${path}'`), { code: 'EACCES' });
        }
        return readFile(path);
      },
    });
  });

  it('indexes every readable image and records every failure without stopping', () => {
    expect(summary.cancelled).toBe(false);
    expect(summary.added).toBe(15);
    expect(summary.errors).toBe(8);
    const status = libraryStatus(db);
    expect(status.counts.ok).toBe(15);
    expect(status.counts.error).toBe(10); // + the symlink loops, found by the walk
    expect(status.folders[0].lastScanFinishedAt).not.toBeNull();
    expect(listErrors(db).map((error) => error.relPath)).toEqual([
      'bomb.png',
      'corrupt.png',
      'empty.jpg',
      'gone.jpg',
      'iphone.heic',
      'loop/back-to-root',
      'self.jpg',
      'text.png',
      'truncated.jpg',
      'unreadable.jpg',
    ]);
  });

  it('applies EXIF orientation to the recorded size and the stored copies, and reads the capture time', async () => {
    const rotated = image('rotated.jpg');
    expect([rotated.width, rotated.height]).toEqual([32, 64]);
    expect(rotated.capturedAt).toBe('2019-06-01T12:34:56+02:00');
    const copy = await readTrainingCopy(db, rotated.id);
    expect([copy.width, copy.height]).toEqual([256, 512]);
    // Orientation 6 turns the red left half into the top half.
    const pixel = (x: number, y: number) => [
      ...copy.data.subarray((y * copy.width + x) * 3, (y * copy.width + x) * 3 + 3),
    ];
    expect(pixel(128, 10)[0]).toBeGreaterThan(200);
    expect(pixel(128, 500)[2]).toBeGreaterThan(200);
  });

  it('converts CMYK, 16-bit and grey+alpha to 8-bit RGB', async () => {
    for (const relPath of ['cmyk.jpg', 'sixteen-bit.png', 'grey-alpha.png']) {
      const copy = await readTrainingCopy(db, image(relPath).id);
      expect(copy.data.length).toBe(copy.width * copy.height * 3);
      expect(Math.min(copy.width, copy.height)).toBe(256);
    }
    const cmyk = await readTrainingCopy(db, image('cmyk.jpg').id);
    expect(cmyk.data[1]).toBeGreaterThan(cmyk.data[0] + 60); // still green
    const orange = await readTrainingCopy(db, image('sixteen-bit.png').id);
    expect([...orange.data.subarray(0, 3)].map((v) => Math.round(v / 16))).toEqual([16, 8, 0]);
    const grey = await readTrainingCopy(db, image('grey-alpha.png').id);
    expect(grey.data[0]).toBe(grey.data[1]); // grey stays grey, half transparent over white
    expect(grey.data[0]).toBeGreaterThan(140);
    expect(grey.data[0]).toBeLessThan(200);
  });

  it('keeps the first frame of an animated GIF', async () => {
    const gif = image('animated.gif');
    expect([gif.format, gif.width, gif.height]).toEqual(['gif', 20, 10]);
    const copy = await readTrainingCopy(db, gif.id);
    expect(copy.data[1]).toBeGreaterThan(200);
    expect(copy.data[0]).toBeLessThan(60);
  });

  it('indexes a 1 × 1 image and a 100:1 panorama with a 256 px short side', async () => {
    const tiny = await readTrainingCopy(db, image('one-pixel.png').id);
    expect([tiny.width, tiny.height]).toEqual([256, 256]);
    const panorama = image('panorama.jpg');
    expect([panorama.width, panorama.height]).toEqual([3000, 30]);
    const copy = await readTrainingCopy(db, panorama.id);
    expect([copy.width, copy.height]).toEqual([25600, 256]);
    const thumbnail = readThumbnail(db, panorama.id);
    expect(thumbnail?.mime).toBe('image/jpeg');
  });

  it('decides the format on content: a PNG named .jpg is a PNG; names are matched case-insensitively', () => {
    expect(image('actually-png.jpg').format).toBe('png');
    expect(image('UPPER.JPEG').status).toBe('ok');
    expect(image('Mixed.Png').status).toBe('ok');
    expect(image('formats/picture.webp').format).toBe('webp');
    expect(image('formats/picture.tiff').format).toBe('tiff');
    expect(image('formats/picture.avif').format).toBe('avif');
  });

  it('handles non-Latin names with spaces and deeply nested folders', () => {
    expect(image('with spaces and ünïcödé 写真 фото.jpg').status).toBe('ok');
    const deep = image('a/b/c/d/e/f/g/h/deep.jpg');
    expect(deep.relPath).toBe('a/b/c/d/e/f/g/h/deep.jpg');
    expect(deep.status).toBe('ok');
  });

  it('gives each bad file a reason that says what happened', () => {
    expect(reason('empty.jpg')).toMatch(/Empty file \(0 bytes\)/);
    expect(reason('truncated.jpg')).toMatch(/^Truncated JPEG/);
    expect(reason('text.png')).toMatch(/^Not an image.*"this is /);
    expect(reason('corrupt.png')).toMatch(/^Damaged PNG/);
    expect(reason('bomb.png')).toMatch(/declares 40000 × 40000 pixels \(1600 MP, above the 268 MP limit\)/);
    expect(reason('iphone.heic')).toMatch(/^Unsupported format: HEIC/);
    expect(reason('gone.jpg')).toMatch(/disappeared during the scan/);
    expect(reason('unreadable.jpg')).toMatch(/^Permission denied/);
    expect(reason('loop/back-to-root')).toMatch(/^Symbolic link loop: it leads back to/);
    expect(reason('self.jpg')).toMatch(/^Symbolic link loop/);
    expect(image('unreadable.jpg').readAgain).toBe(true);
    expect(image('truncated.jpg').readAgain).toBe(false);
  });

  it('skips macOS litter and hidden folders quietly', () => {
    expect(imageByPath(db, join(root, '._IMG_0001.jpg'))).toBeNull();
    expect(imageByPath(db, join(root, '.DS_Store'))).toBeNull();
    expect(imageByPath(db, join(root, '.hidden/inside.jpg'))).toBeNull();
    expect(imageByPath(db, join(root, 'notes.txt'))).toBeNull();
  });

  it('stores a JPEG thumbnail with a 256 px long side', async () => {
    const thumbnail = readThumbnail(db, image('rotated.jpg').id);
    expect(thumbnail?.mime).toBe('image/jpeg');
    const { default: sharp } = await import('sharp');
    const meta = await sharp(thumbnail?.bytes).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 128, 256]);
    expect(readThumbnail(db, image('bomb.png').id)).toBeNull();
  });
});
