import { describe, expect, it } from 'vitest';
import {
  IMAGENET_MEAN,
  IMAGENET_STD,
  resizeForCrop,
  resizeShortSide,
  writeCentreCrop,
} from '../../../core/analysis/preprocess.ts';

/** A 6×4 RGB image whose every byte tells its position: red = x, green = y, blue = 7. */
const positions = (width: number, height: number) => {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set([x * 10, y * 10, 7], (y * width + x) * 3);
  }
  return { width, height, data };
};

describe('preprocess', () => {
  it('centre-crops like torchvision, normalises with the ImageNet statistics, writes channels first', () => {
    const image = positions(6, 5);
    const out = new Float32Array(2 + 3 * 3 * 3).fill(99);
    writeCentreCrop(image, 3, out, 2);
    expect(out[0]).toBe(99); // nothing written before the slot
    const value = (byte: number, c: number) => (byte / 255 - IMAGENET_MEAN[c]) / IMAGENET_STD[c];
    // top = round((5 - 3) / 2) = 1, left = round((6 - 3) / 2) = round(1.5) = 2
    expect(out[2]).toBeCloseTo(value(20, 0), 5); // red plane, (0, 0) ← x = 2
    expect(out[2 + 2]).toBeCloseTo(value(40, 0), 5); // red plane, (0, 2) ← x = 4
    expect(out[2 + 9 + 3]).toBeCloseTo(value(20, 1), 5); // green plane, (1, 0) ← y = 2
    expect(out[2 + 18 + 8]).toBeCloseTo(value(7, 2), 5); // blue plane
    expect(() => writeCentreCrop(positions(2, 2), 3, out, 0)).toThrow(/smaller than the 3-px crop/);
    // 8 wide, crop 3: left = round(2.5) = 2 in Python (half to even), where Math.round gives 3.
    writeCentreCrop(positions(8, 3), 3, out, 2);
    expect(out[2]).toBeCloseTo(value(20, 0), 5);
  });

  it('resizes the 256-px training copy only for models of another size', async () => {
    expect(resizeShortSide(224)).toBe(256);
    expect(resizeShortSide(96)).toBe(110);
    const copy = positions(300, 256);
    expect(await resizeForCrop(copy, 224)).toBe(copy);
    const small = await resizeForCrop(copy, 96);
    expect([small.width, small.height]).toEqual([129, 110]);
    expect(small.data.length).toBe(129 * 110 * 3);
  });
});
