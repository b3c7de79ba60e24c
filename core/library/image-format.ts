import { extname } from 'node:path';

export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'tiff' | 'gif' | 'avif' | 'heif';

/** File names a scan looks at (lower case; names are compared case-insensitively). */
const IMAGE_EXTENSIONS = new Set([
  '.jpg',
  '.jpeg',
  '.jpe',
  '.jfif',
  '.png',
  '.webp',
  '.tif',
  '.tiff',
  '.gif',
  '.avif',
  '.heic',
  '.heif',
  '.hif',
]);

/** Whether a file name looks like an image. The format itself is decided on content (`sniffImageFormat`). */
export function hasImageExtension(name: string): boolean {
  return IMAGE_EXTENSIONS.has(extname(name).toLowerCase());
}

const ascii = (bytes: Uint8Array, start: number, length: number) =>
  String.fromCharCode(...bytes.subarray(start, start + length));

/** The image format a file's first bytes announce, whatever its name says; null when none. */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | null {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 8 && ascii(bytes, 0, 8) === '\x89PNG\r\n\x1a\n') return 'png';
  if (bytes.length >= 6 && (ascii(bytes, 0, 6) === 'GIF87a' || ascii(bytes, 0, 6) === 'GIF89a')) return 'gif';
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') return 'webp';
  if (bytes.length >= 4) {
    const head = ascii(bytes, 0, 4);
    // Classic TIFF and BigTIFF, both byte orders.
    if (head === 'II*\0' || head === 'MM\0*' || head === 'II+\0' || head === 'MM\0+') return 'tiff';
  }
  if (bytes.length >= 12 && ascii(bytes, 4, 4) === 'ftyp') return isoMediaFormat(bytes);
  return null;
}

/** AVIF and HEIC are both ISO media files; the brands in the `ftyp` box tell which codec is inside. */
function isoMediaFormat(bytes: Uint8Array): ImageFormat | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const boxSize = Math.min(view.getUint32(0), bytes.length);
  const brands = [ascii(bytes, 8, 4)];
  for (let offset = 16; offset + 4 <= boxSize; offset += 4) brands.push(ascii(bytes, offset, 4));
  if (brands.some((brand) => brand === 'avif' || brand === 'avis')) return 'avif';
  const heifBrands = ['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1'];
  if (brands.some((brand) => heifBrands.includes(brand))) return 'heif';
  return null;
}

export const FORMAT_NAMES: Record<ImageFormat, string> = {
  jpeg: 'JPEG',
  png: 'PNG',
  webp: 'WebP',
  tiff: 'TIFF',
  gif: 'GIF',
  avif: 'AVIF',
  heif: 'HEIC/HEIF',
};
