import type { RgbPixels } from './augmentation/bicubic-resize.ts';
import { type MultiCropBatch, type MultiCropSpec, viewRecipes } from './augmentation/multi-crop.ts';
import { denormalizeImagenet } from './augmentation/normalize.ts';

/**
 * Lays out multi-crop samples for a person to look at: one row per sample, the source image, the
 * two global crops, then the local crops stacked two high. Returns raw RGB for sharp to encode.
 */
export function contactSheet(source: RgbPixels, batch: MultiCropBatch, spec: MultiCropSpec): RgbPixels {
  const gap = 8;
  const g = spec.globalCropSize;
  const l = spec.localCropSize;
  const localsPerColumn = Math.max(1, Math.floor((g + gap) / (l + gap)));
  const localColumns = Math.ceil(spec.localCropsNumber / localsPerColumn);
  const sourceWidth = Math.round((source.width * g) / source.height);
  const width = gap + sourceWidth + gap + 2 * (g + gap) + localColumns * (l + gap);
  const rows = batch.draws.length;
  const height = gap + rows * (g + gap);
  const sheet: RgbPixels = { width, height, data: new Uint8Array(width * height * 3).fill(40) };
  const recipes = viewRecipes(spec);
  for (let row = 0; row < rows; row++) {
    const top = gap + row * (g + gap);
    paste(sheet, scaledNearest(source, sourceWidth, g), gap, top);
    let left = gap + sourceWidth + gap;
    recipes.forEach(({ size }, v) => {
      const pixels = batch.views[v].data.slice(row * size * size * 3, (row + 1) * size * size * 3);
      denormalizeImagenet(pixels);
      const crop = { width: size, height: size, data: toBytes(pixels) };
      if (v < 2) {
        paste(sheet, crop, left, top);
        left += g + gap;
      } else {
        const local = v - 2;
        const column = Math.floor(local / localsPerColumn);
        paste(sheet, crop, left + column * (l + gap), top + (local % localsPerColumn) * (l + gap));
      }
    });
  }
  return sheet;
}

function toBytes(pixels: Float32Array): Uint8Array {
  const bytes = new Uint8Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) bytes[i] = Math.round(Math.min(1, Math.max(0, pixels[i])) * 255);
  return bytes;
}

function scaledNearest(image: RgbPixels, width: number, height: number): RgbPixels {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(image.height - 1, Math.floor(((y + 0.5) * image.height) / height));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(image.width - 1, Math.floor(((x + 0.5) * image.width) / width));
      data.set(
        image.data.subarray((sy * image.width + sx) * 3, (sy * image.width + sx) * 3 + 3),
        (y * width + x) * 3,
      );
    }
  }
  return { width, height, data };
}

function paste(target: RgbPixels, image: RgbPixels, left: number, top: number): void {
  for (let y = 0; y < image.height; y++) {
    target.data.set(
      image.data.subarray(y * image.width * 3, (y + 1) * image.width * 3),
      ((top + y) * target.width + left) * 3,
    );
  }
}
