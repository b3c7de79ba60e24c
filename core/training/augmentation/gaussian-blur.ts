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
  const scratch = new Float32Array(pixels.length);
  blurPass(pixels, scratch, kernel, { lines: height, length: width, step: 3, lineStride: width * 3 });
  blurPass(scratch, pixels, kernel, { lines: width, length: height, step: width * 3, lineStride: 3 });
}

/** One 1-D pass along `lines` lines of `length` pixels, `step` apart in the array, lines `lineStride` apart. */
function blurPass(
  source: Float32Array,
  target: Float32Array,
  kernel: Float32Array,
  { lines, length, step, lineStride }: { lines: number; length: number; step: number; lineStride: number },
): void {
  const radius = (kernel.length - 1) / 2;
  for (let line = 0; line < lines; line++) {
    const base = line * lineStride;
    for (let i = 0; i < length; i++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let k = -radius; k <= radius; k++) {
        const j = i + k < 0 ? 0 : i + k >= length ? length - 1 : i + k;
        const w = kernel[k + radius];
        const at = base + j * step;
        r += w * source[at];
        g += w * source[at + 1];
        b += w * source[at + 2];
      }
      const at = base + i * step;
      target[at] = r;
      target[at + 1] = g;
      target[at + 2] = b;
    }
  }
}
