import { describe, expect, it } from 'vitest';
import {
  type RgbPixels,
  resampleTaps,
  resizeCrop,
} from '../../../../core/training/augmentation/bicubic-resize.ts';
import { applyColourJitter } from '../../../../core/training/augmentation/colour-jitter.ts';
import { CROP_RATIO, sampleCropBox } from '../../../../core/training/augmentation/crop-box.ts';
import { gaussianBlur } from '../../../../core/training/augmentation/gaussian-blur.ts';
import {
  type MultiCropSpec,
  multiCropBatch,
  VIEW_RECIPES,
  type ViewDraw,
} from '../../../../core/training/augmentation/multi-crop.ts';
import {
  denormalizeImagenet,
  IMAGENET_MEAN,
  IMAGENET_STD,
} from '../../../../core/training/augmentation/normalize.ts';
import { Random } from '../../../../core/training/random.ts';

function noiseImage(width: number, height: number, seed: number): RgbPixels {
  const random = new Random(seed);
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = random.integer(0, 256);
  return { width, height, data };
}

/** Within `sigmas` binomial standard deviations of p. */
function expectFraction(hits: number, trials: number, p: number, sigmas = 4.5) {
  const sd = Math.sqrt((p * (1 - p)) / trials);
  expect(Math.abs(hits / trials - p)).toBeLessThanOrEqual(sigmas * sd + 1e-12);
}

const spec: MultiCropSpec = {
  globalCropSize: 16,
  localCropSize: 8,
  localCropsNumber: 3,
  globalCropsScale: [0.4, 1],
  localCropsScale: [0.05, 0.4],
};

describe('random resized crop boxes', () => {
  it('keep area fraction and aspect ratio within their ranges and the box inside the image', () => {
    const random = new Random(1);
    const [width, height] = [341, 256];
    const fractions: number[] = [];
    for (let i = 0; i < 4000; i++) {
      const scale: [number, number] = i % 2 ? [0.4, 1] : [0.05, 0.4];
      const box = sampleCropBox(random, width, height, scale);
      expect(box.top).toBeGreaterThanOrEqual(0);
      expect(box.left).toBeGreaterThanOrEqual(0);
      expect(box.top + box.height).toBeLessThanOrEqual(height);
      expect(box.left + box.width).toBeLessThanOrEqual(width);
      const fraction = (box.width * box.height) / (width * height);
      // Rounding the sides to whole pixels moves the area by at most about one row and one column.
      const slack = (box.width + box.height + 1) / (width * height);
      expect(fraction).toBeGreaterThanOrEqual(scale[0] - slack);
      expect(fraction).toBeLessThanOrEqual(scale[1] + slack);
      const ratio = box.width / box.height;
      expect(ratio).toBeGreaterThanOrEqual(CROP_RATIO[0] * (1 - 2 / box.height) - 1e-9);
      expect(ratio).toBeLessThanOrEqual(CROP_RATIO[1] * (1 + 2 / box.height) + 1e-9);
      if (i % 2 === 0) fractions.push(fraction);
    }
    // Local crops always fit, so their area is uniform in [0.05, 0.4]: mean 0.225.
    const mean = fractions.reduce((a, b) => a + b, 0) / fractions.length;
    expect(Math.abs(mean - 0.225)).toBeLessThan(0.01);
  });

  it('falls back to a central crop clamped to the ratio range when nothing fits', () => {
    const box = sampleCropBox(new Random(3), 400, 10, [0.99, 1]);
    expect(box).toEqual({ top: 0, left: Math.floor((400 - 13) / 2), height: 10, width: 13 });
  });
});

