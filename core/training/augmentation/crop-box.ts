import type { Random } from '../random.ts';

/** A crop in source pixels: top row, left column, height, width (torchvision's i, j, h, w). */
export interface CropBox {
  top: number;
  left: number;
  height: number;
  width: number;
}

/** Aspect ratios torchvision's RandomResizedCrop allows by default, as in the reference. */
export const CROP_RATIO: readonly [number, number] = [3 / 4, 4 / 3];

/**
 * torchvision `RandomResizedCrop.get_params`: up to ten tries of an area fraction uniform in
 * `scale` and an aspect ratio log-uniform in `ratio`; the crop must fit in the image; else a
 * central crop clamped to the ratio range.
 */
export function sampleCropBox(
  random: Random,
  width: number,
  height: number,
  scale: readonly [number, number],
  ratio: readonly [number, number] = CROP_RATIO,
): CropBox {
  const area = width * height;
  const logRatio = [Math.log(ratio[0]), Math.log(ratio[1])];
  for (let attempt = 0; attempt < 10; attempt++) {
    const targetArea = area * random.uniform(scale[0], scale[1]);
    const aspectRatio = Math.exp(random.uniform(logRatio[0], logRatio[1]));
    const w = Math.round(Math.sqrt(targetArea * aspectRatio));
    const h = Math.round(Math.sqrt(targetArea / aspectRatio));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      const top = random.integer(0, height - h + 1);
      const left = random.integer(0, width - w + 1);
      return { top, left, height: h, width: w };
    }
  }
  const inRatio = width / height;
  let w = width;
  let h = height;
  if (inRatio < ratio[0]) h = Math.round(w / ratio[0]);
  else if (inRatio > ratio[1]) w = Math.round(h * ratio[1]);
  return { top: Math.floor((height - h) / 2), left: Math.floor((width - w) / 2), height: h, width: w };
}
