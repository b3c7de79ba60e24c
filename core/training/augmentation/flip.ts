/** Mirrors an HWC RGB image left to right, in place (torchvision `hflip`). */
export function flipHorizontal(pixels: Float32Array, width: number, height: number): void {
  for (let y = 0; y < height; y++) {
    let left = y * width * 3;
    let right = left + (width - 1) * 3;
    while (left < right) {
      for (let c = 0; c < 3; c++) {
        const swap = pixels[left + c];
        pixels[left + c] = pixels[right + c];
        pixels[right + c] = swap;
      }
      left += 3;
      right -= 3;
    }
  }
}
