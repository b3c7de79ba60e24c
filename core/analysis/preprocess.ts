import sharp from 'sharp';
import type { RgbImage } from '../library/training-copy.ts';

/**
 * What the backbone sees of a photo, as DINO's evaluation prepares it: shorter side resized to
 * 256 (for a 224 model; in proportion for other sizes), centre crop, ImageNet normalisation,
 * channels first. The library's training copy already has its shorter side at 256, so for
 * 224-px models this is a crop and an affine map, no resampling.
 */

/** ImageNet channel statistics (torchvision `Normalize`), as every DINO model was trained with. */
export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

/** The reference's evaluation resize: 256 for a 224 crop. */
const RESIZE_OVER_CROP = 256 / 224;

/** Shorter side the photo is resized to before the centre crop of `cropSize`. */
export function resizeShortSide(cropSize: number): number {
  return Math.round(cropSize * RESIZE_OVER_CROP);
}

/** Brings a training copy to a shorter side of `resizeShortSide(cropSize)` (a no-op for 224). */
export async function resizeForCrop(image: RgbImage, cropSize: number): Promise<RgbImage> {
  const target = resizeShortSide(cropSize);
  if (Math.min(image.width, image.height) === target) return image;
  const scale = target / Math.min(image.width, image.height);
  const width = Math.max(target, Math.round(image.width * scale));
  const height = Math.max(target, Math.round(image.height * scale));
  const { data, info } = await sharp(image.data, {
    raw: { width: image.width, height: image.height, channels: 3 },
  })
    .resize(width, height, { fit: 'fill', kernel: 'cubic' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return {
    width: info.width,
    height: info.height,
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

/**
 * Writes the centre `cropSize`² of `image`, ImageNet-normalised, channels first, into
 * `out[offset …]` (one image's slot of an NCHW batch). Offsets follow torchvision's CenterCrop.
 */
export function writeCentreCrop(image: RgbImage, cropSize: number, out: Float32Array, offset: number): void {
  if (image.width < cropSize || image.height < cropSize) {
    throw new Error(`A ${image.width}×${image.height} image is smaller than the ${cropSize}-px crop.`);
  }
  const top = roundHalfToEven((image.height - cropSize) / 2);
  const left = roundHalfToEven((image.width - cropSize) / 2);
  const plane = cropSize * cropSize;
  const scale = IMAGENET_STD.map((s) => 1 / (255 * s));
  const shift = IMAGENET_MEAN.map((m, c) => m / IMAGENET_STD[c]);
  const { data, width } = image;
  for (let y = 0; y < cropSize; y++) {
    let source = ((top + y) * width + left) * 3;
    const row = offset + y * cropSize;
    for (let x = 0; x < cropSize; x++, source += 3) {
      out[row + x] = data[source] * scale[0] - shift[0];
      out[row + plane + x] = data[source + 1] * scale[1] - shift[1];
      out[row + 2 * plane + x] = data[source + 2] * scale[2] - shift[2];
    }
  }
}

/** Python's `round` (torchvision's CenterCrop uses it): halves go to the even neighbour. */
function roundHalfToEven(x: number): number {
  const floor = Math.floor(x);
  const fraction = x - floor;
  if (fraction !== 0.5) return Math.round(x);
  return floor % 2 === 0 ? floor : floor + 1;
}