describe('bicubic resize (PIL, antialiased)', () => {
  it('is the identity at scale 1 and keeps a flat image flat when shrinking or enlarging', () => {
    const image = noiseImage(12, 12, 5);
    const out = new Float32Array(12 * 12 * 3);
    resizeCrop(image, { top: 0, left: 0, height: 12, width: 12 }, 12, out);
    for (let i = 0; i < out.length; i++) expect(out[i]).toBeCloseTo(image.data[i] / 255, 5);
    const flat: RgbPixels = { width: 50, height: 40, data: new Uint8Array(50 * 40 * 3).fill(100) };
    for (const size of [7, 96]) {
      const resized = new Float32Array(size * size * 3);
      resizeCrop(flat, { top: 3, left: 5, height: 30, width: 40 }, size, resized);
      for (const v of resized) expect(v).toBeCloseTo(100 / 255, 5);
    }
  });

  it('widens the kernel by the shrink factor (antialiasing) and weights sum to one', () => {
    const enlarge = resampleTaps(10, 40);
    const shrink = resampleTaps(40, 10);
    expect(Math.max(...enlarge.count)).toBeLessThanOrEqual(5);
    expect(Math.max(...shrink.count)).toBeGreaterThanOrEqual(16);
    for (const taps of [enlarge, shrink]) {
      for (let x = 0; x < taps.first.length; x++) {
        let total = 0;
        for (let k = 0; k < taps.count[x]; k++) total += taps.weights[x * taps.ksize + k];
        expect(total).toBeCloseTo(1, 5);
      }
    }
  });

  it('takes the pixels of the crop box, not of the whole image', () => {
    const image: RgbPixels = { width: 20, height: 10, data: new Uint8Array(20 * 10 * 3) };
    for (let y = 0; y < 10; y++)
      for (let x = 10; x < 20; x++) image.data.fill(255, (y * 20 + x) * 3, (y * 20 + x) * 3 + 3);
    const out = new Float32Array(4 * 4 * 3);
    resizeCrop(image, { top: 0, left: 10, height: 10, width: 10 }, 4, out);
    for (const v of out) expect(v).toBeCloseTo(1, 5);
  });
});

describe('colour operations', () => {
  it('leaves pixels unchanged with neutral factors and rotates hue by thirds exactly', () => {
    const pixels = new Float32Array([0.2, 0.5, 0.9, 1, 0, 0, 0.3, 0.3, 0.3]);
    const copy = pixels.slice();
    applyColourJitter(pixels, {
      order: ['hue', 'saturation', 'contrast', 'brightness'],
      brightness: 1,
      contrast: 1,
      saturation: 1,
      hue: 0,
    });
    for (let i = 0; i < copy.length; i++) expect(pixels[i]).toBeCloseTo(copy[i], 6);
    const red = new Float32Array([1, 0, 0]);
    applyColourJitter(red, { order: ['hue'], brightness: 1, contrast: 1, saturation: 1, hue: 1 / 3 });
    expect(Array.from(red).map((v) => Math.round(v * 1000) / 1000)).toEqual([0, 1, 0]);
    const saturated = new Float32Array([1, 0, 0]);
    applyColourJitter(saturated, {
      order: ['saturation'],
      brightness: 1,
      contrast: 1,
      saturation: 0,
      hue: 0,
    });
    expect(saturated[0]).toBeCloseTo(0.2989, 4);
    expect(saturated[1]).toBeCloseTo(0.2989, 4);
    const dark = new Float32Array([0.5, 0.8, 1]);
    applyColourJitter(dark, { order: ['brightness'], brightness: 1.4, contrast: 1, saturation: 1, hue: 0 });
    expect(Array.from(dark)).toEqual([0.7, 1, 1].map((v) => Math.fround(v)));
  });

  it('blurs without changing the mean of a flat image and smooths an edge', () => {
    const size = 16;
    const pixels = new Float32Array(size * size * 3);
    for (let y = 0; y < size; y++)
      for (let x = size / 2; x < size; x++) pixels.fill(1, (y * size + x) * 3, (y * size + x) * 3 + 3);
    gaussianBlur(pixels, size, size, 1.5);
    const row = Array.from({ length: size }, (_, x) => pixels[(4 * size + x) * 3]);
    expect(row[0]).toBeCloseTo(0, 4);
    expect(row[size - 1]).toBeCloseTo(1, 4);
    expect(row[size / 2 - 1]).toBeGreaterThan(0.2);
    expect(row[size / 2]).toBeLessThan(0.8);
    for (let x = 1; x < size; x++) expect(row[x]).toBeGreaterThanOrEqual(row[x - 1] - 1e-6);
  });
});

