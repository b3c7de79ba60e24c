import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { RgbPixels } from '../../../core/training/augmentation/bicubic-resize.ts';
import { Random } from '../../../core/training/random.ts';

/**
 * A small image set with visually distinct classes for the "it must actually learn" test: each
 * class is a kind of pattern (stripes, checks, rings, blobs, ...) drawn with random colours,
 * frequencies, positions and noise, so that what is shared within a class is structure, not colour.
 */
export const SYNTHETIC_CLASSES = ['stripes', 'checks', 'rings', 'blobs', 'diagonals'] as const;

export function syntheticImage(
  kind: (typeof SYNTHETIC_CLASSES)[number],
  size: number,
  random: Random,
): RgbPixels {
  const data = new Uint8Array(size * size * 3);
  const a = [random.uniform(0, 255), random.uniform(0, 255), random.uniform(0, 255)];
  const b = a.map((v) => (v + random.uniform(90, 165)) % 256);
  const period = random.uniform(size / 7, size / 3.5);
  const phase = random.uniform(0, 2 * Math.PI);
  const cx = random.uniform(0.25, 0.75) * size;
  const cy = random.uniform(0.25, 0.75) * size;
  const blobs = Array.from({ length: 3 + random.integer(0, 3) }, () => ({
    x: random.uniform(0, size),
    y: random.uniform(0, size),
    r: random.uniform(size / 10, size / 5),
  }));
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let t: number;
      if (kind === 'stripes') t = Math.sin((2 * Math.PI * y) / period + phase);
      else if (kind === 'checks')
        t = Math.sin((2 * Math.PI * x) / period + phase) * Math.sin((2 * Math.PI * y) / period + phase);
      else if (kind === 'rings') t = Math.sin((2 * Math.PI * Math.hypot(x - cx, y - cy)) / period + phase);
      else if (kind === 'diagonals') t = Math.sin((2 * Math.PI * (x + y)) / (period * 1.4) + phase);
      else t = blobs.some((blob) => Math.hypot(x - blob.x, y - blob.y) < blob.r) ? 1 : -1;
      const mix = t > 0 ? 1 : 0;
      for (let c = 0; c < 3; c++) {
        const value = mix * a[c] + (1 - mix) * b[c] + random.normal() * 12;
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
