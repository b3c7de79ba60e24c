/** ITU-R 601 luma weights, as torchvision's `rgb_to_grayscale`. */
export const LUMA = [0.2989, 0.587, 0.114] as const;

/** Replaces every pixel by its luma on all three channels, in place (`Grayscale(num_output_channels=3)`). */
export function toGrayscale(pixels: Float32Array): void {
  for (let i = 0; i < pixels.length; i += 3) {
    const luma = LUMA[0] * pixels[i] + LUMA[1] * pixels[i + 1] + LUMA[2] * pixels[i + 2];
    pixels[i] = luma;
    pixels[i + 1] = luma;
    pixels[i + 2] = luma;
  }
}
