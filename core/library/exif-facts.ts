import exifr from 'exifr';

/** What the library keeps from EXIF: how to turn the image upright, and when it was taken. */
export interface ExifFacts {
  /** EXIF Orientation, 1–8 (1 when absent). 5–8 swap width and height. */
  orientation: number;
  /** ISO 8601 in the camera's local time, with the UTC offset when the camera recorded one. */
  capturedAt: string | null;
}

const NONE: ExifFacts = { orientation: 1, capturedAt: null };
const TAGS = ['Orientation', 'DateTimeOriginal', 'OffsetTimeOriginal', 'CreateDate', 'OffsetTimeDigitized'];
const EXIF_DATE = /^(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})/;
const EXIF_OFFSET = /^[+-]\d{2}:\d{2}$/;

/** How an EXIF block starts, before its TIFF structure. */
export const EXIF_SIGNATURE = 'Exif\0\0';

/**
 * Reads the EXIF facts from an EXIF block: a JPEG's APP1 segment (`readJpegHeader`) or the block
 * libvips extracted from any format (`sharp().metadata().exif`), `Exif\0\0` then a TIFF structure;
 * a bare TIFF structure or a whole JPEG file is read too. A damaged or absent block costs the
 * facts, never the image.
 */
export async function readExifFacts(input: Buffer | undefined): Promise<ExifFacts> {
  if (!input || input.length < 14) return NONE;
  const signed = input.subarray(0, EXIF_SIGNATURE.length).toString('latin1') === EXIF_SIGNATURE;
  const source = signed ? input.subarray(EXIF_SIGNATURE.length) : input;
  let tags: Record<string, unknown> | undefined;
  try {
    tags = await exifr.parse(source, { pick: TAGS, reviveValues: false, translateValues: false });
  } catch {
    return NONE;
  }
  if (!tags) return NONE;
  const orientation = typeof tags.Orientation === 'number' && tags.Orientation >= 1 && tags.Orientation <= 8;
  return {
    orientation: orientation ? (tags.Orientation as number) : 1,
    capturedAt:
      typeof tags.DateTimeOriginal === 'string'
        ? isoTime(tags.DateTimeOriginal, tags.OffsetTimeOriginal)
        : isoTime(tags.CreateDate, tags.OffsetTimeDigitized),
  };
}

/** `2019:06:01 12:34:56` (+ `+02:00`) → `2019-06-01T12:34:56+02:00`; null when not a real date. */
function isoTime(date: unknown, offset: unknown): string | null {
  if (typeof date !== 'string') return null;
  const match = EXIF_DATE.exec(date.trim());
  if (!match) return null;
  const [, year, month, day, hour, minute, second] = match.map(Number);
  if (
    year < 1800 ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > 31 ||
    hour > 23 ||
    minute > 59 ||
    second > 60
  ) {
    return null; // e.g. the all-zero date some cameras write when their clock was never set
  }
  const iso = `${match[1]}-${match[2]}-${match[3]}T${match[4]}:${match[5]}:${match[6]}`;
  return typeof offset === 'string' && EXIF_OFFSET.test(offset.trim()) ? iso + offset.trim() : iso;
}
