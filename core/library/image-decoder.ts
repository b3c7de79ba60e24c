import sharp, { type Metadata, type OutputInfo } from 'sharp';
import type { ImagePixels } from '../store/images.ts';
import { readExifFacts } from './exif-facts.ts';
import { FORMAT_NAMES, type ImageFormat } from './image-format.ts';
import { readJpegHeader } from './jpeg-header.ts';
import { describeDecodeError, ImageReadFailure, unsupportedHeic } from './read-failure.ts';

/** Short side of the training-ready copy: DINO's global crops (224 px) are cut from it. */
export const TRAIN_SHORT_SIDE = 256;
/** JPEG's 65,535 px limit, halved: a panorama beyond 128:1 gets a shorter short side instead. */
const TRAIN_MAX_LONG_SIDE = 32_768;
/**
 * Training copies are stored as JPEG q92 with 4:2:0 chroma, as the ImageNet JPEGs the reference
 * trains on are. Measured on the 45 shared photos (256 px short side): 27 KB, PSNR 38.3 dB against
 * raw RGB, and 25 % less CPU to encode (the scan pays it per photo) than 4:4:4 (35 KB, 40.9 dB);
 * raw RGB costs 285 KB each (a 20,000-photo library: 0.5 GB instead of 5.7 GB). WebP q95 was 27 KB
 * but 9.5 ms to decode and 29 ms to encode; PNG was 241 KB. Huffman optimisation is off: it saved
 * 9 % of the bytes for 2.6× the encoding time.
 */
const TRAIN_JPEG = { quality: 92, chromaSubsampling: '4:2:0', optimiseCoding: false } as const;
/** Long side of the thumbnail the UI shows in grids (JPEG: encodes 10× faster than WebP here). */
export const THUMBNAIL_LONG_SIDE = 256;
const THUMBNAIL_JPEG = { quality: 80, optimiseCoding: false } as const;
/** sharp's own default (16383²): beyond it, a header is refused before any pixel is allocated. */
export const PIXEL_LIMIT = 268_402_689;
/** Transparent pixels are shown on white, as photo viewers do. */
const BACKGROUND = '#ffffff';

export interface DecodedImage {
  format: ImageFormat;
  /** As displayed (EXIF orientation applied). */
  width: number;
  height: number;
  capturedAt: string | null;
  pixels: ImagePixels;
}

/**
 * Decodes an image once (first frame or page; EXIF orientation applied; colour converted to 8-bit
 * sRGB; alpha flattened) into the two copies the library keeps, so that later jobs never decode the
 * original again. Throws `ImageReadFailure` with a reason for the person who owns the file.
 */
export async function decodeImage(bytes: Buffer, format: ImageFormat): Promise<DecodedImage> {
  const quick = format === 'jpeg' ? await jpegHeader(bytes) : null;
  if (quick) {
    const decoded = await decodeWithHeader(bytes, format, quick);
    if (decoded) return decoded;
  }
  return (await decodeWithHeader(bytes, format, await libvipsHeader(bytes, format))) as DecodedImage;
}

/** Size as displayed and capture time, read before decoding. */
interface Header {
  width: number;
  height: number;
  capturedAt: string | null;
  /** Read by libvips itself, so its orientation is the one the decoder applies. */
  byLibvips: boolean;
}

const INPUT = { failOn: 'warning', limitInputPixels: PIXEL_LIMIT } as const;

/** JPEG (most photos): frame size and EXIF read in JavaScript, much cheaper than asking libvips. */
async function jpegHeader(bytes: Buffer): Promise<Header | null> {
  const header = readJpegHeader(bytes);
  if (!header) return null;
  const { orientation, capturedAt } = await readExifFacts(header.exif ?? undefined);
  const turned = orientation >= 5;
  return {
    width: turned ? header.height : header.width,
    height: turned ? header.width : header.height,
    capturedAt,
    byLibvips: false,
  };
}

