/** ImageNet channel statistics, as the reference's `transforms.Normalize`. */
export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

/** (x − mean) / std per channel, in place, on HWC RGB values in [0, 1]. */
export function normalizeImagenet(pixels: Float32Array): void {
  for (let i = 0; i < pixels.length; i += 3) {
    pixels[i] = (pixels[i] - IMAGENET_MEAN[0]) / IMAGENET_STD[0];
    pixels[i + 1] = (pixels[i + 1] - IMAGENET_MEAN[1]) / IMAGENET_STD[1];
    pixels[i + 2] = (pixels[i + 2] - IMAGENET_MEAN[2]) / IMAGENET_STD[2];
  }
}

/** Back to [0, 1] RGB for showing a crop to a person (augment-preview). */
export function denormalizeImagenet(pixels: Float32Array): void {
  for (let i = 0; i < pixels.length; i += 3) {
    for (let c = 0; c < 3; c++) pixels[i + c] = pixels[i + c] * IMAGENET_STD[c] + IMAGENET_MEAN[c];
  }
}
