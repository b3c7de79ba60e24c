import type { Random } from '../random.ts';
import { LUMA } from './grayscale.ts';

/** Strengths of torchvision's `ColorJitter(brightness, contrast, saturation, hue)`. */
export interface ColourJitterStrength {
  brightness: number;
  contrast: number;
  saturation: number;
  hue: number;
}

/** The reference's `ColorJitter(brightness=0.4, contrast=0.4, saturation=0.2, hue=0.1)`. */
export const REFERENCE_JITTER: ColourJitterStrength = {
  brightness: 0.4,
  contrast: 0.4,
  saturation: 0.2,
  hue: 0.1,
};

export type JitterOperation = 'brightness' | 'contrast' | 'saturation' | 'hue';
const OPERATIONS: JitterOperation[] = ['brightness', 'contrast', 'saturation', 'hue'];

/** One draw of `ColorJitter.get_params`: a random order of the four operations and their factors. */
export interface ColourJitterDraw {
  order: JitterOperation[];
  brightness: number;
  contrast: number;
  saturation: number;
  hue: number;
}

export function sampleColourJitter(
  random: Random,
  strength: ColourJitterStrength = REFERENCE_JITTER,
): ColourJitterDraw {
  const order = Array.from(random.permutation(4), (i) => OPERATIONS[i]);
  return {
    order,
    brightness: random.uniform(1 - strength.brightness, 1 + strength.brightness),
    contrast: random.uniform(1 - strength.contrast, 1 + strength.contrast),
    saturation: random.uniform(1 - strength.saturation, 1 + strength.saturation),
    hue: random.uniform(-strength.hue, strength.hue),
  };
}

/**
 * Applies a jitter draw in place to HWC RGB values in [0, 1], with torchvision's tensor semantics:
 * brightness scales, contrast blends with the mean luma, saturation blends with each pixel's luma,
 * hue rotates in HSV; each result is clamped to [0, 1].
 */
export function applyColourJitter(pixels: Float32Array, draw: ColourJitterDraw): void {
  for (const operation of draw.order) {
    if (operation === 'brightness') blendWithConstant(pixels, draw.brightness, 0);
    else if (operation === 'contrast') blendWithConstant(pixels, draw.contrast, meanLuma(pixels));
    else if (operation === 'saturation') blendWithLuma(pixels, draw.saturation);
    else rotateHue(pixels, draw.hue);
  }
}

function blendWithConstant(pixels: Float32Array, factor: number, constant: number): void {
  const offset = (1 - factor) * constant;
  for (let i = 0; i < pixels.length; i++) pixels[i] = clamp01(factor * pixels[i] + offset);
}

function meanLuma(pixels: Float32Array): number {
  let total = 0;
  for (let i = 0; i < pixels.length; i += 3) {
    total += LUMA[0] * pixels[i] + LUMA[1] * pixels[i + 1] + LUMA[2] * pixels[i + 2];
  }
  return total / (pixels.length / 3);
}

function blendWithLuma(pixels: Float32Array, factor: number): void {
  for (let i = 0; i < pixels.length; i += 3) {
    const luma = (1 - factor) * (LUMA[0] * pixels[i] + LUMA[1] * pixels[i + 1] + LUMA[2] * pixels[i + 2]);
    pixels[i] = clamp01(factor * pixels[i] + luma);
    pixels[i + 1] = clamp01(factor * pixels[i + 1] + luma);
    pixels[i + 2] = clamp01(factor * pixels[i + 2] + luma);
  }
}

/** torchvision `_rgb2hsv` → h + shift (mod 1) → `_hsv2rgb`, pixel by pixel. */
function rotateHue(pixels: Float32Array, shift: number): void {
  for (let i = 0; i < pixels.length; i += 3) {
    const r = pixels[i];
    const g = pixels[i + 1];
    const b = pixels[i + 2];
    const max = Math.max(r, g, b);
    const min = Math.min(r, g, b);
    const chroma = max - min;
    if (chroma === 0) continue; // grey: hue is undefined and rotating it changes nothing
    const s = chroma / max;
    let h: number;
    if (max === r) h = (g - b) / chroma;
    else if (max === g) h = 2 + (b - r) / chroma;
    else h = 4 + (r - g) / chroma;
    h = (((h / 6 + 1 + shift) % 1) + 1) % 1;
    const sector = Math.floor(h * 6);
    const f = h * 6 - sector;
    const v = max;
    const p = clamp01(v * (1 - s));
    const q = clamp01(v * (1 - s * f));
    const t = clamp01(v * (1 - s * (1 - f)));
    switch (sector % 6) {
      case 0:
        pixels[i] = v;
        pixels[i + 1] = t;
        pixels[i + 2] = p;
        break;
      case 1:
        pixels[i] = q;
        pixels[i + 1] = v;
        pixels[i + 2] = p;
        break;
      case 2:
        pixels[i] = p;
        pixels[i + 1] = v;
        pixels[i + 2] = t;
        break;
      case 3:
        pixels[i] = p;
        pixels[i + 1] = q;
        pixels[i + 2] = v;
        break;
      case 4:
        pixels[i] = t;
        pixels[i + 1] = p;
        pixels[i + 2] = v;
        break;
      default:
        pixels[i] = v;
        pixels[i + 1] = p;
        pixels[i + 2] = q;
    }
  }
}

function clamp01(value: number): number {
  return value < 0 ? 0 : Math.min(value, 1);
}