describe('multi-crop batches', () => {
  it('makes 2 global + N local NHWC views, reproducibly from the seed', () => {
    const images = [noiseImage(40, 30, 1), noiseImage(30, 44, 2), noiseImage(32, 32, 3)];
    const a = multiCropBatch(images, spec, new Random(9));
    const b = multiCropBatch(images, spec, new Random(9));
    expect(a.views.map((v) => v.shape)).toEqual([
      [3, 16, 16, 3],
      [3, 16, 16, 3],
      [3, 8, 8, 3],
      [3, 8, 8, 3],
      [3, 8, 8, 3],
    ]);
    for (let v = 0; v < a.views.length; v++) expect(a.views[v].data).toEqual(b.views[v].data);
    expect(a.draws).toEqual(b.draws);
    expect(multiCropBatch(images, spec, new Random(10)).views[0].data).not.toEqual(a.views[0].data);
  });

  it("applies each operation with the reference's probability per view", () => {
    const images = Array.from({ length: 600 }, (_, i) => noiseImage(24, 20, i));
    const { draws, views } = multiCropBatch(images, spec, new Random(11));
    const byKind: Record<ViewDraw['kind'], ViewDraw[]> = { global1: [], global2: [], local: [] };
    for (const perImage of draws) for (const draw of perImage) byKind[draw.kind].push(draw);
    for (const [kind, list] of Object.entries(byKind) as [ViewDraw['kind'], ViewDraw[]][]) {
      const recipe = VIEW_RECIPES[kind];
      expectFraction(list.filter((d) => d.flipped).length, list.length, recipe.flip);
      expectFraction(list.filter((d) => d.jitter).length, list.length, recipe.colourJitter);
      expectFraction(list.filter((d) => d.grayscale).length, list.length, recipe.grayscale);
      expectFraction(list.filter((d) => d.blurSigma !== null).length, list.length, recipe.blur);
      expectFraction(list.filter((d) => d.solarized).length, list.length, recipe.solarize);
      for (const d of list) {
        // σ in [0.1, 2] px at the reference's 224/96-px crops, scaled with the crop size (16/8 here).
        const scale = kind === 'local' ? 8 / 96 : 16 / 224;
        if (d.blurSigma !== null) expect(d.blurSigma).toBeGreaterThanOrEqual(0.1 * scale);
        if (d.blurSigma !== null) expect(d.blurSigma).toBeLessThanOrEqual(2 * scale);
        if (d.jitter) {
          expect(Math.abs(d.jitter.brightness - 1)).toBeLessThanOrEqual(0.4);
          expect(Math.abs(d.jitter.contrast - 1)).toBeLessThanOrEqual(0.4);
          expect(Math.abs(d.jitter.saturation - 1)).toBeLessThanOrEqual(0.2);
          expect(Math.abs(d.jitter.hue)).toBeLessThanOrEqual(0.1);
          expect([...d.jitter.order].sort()).toEqual(['brightness', 'contrast', 'hue', 'saturation']);
        }
      }
    }
    // The four jitter operations come first equally often (random order, as torchvision).
    const jittered = byKind.local.filter((d) => d.jitter);
    expectFraction(jittered.filter((d) => d.jitter?.order[0] === 'hue').length, jittered.length, 0.25);
    // A grey view has equal channels once denormalised; the values are ImageNet-normalised.
    const view = views[2].data.slice(0, 8 * 8 * 3);
    const greyIndex = draws.findIndex((perImage) => perImage[2].grayscale);
    const grey = views[2].data.slice(greyIndex * 192, (greyIndex + 1) * 192);
    denormalizeImagenet(grey);
    for (let i = 0; i < grey.length; i += 3) {
      expect(grey[i]).toBeCloseTo(grey[i + 1], 4);
      expect(grey[i]).toBeCloseTo(grey[i + 2], 4);
    }
    denormalizeImagenet(view);
    for (const v of view) {
      expect(v).toBeGreaterThanOrEqual(-1e-5);
      expect(v).toBeLessThanOrEqual(1 + 1e-5);
    }
  });

  it('flips and solarizes what it says it did', () => {
    // A left-to-right ramp: a flipped crop decreases along x, an unflipped one increases.
    const width = 64;
    const image: RgbPixels = { width, height: 48, data: new Uint8Array(width * 48 * 3) };
    for (let y = 0; y < 48; y++)
      for (let x = 0; x < width; x++) image.data.fill(x * 2, (y * width + x) * 3, (y * width + x) * 3 + 3);
    const { draws, views } = multiCropBatch(Array(60).fill(image), spec, new Random(12));
    let checked = 0;
    draws.forEach((perImage, b) => {
      const draw = perImage[0];
      if (draw.jitter || draw.grayscale) return;
      const pixels = views[0].data.slice(b * 768, (b + 1) * 768);
      denormalizeImagenet(pixels);
      const left = pixels[(8 * 16 + 1) * 3];
      const right = pixels[(8 * 16 + 14) * 3];
      expect(right > left).toBe(!draw.flipped);
      checked++;
    });
    expect(checked).toBeGreaterThan(5);
    expect(IMAGENET_MEAN.length + IMAGENET_STD.length).toBe(6);
  });
});
