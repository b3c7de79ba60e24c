import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { readExifFacts } from '../../../core/library/exif-facts.ts';
import { readJpegHeader } from '../../../core/library/jpeg-header.ts';
import * as make from './fixture-images.ts';

describe('JPEG header and EXIF facts', () => {
  it('reads the stored size of baseline, progressive and CMYK JPEGs', async () => {
    expect(readJpegHeader(await make.jpeg(123, 45))).toEqual({ width: 123, height: 45, exif: null });
    const progressive = await sharp(await make.jpeg(77, 99))
      .jpeg({ progressive: true })
      .toBuffer();
    expect(readJpegHeader(progressive)).toEqual({ width: 77, height: 99, exif: null });
    expect(readJpegHeader(await make.cmykJpeg())).toMatchObject({ width: 40, height: 30 });
    expect(readJpegHeader(await make.exifRotatedJpeg())).toMatchObject({ width: 64, height: 32 }); // stored, not displayed
  });

  it('gives up (null) on what is not a well-formed JPEG start', async () => {
    expect(readJpegHeader(Buffer.from([0xff, 0xd8, 0xff]))).toBeNull();
    expect(readJpegHeader(Buffer.from('\xff\xd8garbage that is not a marker', 'latin1'))).toBeNull();
    expect(readJpegHeader((await make.jpeg(50, 50)).subarray(0, 100))).toBeNull();
  });

  it('reads orientation and capture time, from a whole JPEG or a bare EXIF block', async () => {
    const rotated = await make.exifRotatedJpeg();
    expect(await readExifFacts(rotated)).toEqual({ orientation: 6, capturedAt: '2019-06-01T12:34:56+02:00' });
    const { exif } = await sharp(rotated).metadata();
    expect(await readExifFacts(exif)).toEqual({ orientation: 6, capturedAt: '2019-06-01T12:34:56+02:00' });
    const block = readJpegHeader(rotated)?.exif ?? undefined;
    expect(block?.equals(exif as Buffer)).toBe(true); // the APP1 block, found without libvips
    expect(await readExifFacts(block)).toEqual({ orientation: 6, capturedAt: '2019-06-01T12:34:56+02:00' });
    const noClock = await make.withCaptureTime(await make.jpeg(8, 8), '0000:00:00 00:00:00');
    expect(await readExifFacts(noClock)).toEqual({ orientation: 1, capturedAt: null });
    expect(await readExifFacts(await make.png(4, 4))).toEqual({ orientation: 1, capturedAt: null });
    expect(await readExifFacts(undefined)).toEqual({ orientation: 1, capturedAt: null });
  });
});
