import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { addFolders } from '../../../core/library/add-folders.ts';
import { scanLibrary } from '../../../core/library/scan.ts';
import {
  decodeTrainingCopy,
  listTrainableImages,
  readThumbnail,
  readTrainingCopy,
} from '../../../core/library/training-copy.ts';
import { openDatabase } from '../../../core/store/database.ts';
import { imageByPath } from '../../../core/store/images.ts';
import * as make from './fixture-images.ts';

describe('training copies', () => {
  it('lists readable images in id order with their class folder, and decodes their copies', async () => {
    const root = make.tempFolder('train');
    make.writeFile(root, 'cats/a.jpg', await make.jpeg(600, 400, '#c86432'));
    make.writeFile(root, 'cats/b.png', await make.png(300, 900, '#3264c8'));
    make.writeFile(root, 'dogs/broken.jpg', 'not a photo');
    make.writeFile(root, 'dogs/c.webp', await make.webp());
    const db = openDatabase(':memory:');
    addFolders(db, [root]);
    await scanLibrary(db);

    const images = listTrainableImages(db);
    expect(images.map((image) => image.relPath)).toEqual(['cats/a.jpg', 'cats/b.png', 'dogs/c.webp']);
    expect(images.map((image) => image.id)).toEqual(
      [...images.map((image) => image.id)].sort((a, b) => a - b),
    );
    expect(images[0]).toEqual({
      id: images[0].id,
      path: join(root, 'cats/a.jpg'),
      relPath: 'cats/a.jpg',
      folderPath: root,
    });

    const landscape = await readTrainingCopy(db, images[0].id);
    expect([landscape.width, landscape.height]).toEqual([384, 256]);
    expect(landscape.data).toBeInstanceOf(Uint8Array);
    expect(landscape.data.length).toBe(384 * 256 * 3);
    const [r, g, b] = landscape.data.subarray(3 * (128 * 384 + 192));
    expect(Math.abs(r - 0xc8) + Math.abs(g - 0x64) + Math.abs(b - 0x32)).toBeLessThan(12); // JPEG q92
    // Stored as JPEG q92 with 4:2:0 chroma, as the ImageNet JPEGs the reference trains on.
    const stored = db
      .prepare('SELECT train, train_format FROM image_pixels WHERE image_id = ?')
      .get(images[0].id) as {
      train: Buffer;
      train_format: string;
    };
    expect(stored.train_format).toBe('jpeg');
    expect((await sharp(stored.train).metadata()).chromaSubsampling).toBe('4:2:0');
    const portrait = await readTrainingCopy(db, images[1].id);
    expect([portrait.width, portrait.height]).toEqual([256, 768]);

    const thumbnail = readThumbnail(db, images[1].id);
    expect(thumbnail?.mime).toBe('image/jpeg');
    expect(thumbnail?.bytes.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
  });

  it('says why when there is no copy to read', async () => {
    const root = make.tempFolder('train-none');
    make.writeFile(root, 'broken.jpg', 'not a photo');
    const db = openDatabase(':memory:');
    addFolders(db, [root]);
    await scanLibrary(db);
    const broken = imageByPath(db, join(root, 'broken.jpg'));
    await expect(readTrainingCopy(db, broken?.id as number)).rejects.toThrow(
      /has no training copy.*dinoscope scan/,
    );
    await expect(readTrainingCopy(db, 999)).rejects.toThrow(/Image 999 has no training copy/);
    expect(readThumbnail(db, 999)).toBeNull();
  });

  it('decodes raw RGB copies as they are and refuses a copy whose size does not match', async () => {
    const raw = Buffer.from([1, 2, 3, 4, 5, 6]);
    expect(await decodeTrainingCopy(raw, 'rgb8', 2, 1)).toEqual({
      width: 2,
      height: 1,
      data: new Uint8Array(raw),
    });
    await expect(decodeTrainingCopy(await make.jpeg(20, 10), 'jpeg', 30, 10)).rejects.toThrow(
      /expected 30×10×3/,
    );
  });
});
