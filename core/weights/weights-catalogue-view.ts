import { createRequire } from 'node:module';
import type { PublishedWeightsCatalogue } from '../api.ts';
import { detectNvidiaGpu } from '../engine/gpu-probe.ts';
import { PUBLISHED_WEIGHTS } from './published-weights.ts';

/**
 * The catalogue as the UI shows it, with the first step this machine suggests: without a GPU
 * that training can use, DINO from scratch gives weak features in an evening (the reference,
 * 25 minutes on 2 cores and 2,000 photos, ended below its untrained k-NN), while published
 * weights give good ones after a download; so those come first.
 */
export const RECOMMENDED_WEIGHTS = 'dino-vits16';

export function weightsCatalogue(usableGpu: boolean): PublishedWeightsCatalogue {
  return {
    entries: PUBLISHED_WEIGHTS.map((entry) => {
      const a = entry.architecture;
      return {
        key: entry.key,
        title: entry.title,
        family: entry.family,
        architecture:
          `${a.embedDim}-wide, ${a.depth} blocks, patch ${a.patchSize}` +
          (a.registers > 0 ? `, ${a.registers} registers` : ''),
        approximateBytes: entry.approximateBytes,
        licence: entry.licence,
        imagenetKnn: entry.imagenetKnn,
        goodFor: entry.goodFor,
        checksumPinned: entry.sha256 !== null,
      };
    }),
    recommended: RECOMMENDED_WEIGHTS,
    usableGpu,
    advice: usableGpu
      ? 'A GPU is available: training on your photos is practical, and published weights remain the fastest start.'
      : 'No GPU that training can use: start from published weights (download, embed and map in minutes); training from scratch on a CPU is the long road to features as good.',
  };
}

/**
 * An NVIDIA GPU with `@tensorflow/tfjs-node-gpu` installed, checked without loading TensorFlow
 * (the service must stay light); `dinoscope doctor` tells the full story.
 */
export function hasUsableGpu(): boolean {
  if (!detectNvidiaGpu().present) return false;
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node-gpu');
    return true;
  } catch {
    return false;
  }
}
