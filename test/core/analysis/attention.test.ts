import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeAttention } from '../../../core/analysis/attention-map.ts';
import { maskedMass, massMask } from '../../../core/analysis/attention-mask.ts';
import { attentionFigure, attentionLayers } from '../../../core/analysis/attention-overlay.ts';
import { colorize, INFERNO } from '../../../core/analysis/colormap.ts';
import type { NamedTensors } from '../../../core/engine/host-tensor.ts';
import { writeSafetensors } from '../../../core/engine/safetensors.ts';
import { vitParameterSpecs } from '../../../core/model/vision-transformer.ts';
import type { VitConfig } from '../../../core/model/vit-config.ts';
import { type Db, openDatabase } from '../../../core/store/database.ts';
import { addModel } from '../../../core/store/models.ts';

describe('massMask', () => {
  it('keeps the smallest set of patches, largest first, that holds the threshold of the attention', () => {
    const values = [0.05, 0.5, 0.1, 0.2, 0.15];
    expect(Array.from(massMask(values, 0.6))).toEqual([0, 1, 0, 1, 0]);
    expect(maskedMass(values, massMask(values, 0.6))).toBeCloseTo(0.7, 12);
    expect(Array.from(massMask(values, 0.5))).toEqual([0, 1, 0, 0, 0]);
    expect(Array.from(massMask(values, 1))).toEqual([1, 1, 1, 1, 1]);
    // Unnormalised input: the same mask as its normalised form.
    expect(
      Array.from(
        massMask(
          values.map((v) => v * 7),
          0.6,
        ),
      ),
    ).toEqual([0, 1, 0, 1, 0]);
  });

  it('holds at least the threshold, and less without its weakest patch, on a random map', () => {
    let seed = 9;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const values = Float32Array.from({ length: 28 * 28 }, () => random() ** 4);
    for (const threshold of [0.3, 0.6, 0.9]) {
      const mask = massMask(values, threshold);
      expect(maskedMass(values, mask)).toBeGreaterThanOrEqual(threshold - 1e-6);
      const kept = Array.from(values).filter((_, i) => mask[i]);
      const dropped = Array.from(values).filter((_, i) => !mask[i]);
      expect(Math.min(...kept)).toBeGreaterThanOrEqual(Math.max(...dropped));
      const withoutWeakest = mask.slice();
      withoutWeakest[Array.from(values).findIndex((v, i) => mask[i] && v === Math.min(...kept))] = 0;
      expect(maskedMass(values, withoutWeakest)).toBeLessThan(threshold + 1e-6);
    }
  });
});

describe('colormap', () => {
  it('maps the minimum to inferno black and the maximum to inferno yellow', () => {
    expect(Array.from(INFERNO.subarray(0, 3))).toEqual([0, 0, 4]);
    expect(Array.from(INFERNO.subarray(765, 768))).toEqual([252, 255, 164]);
    expect(Array.from(colorize([2, 5, 8]))).toEqual([
      0,
      0,
      4,
      ...INFERNO.subarray(128 * 3, 129 * 3),
      252,
      255,
      164,
    ]);
  });
});

/**
 * A one-block ViT whose weights make each head's class-token query pick out patches by
 * brightness: the patch embedding's first channel is the patch's mean (normalised) pixel value,
 * the query of the class token reads its own marker channel, and the key of a patch reads the
 * brightness channel: head 0 looks at bright patches, head 1 at dark ones, head 2 at neither.
 */
