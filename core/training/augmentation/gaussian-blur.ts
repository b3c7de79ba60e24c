/**
 * Gaussian blur of standard deviation `sigma` pixels, in place on an HWC RGB image: the reference's
 * `ImageFilter.GaussianBlur(radius=sigma)`. PIL approximates the Gaussian with three box blurs;
 * we apply the exact separable kernel, truncated at 3σ, with edge pixels repeated.
 */
export function gaussianBlur(pixels: Float32Array, width: number, height: number, sigma: number): void {
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const kernel = new Float32Array(2 * radius + 1);
  let total = 0;
  for (let k = -radius; k <= radius; k++) {
    const w = Math.exp((-k * k) / (2 * sigma * sigma));
    kernel[k + radius] = w;
    total += w;
  }
  for (let k = 0; k < kernel.length; k++) kernel[k] /= total;
  const rowStride = width * 3;
  // Horizontal: each row copied with `radius` repeated edge pixels on both sides, then convolved.
  const padded = new Float32Array((width + 2 * radius) * 3);
  for (let y = 0; y < height; y++) {
    const row = y * rowStride;
    for (let x = 0; x < width + 2 * radius; x++) {
      const source = row + Math.min(width - 1, Math.max(0, x - radius)) * 3;
      padded[x * 3] = pixels[source];
      padded[x * 3 + 1] = pixels[source + 1];
      padded[x * 3 + 2] = pixels[source + 2];
    }
    for (let x = 0; x < width; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let k = 0; k < kernel.length; k++) {
        const w = kernel[k];
        const at = (x + k) * 3;
        r += w * padded[at];
        g += w * padded[at + 1];
        b += w * padded[at + 2];
      }
      pixels[row + x * 3] = r;
      pixels[row + x * 3 + 1] = g;
      pixels[row + x * 3 + 2] = b;
    }
  }
  // Vertical: whole-row accumulations from a copy, edge rows repeated.
  const source = pixels.slice();
  const accumulator = new Float32Array(rowStride);
  for (let y = 0; y < height; y++) {
    accumulator.fill(0);
    for (let k = 0; k < kernel.length; k++) {
      const w = kernel[k];
      const from = Math.min(height - 1, Math.max(0, y + k - radius)) * rowStride;
      for (let c = 0; c < rowStride; c++) accumulator[c] += w * source[from + c];
    }
    pixels.set(accumulator, y * rowStride);
  }
}
