import { EXIF_SIGNATURE } from './exif-facts.ts';

/** What a JPEG's markers say before its pixels: the stored size, and its EXIF block if it has one. */
export interface JpegHeader {
  width: number;
  height: number;
  /** The APP1 EXIF block (`Exif\0\0` then a TIFF structure), as `readExifFacts` takes it; null when none. */
  exif: Buffer | null;
}

/**
 * Walks a JPEG's markers up to its first scan: the stored size from the start-of-frame marker and
 * the EXIF block from APP1, read in microseconds in JavaScript, where asking libvips costs ~1 ms of
 * CPU per photo and handing exifr the whole file ~0.4 ms (a few per cent of a whole scan). null when
 * the markers are not where a well-formed file has them (libvips then decides).
 */
export function readJpegHeader(bytes: Buffer): JpegHeader | null {
  let size: { width: number; height: number } | null = null;
  let exif: Buffer | null = null;
  let offset = 2; // after SOI
  while (offset + 9 < bytes.length) {
    if (bytes[offset] !== 0xff) break; // not a marker: what was read so far is all there is
    const marker = bytes[offset + 1];
    if (marker === 0xff) {
      offset++; // fill byte
      continue;
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      offset += 2; // markers without a length
      continue;
    }
    if (marker === 0xda || marker === 0xd9) break; // the pixels (or the end) begin
    const length = (bytes[offset + 2] << 8) | bytes[offset + 3];
    if (isStartOfFrame(marker) && !size) {
      const height = (bytes[offset + 5] << 8) | bytes[offset + 6];
      const width = (bytes[offset + 7] << 8) | bytes[offset + 8];
      if (width === 0 || height === 0) return null;
      size = { width, height };
    } else if (marker === 0xe1 && !exif && isExif(bytes, offset + 4, length - 2)) {
      exif = bytes.subarray(offset + 4, Math.min(bytes.length, offset + 2 + length));
    }
    offset += 2 + length;
  }
  return size && { ...size, exif };
}

function isExif(bytes: Buffer, start: number, length: number): boolean {
  return (
    length > EXIF_SIGNATURE.length &&
    bytes.toString('latin1', start, start + EXIF_SIGNATURE.length) === EXIF_SIGNATURE
  );
}

/** SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC), which share the range. */
const isStartOfFrame = (marker: number) =>
  marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
