import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { addFolders } from '../../../core/library/add-folders.ts';
import { libraryStatus } from '../../../core/library/library-status.ts';
import { scanLibrary } from '../../../core/library/scan.ts';
import { listTrainableImages, readTrainingCopy } from '../../../core/library/training-copy.ts';
import { openDatabase } from '../../../core/store/database.ts';
import { getImage } from '../../../core/store/images.ts';
import { hasShared, sharedPath, skipWithoutShared } from '../../shared-fixtures.ts';

describe.skipIf(!hasShared)(`the shared real photos ${skipWithoutShared}`, () => {
  it('indexes all 45 photos (1.3–20 MP) with displayed sizes and 256 px training copies', async () => {
    const db = openDatabase(':memory:');
    addFolders(db, [sharedPath('datasets/photos')]);
    const summary = await scanLibrary(db);
    expect(summary).toMatchObject({ found: 45, added: 45, errors: 0 });
    const status = libraryStatus(db);
    expect(status.formats).toEqual({ jpeg: 41, png: 4 });
    const images = listTrainableImages(db);
    expect(images).toHaveLength(45);
    for (const { id, path } of images.filter((_, i) => i % 9 === 0)) {
      const record = getImage(db, id);
      const { autoOrient } = await sharp(path).metadata();
      expect([record?.width, record?.height]).toEqual([autoOrient.width, autoOrient.height]);
      const copy = await readTrainingCopy(db, id);
      expect(Math.min(copy.width, copy.height)).toBe(256);
      expect(copy.width / copy.height).toBeCloseTo(autoOrient.width / autoOrient.height, 1);
    }
    // The library stays small: thumbnails and JPEG training copies, not raw pixels.
    expect(status.storedBytes.trainingCopies / 45).toBeLessThan(80_000);
    expect((await scanLibrary(db)).unchanged).toBe(45);
  });
});
