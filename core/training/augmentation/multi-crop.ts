import type { HostTensor } from '../../engine/host-tensor.ts';
import type { Random } from '../random.ts';
import { type RgbPixels, resizeCrop } from './bicubic-resize.ts';
import { applyColourJitter, type ColourJitterDraw, sampleColourJitter } from './colour-jitter.ts';
import { type CropBox, sampleCropBox } from './crop-box.ts';
import { flipHorizontal } from './flip.ts';
import { gaussianBlur } from './gaussian-blur.ts';
import { toGrayscale } from './grayscale.ts';
import { normalizeImagenet } from './normalize.ts';
import { solarize } from './solarize.ts';

/** The sizes and counts of the views; the rest of the recipe is the reference's, fixed below. */
export interface MultiCropSpec {
  globalCropSize: number;
  localCropSize: number;
  localCropsNumber: number;
  globalCropsScale: readonly [number, number];
  localCropsScale: readonly [number, number];
}

/** What is applied to one kind of view, with the reference's probabilities (`DataAugmentationDINO`). */
export interface ViewRecipe {
  kind: 'global1' | 'global2' | 'local';
  flip: number;
  colourJitter: number;
  grayscale: number;
  blur: number;
  solarize: number;
}

/** The reference's blur σ range, in pixels of its 224-px global and 96-px local crops. */
export const BLUR_SIGMA: readonly [number, number] = [0.1, 2];
export const REFERENCE_CROP_SIZE = { global: 224, local: 96 } as const;

/**
 * The blur σ range for a view of `size` px: the reference's range scaled by size / its crop size, so
 * that a smaller crop (a CPU preset) is blurred as much relative to its content as the reference's
 * view, not several times more. At the reference sizes it is exactly [0.1, 2].
 */
export function blurSigmaRange(kind: ViewRecipe['kind'], size: number): [number, number] {
  const scale = size / (kind === 'local' ? REFERENCE_CROP_SIZE.local : REFERENCE_CROP_SIZE.global);
  return [BLUR_SIGMA[0] * scale, BLUR_SIGMA[1] * scale];
}

export const VIEW_RECIPES: Record<ViewRecipe['kind'], ViewRecipe> = {
  global1: { kind: 'global1', flip: 0.5, colourJitter: 0.8, grayscale: 0.2, blur: 1.0, solarize: 0 },
  global2: { kind: 'global2', flip: 0.5, colourJitter: 0.8, grayscale: 0.2, blur: 0.1, solarize: 0.2 },
  local: { kind: 'local', flip: 0.5, colourJitter: 0.8, grayscale: 0.2, blur: 0.5, solarize: 0 },
};

/** Everything drawn for one view of one image: the tests check its statistics, the preview prints it. */
export interface ViewDraw {
  kind: ViewRecipe['kind'];
  box: CropBox;
  flipped: boolean;
  jitter: ColourJitterDraw | null;
  grayscale: boolean;
  blurSigma: number | null;
  solarized: boolean;
}

/** The views of a batch: 2 global + N local tensors, each `[B, size, size, 3]` NHWC, normalised. */
export interface MultiCropBatch {
  views: HostTensor[];
  /** draws[image][view] */
  draws: ViewDraw[][];
}

export function viewRecipes(
  spec: MultiCropSpec,
): { recipe: ViewRecipe; size: number; scale: readonly [number, number] }[] {
  return [
    { recipe: VIEW_RECIPES.global1, size: spec.globalCropSize, scale: spec.globalCropsScale },
    { recipe: VIEW_RECIPES.global2, size: spec.globalCropSize, scale: spec.globalCropsScale },
    ...Array.from({ length: spec.localCropsNumber }, () => ({
      recipe: VIEW_RECIPES.local,
      size: spec.localCropSize,
      scale: spec.localCropsScale,
    })),
  ];
}

/**
 * The reference's multi-crop on a batch: for each image, in order, global 1, global 2 and the
 * local crops, each drawn from `random` exactly in the order the reference draws them.
 */
export function multiCropBatch(
  images: readonly RgbPixels[],
  spec: MultiCropSpec,
  random: Random,
): MultiCropBatch {
  const recipes = viewRecipes(spec);
  const views = recipes.map(({ size }) => ({
    shape: [images.length, size, size, 3],
    data: new Float32Array(images.length * size * size * 3),
  }));
  const draws = images.map((image, b) =>
    recipes.map(({ recipe, size, scale }, v) => {
      const pixels = views[v].data.subarray(b * size * size * 3, (b + 1) * size * size * 3);
      return augmentView(image, recipe, size, scale, random, pixels);
    }),
  );
  return { views, draws };
}

/** One view of one image into `out` (HWC, size×size×3): crop, flip, jitter, grey, blur, solarize, normalise. */
export function augmentView(
  image: RgbPixels,
  recipe: ViewRecipe,
  size: number,
  scale: readonly [number, number],
  random: Random,
  out: Float32Array,
): ViewDraw {
  const box = sampleCropBox(random, image.width, image.height, scale);
  resizeCrop(image, box, size, out);
  const flipped = random.chance(recipe.flip);
  if (flipped) flipHorizontal(out, size, size);
  const jitter = random.chance(recipe.colourJitter) ? sampleColourJitter(random) : null;
  if (jitter) applyColourJitter(out, jitter);
  const grayscale = random.chance(recipe.grayscale);
  if (grayscale) toGrayscale(out);
  // The reference's GaussianBlur tests `random() <= p`, so p = 1 always blurs.
  const [sigmaLow, sigmaHigh] = blurSigmaRange(recipe.kind, size);
  const blurSigma = random.random() <= recipe.blur ? random.uniform(sigmaLow, sigmaHigh) : null;
  if (blurSigma !== null) gaussianBlur(out, size, size, blurSigma);
  const solarized = recipe.solarize > 0 && random.chance(recipe.solarize);
  if (solarized) solarize(out);
  normalizeImagenet(out);
  return { kind: recipe.kind, box, flipped, jitter, grayscale, blurSigma, solarized };
}
