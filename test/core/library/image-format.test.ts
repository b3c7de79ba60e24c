import { describe, expect, it } from 'vitest';
import { hasImageExtension, sniffImageFormat } from '../../../core/library/image-format.ts';
import * as make from './fixture-images.ts';

describe('image formats', () => {
  it('recognises each format by content, whatever the name says', async () => {
    expect(sniffImageFormat(await make.jpeg(4, 4))).toBe('jpeg');
    expect(sniffImageFormat(await make.png(4, 4))).toBe('png');
    expect(sniffImageFormat(await make.webp())).toBe('webp');
    expect(sniffImageFormat(await make.tiff())).toBe('tiff');
    expect(sniffImageFormat(await make.animatedGif())).toBe('gif');
    expect(sniffImageFormat(await make.avif())).toBe('avif');
    expect(sniffImageFormat(make.heicStart())).toBe('heif');
    expect(sniffImageFormat(Buffer.from('MM\0*rest of a big-endian TIFF'))).toBe('tiff');
  });

  it('finds nothing in text, empty or short files, or other ISO media (video)', () => {
    expect(sniffImageFormat(Buffer.from('hello, world'))).toBeNull();
    expect(sniffImageFormat(Buffer.alloc(0))).toBeNull();
    expect(sniffImageFormat(Buffer.from([0xff, 0xd8]))).toBeNull();
    const mp4 = Buffer.concat([Buffer.from([0, 0, 0, 20]), Buffer.from('ftypisom\0\0\0\0mp41', 'latin1')]);
    expect(sniffImageFormat(mp4)).toBeNull();
  });

  it('picks candidate files by extension, case-insensitively', () => {
    for (const name of [
      'a.jpg',
      'B.JPEG',
      'c.Png',
      'd.tif',
      'e.TIFF',
      'f.webp',
      'g.gif',
      'h.avif',
      'IMG_1.HEIC',
      'x.jfif',
    ]) {
      expect(hasImageExtension(name), name).toBe(true);
    }
    for (const name of ['notes.txt', 'movie.mp4', 'raw.CR2', 'jpg', 'photo.jpg.xmp']) {
      expect(hasImageExtension(name), name).toBe(false);
    }
  });
});