function brightnessViT(): { config: VitConfig; weights: NamedTensors } {
  const config: VitConfig = { patchSize: 16, embedDim: 48, depth: 1, numHeads: 3, mlpRatio: 4, imgSize: 224 };
  const weights: NamedTensors = new Map();
  for (const spec of vitParameterSpecs(config)) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(size);
    if (
      spec.name.endsWith('norm1.weight') ||
      spec.name.endsWith('norm2.weight') ||
      spec.name === 'norm.weight'
    ) {
      data.fill(1);
    }
    weights.set(spec.name, { shape: spec.shape, data });
  }
  const d = config.embedDim;
  const headDim = d / config.numHeads;
  (weights.get('cls_token') as { data: Float32Array }).data[1] = 1;
  const patch = (weights.get('patch_embed.proj.weight') as { data: Float32Array }).data;
  patch.fill(1 / (3 * 16 * 16), 0, 3 * 16 * 16); // output channel 0 = mean of the patch
  const qkv = (weights.get('blocks.0.attn.qkv.weight') as { data: Float32Array }).data;
  for (let h = 0; h < 2; h++) {
    qkv[h * headDim * d + 1] = 1; // query: the class token's marker
    qkv[(d + h * headDim) * d + 0] = h === 0 ? 1 : -1; // key: brightness (head 0) or darkness (head 1)
  }
  return { config, weights };
}