async function libvipsHeader(bytes: Buffer, format: ImageFormat): Promise<Header> {
  let metadata: Metadata;
  try {
    metadata = await sharp(bytes, { ...INPUT, limitInputPixels: false }).metadata();
  } catch (error) {
    // Without an HEVC decoder libheif cannot even read a HEIC's header: say so, not "damaged".
    if (format === 'heif' && !canDecodeHevc()) throw new ImageReadFailure(unsupportedHeic(), false);
    throw new ImageReadFailure(describeDecodeError(format, error, bytes), false);
  }
  if (metadata.format === 'heif' && metadata.compression === 'hevc' && !canDecodeHevc()) {
    throw new ImageReadFailure(unsupportedHeic(), false);
  }
  const { capturedAt } = await readExifFacts(metadata.exif);
  return { ...metadata.autoOrient, capturedAt, byLibvips: true };
}

/**
 * null when a header read without libvips turns out to disagree with the decoder about the
 * orientation (the training copy came out with the other aspect): the caller asks libvips.
 */
async function decodeWithHeader(
  bytes: Buffer,
  format: ImageFormat,
  header: Header,
): Promise<DecodedImage | null> {
  const { width, height } = header;
  if (width * height > PIXEL_LIMIT) {
    throw new ImageReadFailure(
      `Too large to decode safely: the ${FORMAT_NAMES[format]} header declares ${width} × ${height} pixels ` +
        `(${Math.round((width * height) / 1e6)} MP, above the ${Math.round(PIXEL_LIMIT / 1e6)} MP limit). ` +
        'It was not decoded; if it is a real image, downscale it with an image editor.',
      false,
    );
  }
  const train = trainingSize(width, height);
  const capped = Math.min(train.width, train.height) < TRAIN_SHORT_SIDE;
  if (capped && !header.byLibvips) return null; // extreme panoramas: rare, let libvips size them
  // Without libvips' word on the orientation, only the short side is fixed: a wrong guess cannot
  // distort the copy, it shows as a long side of the wrong length.
  const size = header.byLibvips
    ? { width: train.width, height: train.height, fit: 'fill' as const }
    : width <= height
      ? { width: TRAIN_SHORT_SIDE }
      : { height: TRAIN_SHORT_SIDE };
  let raw: { data: Buffer; info: OutputInfo };
  try {
    raw = await sharp(bytes, INPUT)
      .autoOrient()
      .resize(size)
      .flatten({ background: BACKGROUND })
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw new ImageReadFailure(describeDecodeError(format, error, bytes), false);
  }
  if (Math.abs(raw.info.width - train.width) > 1 || Math.abs(raw.info.height - train.height) > 1) return null;
  const rawInput = { raw: { width: raw.info.width, height: raw.info.height, channels: 3 as const } };
  const thumbnail = thumbnailSize(raw.info.width, raw.info.height);
  const [trainJpeg, thumbnailJpeg] = await Promise.all([
    sharp(raw.data, rawInput).jpeg(TRAIN_JPEG).toBuffer(),
    sharp(raw.data, rawInput)
      .resize(thumbnail.width, thumbnail.height, { fit: 'fill' })
      .jpeg(THUMBNAIL_JPEG)
      .toBuffer(),
  ]);
  return {
    format,
    width,
    height,
    capturedAt: header.capturedAt,
    pixels: {
      thumbnail: thumbnailJpeg,
      thumbnailMime: 'image/jpeg',
      train: trainJpeg,
      trainFormat: 'jpeg',
      trainWidth: raw.info.width,
      trainHeight: raw.info.height,
    },
  };
}

/** Short side TRAIN_SHORT_SIDE (small images are enlarged), aspect kept. */
export function trainingSize(width: number, height: number): { width: number; height: number } {
  const scale = Math.min(
    TRAIN_SHORT_SIDE / Math.min(width, height),
    TRAIN_MAX_LONG_SIDE / Math.max(width, height),
  );
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

function thumbnailSize(width: number, height: number): { width: number; height: number } {
  const scale = THUMBNAIL_LONG_SIDE / Math.max(width, height);
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** The prebuilt libvips ships libheif with AV1 (AVIF) only; a system libvips may add HEVC. */
function canDecodeHevc(): boolean {
  return sharp.format.heif.input.fileSuffix?.some((suffix) => suffix === '.heic') ?? false;
}
