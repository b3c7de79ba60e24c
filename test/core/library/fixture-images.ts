import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';

/** Builds test images with sharp (and a few by hand), so tests need no binary fixtures. */

export const tempFolder = (prefix: string) => mkdtempSync(join(tmpdir(), `dinoscope-${prefix}-`));

export function writeFile(root: string, relPath: string, bytes: Uint8Array | string): string {
  const path = join(root, relPath);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
  return path;
}

const solid = (width: number, height: number, colour = '#3c78b4') =>
  sharp({ create: { width, height, channels: 3, background: colour } });

/** Left half red, right half blue: tells orientation apart after decoding. */
async function twoTone(width: number, height: number): Promise<Buffer> {
  const left = await solid(Math.ceil(width / 2), height, '#ff0000')
    .png()
    .toBuffer();
  return solid(width, height, '#0000ff')
    .composite([{ input: left, left: 0, top: 0 }])
    .raw()
    .toBuffer();
}

export const jpeg = (width: number, height: number, colour?: string) =>
  solid(width, height, colour).jpeg().toBuffer();

export const png = (width: number, height: number, colour?: string) =>
  solid(width, height, colour).png().toBuffer();

/** Noise compresses badly: a JPEG big enough to take real decoding time. */
export const noiseJpeg = (width: number, height: number, seed = 0) =>
  sharp({
    create: {
      width,
      height,
      channels: 3,
      background: '#000',
      noise: { type: 'gaussian', mean: 100 + (seed % 50), sigma: 40 },
    },
  })
    .jpeg({ quality: 90 })
    .toBuffer();

/** Stored 64 × 32 with EXIF orientation 6 (rotate 90° clockwise): displayed 32 × 64. */
export async function exifRotatedJpeg(): Promise<Buffer> {
  return sharp(await twoTone(64, 32), { raw: { width: 64, height: 32, channels: 3 } })
    .withMetadata({ orientation: 6 })
    .withExif({ IFD2: { DateTimeOriginal: '2019:06:01 12:34:56', OffsetTimeOriginal: '+02:00' } })
    .jpeg()
    .toBuffer();
}

export const withCaptureTime = (bytes: Buffer, when: string) =>
  sharp(bytes)
    .withExif({ IFD2: { DateTimeOriginal: when } })
    .jpeg()
    .toBuffer();

export const cmykJpeg = () => solid(40, 30, '#20a040').toColourspace('cmyk').jpeg().toBuffer();

export const png16 = () => solid(30, 20, '#ff8000').toColourspace('rgb16').png().toBuffer();

export const greyAlphaPng = () =>
  sharp({ create: { width: 24, height: 16, channels: 4, background: { r: 90, g: 90, b: 90, alpha: 0.5 } } })
    .toColourspace('b-w')
    .png()
    .toBuffer();

/** Three frames of different colours; the library keeps the first (green). */
export async function animatedGif(): Promise<Buffer> {
  const frames = await Promise.all(
    ['#00ff00', '#ff0000', '#0000ff'].map((c) => solid(20, 10, c).png().toBuffer()),
  );
  return sharp(frames, { join: { animated: true } })
    .gif({ delay: [100, 100, 100] })
    .toBuffer();
}

export const webp = () => solid(30, 20).webp().toBuffer();
export const tiff = () => solid(30, 20).tiff().toBuffer();
export const avif = () => solid(32, 24).avif().toBuffer();

/** A PNG whose header declares `width` × `height` over a tiny body: refused before decoding. */
export function forgedPngHeader(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const typed = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(typed));
    return Buffer.concat([length, typed, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.alloc(1024))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A PNG with its compressed body scrambled (header and chunk layout intact). */
export async function corruptPng(): Promise<Buffer> {
  const bytes = await sharp({
    create: {
      width: 200,
      height: 150,
      channels: 3,
      background: '#000',
      noise: { type: 'gaussian', mean: 128, sigma: 30 },
    },
  })
    .png()
    .toBuffer();
  const damaged = Buffer.from(bytes);
  for (let i = 100; i < damaged.length - 64; i += 61) damaged[i] ^= 0x5a;
  return damaged;
}

/**
 * The start of a HEIC file (ISO media `ftyp` box with the `heic` brand, then a truncated `meta`
 * box). Without an HEVC decoder the library must say the format is unsupported.
 */
export function heicStart(): Buffer {
  const ftyp = Buffer.concat([
    Buffer.from([0, 0, 0, 24]),
    Buffer.from('ftypheic', 'latin1'),
    Buffer.from([0, 0, 0, 0]),
    Buffer.from('mif1heic', 'latin1'),
  ]);
  return Buffer.concat([ftyp, Buffer.from([0, 0, 0, 40]), Buffer.from('meta', 'latin1'), Buffer.alloc(32)]);
}
