import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { ReusableFileReader } from '../../../core/library/reusable-file-reader.ts';
import { tempFolder, writeFile } from './fixture-images.ts';

const root = tempFolder('reader');
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('reading files into a reused buffer', () => {
  it('returns exactly each file, whether it is larger or smaller than the one before', async () => {
    const reader = new ReusableFileReader();
    const contents = [
      randomBytes(1000),
      randomBytes(300_000),
      randomBytes(10),
      Buffer.alloc(0),
      randomBytes(700_000),
    ];
    for (const [i, bytes] of contents.entries()) {
      const path = writeFile(root, `file-${i}.bin`, bytes);
      expect((await reader.read(path)).equals(bytes)).toBe(true);
    }
  });

  it("throws the file system's error, as readFile does", async () => {
    const reader = new ReusableFileReader();
    await expect(reader.read(`${root}/absent.jpg`)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(reader.read(root)).rejects.toMatchObject({ code: 'EISDIR' });
  });
});
