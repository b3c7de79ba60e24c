/** PIL `ImageOps.solarize` at its default threshold 128: every value at or above it is inverted. */
const THRESHOLD = 128 / 255;

export function solarize(pixels: Float32Array): void {
  for (let i = 0; i < pixels.length; i++) if (pixels[i] >= THRESHOLD) pixels[i] = 1 - pixels[i];
}
