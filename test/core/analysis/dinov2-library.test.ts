import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeAttention } from '../../../core/analysis/attention-map.ts';
import { embedLibrary } from '../../../core/analysis/embed-job.ts';
import { importModel } from '../../../core/export/model-library.ts';
import type { Db } from '../../../core/store/database.ts';
import { loadEmbeddings } from '../../../core/store/embeddings.ts';
import { getModel } from '../../../core/store/models.ts';
import { makeEmbedLibrary } from './embed-test-library.ts';

/**
 * A DINOv2 model with registers in a library, end to end: the tiny backbone the official dinov2
 * code wrote (test/fixtures/dinov2) embeds photos at DINOv2's 224 px through ONNX Runtime and
 * gives attention maps over the patch grid only (the registers left out).
 */
const checkpoint = fileURLToPath(
  new URL('../../fixtures/dinov2/tiny_dinov2_reg4_pretrain.pth', import.meta.url),
);
let db: Db;
let file: string;
let modelId: number;

beforeAll(async () => {
  const library = await makeEmbedLibrary(4);
  db = library.db;
  file = library.file;
  ({
    model: { id: modelId },
  } = await importModel(db, file, checkpoint, { name: 'tiny dinov2', numHeads: 3 }));
});
afterAll(() => db.close());

describe('a DINOv2 model in a library', () => {
  it('embeds every photo at 224 px, L2-normalised', async () => {
    const result = await embedLibrary(db, file, { model: String(modelId) });
    expect(result.embedded).toBe(4);
    expect(result.engine).toMatch(/^onnxruntime/);
    // Its own size (70 px here, 518 for the published ones) would be slower: 224, as DINOv2 evaluates.
    expect(getModel(db, modelId).onnxPath).toMatch(/-224px\.onnx$/);
    const { dim, vectors } = loadEmbeddings(db, modelId);
    expect(dim).toBe(48);
    for (let row = 0; row < 4; row++) {
      const norm = Math.hypot(...vectors.subarray(row * dim, (row + 1) * dim));
      expect(norm).toBeCloseTo(1, 5);
    }
  });

  it('shows attention over the patches of a patch-14 grid, registers left out', async () => {
    const [imageId] = loadEmbeddings(db, modelId).imageIds;
    const maps = await computeAttention(db, file, imageId, { model: modelId, longSide: 140 });
    expect(maps.patchSize).toBe(14);
    expect(maps.inputWidth % 14).toBe(0);
    expect(maps.gridWidth * 14).toBe(maps.inputWidth);
    expect(maps.heads).toHaveLength(3);
    for (const head of maps.heads) {
      expect(head).toHaveLength(maps.gridWidth * maps.gridHeight);
      expect(head.reduce((sum, v) => sum + v, 0)).toBeCloseTo(1, 4);
    }
  });
});