describe('computeAttention', () => {
  let folder: string;
  let db: Db;
  let libraryFile: string;
  let imageId: number;
  let modelId: number;
  // A 480×320 photo stored on its side with EXIF orientation 6 (rotate 90° clockwise to view):
  // upright, a white 128×96 rectangle at x 160–288, y 96–192 on dark grey.
  const objectPatches = new Set<number>();
  for (let gy = 6; gy < 12; gy++) for (let gx = 10; gx < 18; gx++) objectPatches.add(gy * 30 + gx);

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'dinoscope-attention-'));
    libraryFile = join(folder, 'library.sqlite');
    db = openDatabase(libraryFile);
    const upright = Buffer.alloc(480 * 320 * 3, 50);
    for (let y = 96; y < 192; y++) upright.fill(255, (y * 480 + 160) * 3, (y * 480 + 288) * 3);
    // Stored rotated 90° counter-clockwise, tagged orientation 6: viewers rotate it back.
    const stored = await sharp(upright, { raw: { width: 480, height: 320, channels: 3 } })
      .rotate(-90)
      .png()
      .toBuffer();
    const photo = join(folder, 'object.jpg');
    writeFileSync(
      photo,
      await sharp(stored).jpeg({ quality: 100 }).withMetadata({ orientation: 6 }).toBuffer(),
    );
    const now = Date.now();
    const folderId = db
      .prepare('INSERT INTO folders (path, added_at) VALUES (?, ?)')
      .run(folder, now).lastInsertRowid;
    imageId = Number(
      db
        .prepare(
          `INSERT INTO images (folder_id, path, rel_path, size, mtime_ms, hash, format, width, height, status, scanned_at)
           VALUES (?, ?, 'object.jpg', 1, ?, 'hash-1', 'jpeg', 480, 320, 'ok', ?)`,
        )
        .run(folderId, photo, now, now).lastInsertRowid,
    );
    const { config, weights } = brightnessViT();
    const weightsPath = join(folder, 'brightness.safetensors');
    writeSafetensors(weightsPath, weights);
    modelId = addModel(db, { name: 'brightness', source: 'imported', config, weightsPath, runId: null }).id;
  });
  afterAll(() => {
    db.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('reads the original photo upright at 480 px and finds where each head looks (not uniform)', async () => {
    const maps = await computeAttention(db, libraryFile, imageId, { model: modelId });
    expect(maps).toMatchObject({
      gridWidth: 30,
      gridHeight: 20,
      inputWidth: 480,
      inputHeight: 320,
      patchSize: 16,
    });
    expect(maps.engine).toMatch(/^onnxruntime/);
    expect(maps.heads).toHaveLength(3);
    const onObject = (values: Float32Array) =>
      maskedMass(
        values,
        Uint8Array.from(values, (_, i) => (objectPatches.has(i) ? 1 : 0)),
      );
    for (const values of [...maps.heads, maps.mean]) {
      expect(values.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    }
    expect(onObject(maps.heads[0])).toBeGreaterThan(0.99);
    expect(onObject(maps.heads[1])).toBeLessThan(0.01);
    // Head 2 has no query: uniform attention, as a control.
    expect(Math.max(...maps.heads[2]) - Math.min(...maps.heads[2])).toBeLessThan(1e-6);
    // The 60 % mask of head 0 lies on the object.
    const mask = massMask(maps.heads[0], 0.6);
    mask.forEach((kept, i) => {
      if (kept) expect(objectPatches.has(i)).toBe(true);
    });
    expect(maskedMass(maps.heads[0], mask)).toBeGreaterThanOrEqual(0.6);
  });

  it('caches per photo, model and size, and recomputes when the photo changes', async () => {
    const first = await computeAttention(db, libraryFile, imageId, { model: modelId });
    const cached = await computeAttention(db, libraryFile, imageId, { model: modelId });
    expect(cached.engine).toBe('cache');
    expect(cached.heads).toEqual(first.heads);
    db.prepare("UPDATE images SET hash = 'hash-2' WHERE id = ?").run(imageId);
    expect((await computeAttention(db, libraryFile, imageId, { model: modelId })).engine).not.toBe('cache');
    const smaller = await computeAttention(db, libraryFile, imageId, { model: modelId, longSide: 240 });
    expect(smaller).toMatchObject({ gridWidth: 15, gridHeight: 10, inputWidth: 240, inputHeight: 160 });
  });

  it('draws layers for the UI and a figure for the command line', async () => {
    const maps = await computeAttention(db, libraryFile, imageId, { model: modelId });
    const layers = await attentionLayers(maps, 0.6);
    expect(layers.heads).toHaveLength(3);
    const heat = await sharp(layers.heads[0].heatmap).raw().toBuffer({ resolveWithObject: true });
    expect(heat.info).toMatchObject({ width: 480, height: 320, channels: 4 });
    // Inside the object the heatmap is inferno's brightest colour, outside its darkest.
    expect(Array.from(heat.data.subarray((150 * 480 + 200) * 4, (150 * 480 + 200) * 4 + 3))).toEqual([
      252, 255, 164,
    ]);
    expect(Array.from(heat.data.subarray((20 * 480 + 20) * 4, (20 * 480 + 20) * 4 + 3))).toEqual([0, 0, 4]);
    const mask = await sharp(layers.heads[0].mask).raw().toBuffer();
    expect(mask[(150 * 480 + 200) * 4 + 3]).toBe(0); // inside: see-through
    expect(mask[(20 * 480 + 20) * 4 + 3]).toBeGreaterThan(100); // outside: darkened

    const { readAttentionInput } = await import('../../../core/analysis/attention-map.ts');
    const photo = await readAttentionInput(maps.path, 480, 16);
    const figure = await sharp(
      await attentionFigure(maps, photo, { head: 'all', threshold: 0.6 }),
    ).metadata();
    expect({ width: figure.width, height: figure.height }).toEqual({
      width: 2 * 480 + 8,
      height: 4 * 320 + 3 * 8,
    });
    await expect(attentionFigure(maps, photo, { head: 3, threshold: 0.6 })).rejects.toThrow(/--head/);
  });

  it('runs from the command line', async () => {
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    const output = join(folder, 'out.png');
    const { stdout } = await promisify(execFile)('node', [
      'core/cli/dinoscope.js',
      '--db',
      libraryFile,
      'attention',
      String(imageId),
      '-o',
      output,
      '--head',
      '0',
      '--json',
    ]);
    const result = JSON.parse(stdout.trim().split('\n').at(-1) as string);
    expect(result.gridWidth).toBe(30);
    expect(result.heads[0].mask.mass).toBeGreaterThanOrEqual(0.6);
    const written = await sharp(readFileSync(output)).metadata();
    expect(written.width).toBe(968);
  });
});
