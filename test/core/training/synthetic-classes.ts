import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { RgbPixels } from '../../../core/training/augmentation/bicubic-resize.ts';
import { Random } from '../../../core/training/random.ts';

/**
 * A small image set with visually distinct classes for the "it must actually learn" test: each
 * class is a kind of structure (horizontal stripes, checks, rings, blobs, diagonal stripes) drawn
 * in a pair of complementary colours of its own hue, and every image draws its own period, phase,
 * position, hue shift, saturation and lightness, plus pixel noise.
 */
export const SYNTHETIC_CLASSES = ['stripes', 'checks', 'rings', 'blobs', 'diagonals'] as const;

/** Hue (degrees) of each class's first colour; its second colour is the complementary hue. */
const CLASS_HUE = { stripes: 0, checks: 36, rings: 72, blobs: 108, diagonals: 144 } as const;

function hslToRgb(hue: number, saturation: number, lightness: number): number[] {
  const chroma = (1 - Math.abs(2 * lightness - 1)) * saturation;
  const h = (((hue % 360) + 360) % 360) / 60;
  const x = chroma * (1 - Math.abs((h % 2) - 1));
  const sector = Math.floor(h);
  const [r, g, b] = [
    [chroma, x, 0],
    [x, chroma, 0],
    [0, chroma, x],
    [0, x, chroma],
    [x, 0, chroma],
    [chroma, 0, x],
  ][Math.min(5, sector)];
  const m = lightness - chroma / 2;
  return [r, g, b].map((v) => (v + m) * 255);
}

export function syntheticImage(
  kind: (typeof SYNTHETIC_CLASSES)[number],
  size: number,
  random: Random,
): RgbPixels {
  const data = new Uint8Array(size * size * 3);
  const period = random.uniform(size / 6, size / 3.5);
  const offset = random.uniform(0, period);
  const cx = random.uniform(0.25, 0.75) * size;
  const cy = random.uniform(0.25, 0.75) * size;
  const blobs = Array.from({ length: 4 + random.integer(0, 3) }, () => ({
    x: random.uniform(0, size),
    y: random.uniform(0, size),
    r: random.uniform(size / 10, size / 5),
  }));
  // Two complementary colours: every class's pair averages to about the same grey, so an image's
  // mean colour says little about its class; which hues appear together, and in what shapes, does.
  const hue = CLASS_HUE[kind] + random.uniform(-8, 8);
  const shades = [hue, hue + 180].map((h) => hslToRgb(h, random.uniform(0.6, 0.9), random.uniform(0.4, 0.6)));
  const half = period / 2;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let region: number;
      if (kind === 'stripes') region = Math.floor((y + offset) / half);
      else if (kind === 'checks')
        region = Math.floor((x + offset) / half) * 7 + Math.floor((y + offset) / half);
      else if (kind === 'rings') region = Math.floor((Math.hypot(x - cx, y - cy) + offset) / half);
      else if (kind === 'diagonals') region = Math.floor((x + y + offset) / (half * 1.4));
      else region = blobs.some((blob) => Math.hypot(x - blob.x, y - blob.y) < blob.r) ? 1 : 0;
      const colour = shades[((region % 2) + 2) % 2];
      for (let c = 0; c < 3; c++) {
        const value = colour[c] + random.normal() * 10;
        data[(y * size + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(value)));
      }
    }
  }
  return { width: size, height: size, data };
}

/** Writes `perClass` PNGs per class under `folder/<class>/`, and returns them with their labels. */
export async function writeSyntheticSet(
  folder: string,
  perClass: number,
  size: number,
  seed: number,
): Promise<{ images: RgbPixels[]; labels: number[] }> {
  const random = new Random(seed);
  const images: RgbPixels[] = [];
  const labels: number[] = [];
  for (const [label, kind] of SYNTHETIC_CLASSES.entries()) {
    mkdirSync(join(folder, kind), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const image = syntheticImage(kind, size, random);
      await sharp(Buffer.from(image.data), { raw: { width: size, height: size, channels: 3 } })
        .png()
        .toFile(join(folder, kind, `${kind}-${i}.png`));
      images.push(image);
      labels.push(label);
    }
  }
  return { images, labels };
}
