import { FORMAT_NAMES, type ImageFormat } from './image-format.ts';

/**
 * Why one file could not be indexed, in words for the person who owns it. `transient` failures
 * (the file could not be read at all) are retried by the next scan even when the file is unchanged;
 * content failures are not, until the file changes.
 */
export class ImageReadFailure extends Error {
  constructor(
    readonly reason: string,
    readonly transient: boolean,
  ) {
    super(reason);
    this.name = 'ImageReadFailure';
  }
}

/** A file-system error (from reading a file or listing a folder) as a reason and a remedy. */
export function describeFileSystemError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  switch (code) {
    case 'ENOENT':
      return 'The file disappeared during the scan (deleted or moved); the next scan finds it at its new place.';
    case 'EACCES':
    case 'EPERM':
      return 'Permission denied: dinoscope may not read this file. Give your user read access, then run `dinoscope scan`.';
    case 'ELOOP':
      return 'Symbolic link loop: the link points (through other links) back to itself. Remove or fix the link.';
    case 'EISDIR':
      return 'The file was replaced by a folder during the scan; the next scan looks inside it.';
    case 'EIO':
      return 'Input/output error while reading: the disk or network share failed. Check the drive, then run `dinoscope scan`.';
    case 'ENAMETOOLONG':
      return 'The path is too long for this system to open. Move the file to a shorter path.';
    case 'EMFILE':
    case 'ENFILE':
      return 'Too many files open at once on this system; run `dinoscope scan` again.';
    default: {
      const message = error instanceof Error ? error.message : String(error);
      return `Could not read the file (${message}). Check it can be opened, then run \`dinoscope scan\`.`;
    }
  }
}

/**
 * sharp's error when `failOn: 'warning'` stopped a decode, as thrown when the warning itself was
 * lost: sharp collects libvips warnings in one process-wide queue, and another image finishing at
 * that moment can take them (seen with several files in flight).
 */
const BARE_FAIL_ON_WARNING = 'Warning treated as error due to failOn setting';

/** A decoder error (libvips through sharp) as a reason naming the format and what to do. */
export function describeDecodeError(format: ImageFormat, error: unknown, bytes?: Uint8Array): string {
  const message = (error instanceof Error ? error.message : String(error)).trim().split('\n')[0];
  const name = FORMAT_NAMES[format];
  if (
    /premature end|truncated|unexpected end|end of (file|stream|data)|not enough data|short read/i.test(
      message,
    ) ||
    (message === BARE_FAIL_ON_WARNING && bytes !== undefined && endsEarly(format, bytes))
  ) {
    return `Truncated ${name}: the file ends before the image data does (an interrupted copy or download?). Restore it from a backup or re-export it. [${message}]`;
  }
  if (format === 'heif' && /plugin|unsupported|no decoder|codec|compression/i.test(message)) {
    return unsupportedHeic(message);
  }
  return `Damaged ${name}: the image data cannot be decoded. Open it in an image editor and re-save it, or restore it from a backup. [${message}]`;
}

export function unsupportedHeic(detail?: string): string {
  return `Unsupported format: HEIC (HEVC-coded HEIF) cannot be decoded by this installation's image decoder (libvips without an HEVC plugin). Convert it to JPEG (e.g. export from Photos) to include it.${detail ? ` [${detail}]` : ''}`;
}

/**
 * The file lacks the end its format requires: a JPEG without its end-of-image marker near the
 * end, a PNG whose last chunk is not IEND. Only consulted when the decoder's own words were lost.
 */
function endsEarly(format: ImageFormat, bytes: Uint8Array): boolean {
  const tail = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).subarray(-1024);
  if (format === 'jpeg') return !tail.includes(JPEG_END);
  if (format === 'png') return !tail.subarray(-PNG_END.length).equals(PNG_END);
  return false;
}

const JPEG_END = Buffer.from([0xff, 0xd9]);
const PNG_END = Buffer.from([0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]);
