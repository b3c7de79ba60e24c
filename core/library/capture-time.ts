import exifr from 'exifr';

const EXIF_DATE = /^(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})/;
const EXIF_OFFSET = /^[+-]\d{2}:\d{2}$/;

/**
 * When the photo was taken, from the EXIF block libvips extracted (`sharp().metadata().exif`, which
 * starts with `Exif\0\0` and then a TIFF structure): ISO 8601 in the camera's local time, with the
 * UTC offset when the camera recorded one. null when absent or not a real date (e.g. all zeros).
 */
export async function captureTime(exif: Buffer | undefined): Promise<string | null> {
  if (!exif || exif.length < 14) return null;
  const tiff = exif.subarray(0, 6).toString('latin1') === 'Exif\0\0' ? exif.subarray(6) : exif;
  let tags: Record<string, unknown> | undefined;
  try {
    tags = await exifr.parse(tiff, {
      pick: ['DateTimeOriginal', 'OffsetTimeOriginal', 'CreateDate', 'OffsetTimeDigitized'],
      reviveValues: false,
    });
  } catch {
    return null; // a damaged EXIF block costs the capture time, never the image
  }
  if (!tags) return null;
  const [date, offset] =
    typeof tags.DateTimeOriginal === 'string'
      ? [tags.DateTimeOriginal, tags.OffsetTimeOriginal]
      : [tags.CreateDate, tags.OffsetTimeDigitized];
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
    return null;
  }
  const iso = `${match[1]}-${match[2]}-${match[3]}T${match[4]}:${match[5]}:${match[6]}`;
  return typeof offset === 'string' && EXIF_OFFSET.test(offset.trim()) ? iso + offset.trim() : iso;
}
