import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { NamedTensors } from '../../../core/engine/host-tensor.ts';
import { writeSafetensors } from '../../../core/engine/safetensors.ts';
import { importModel } from '../../../core/export/model-library.ts';
import { addFolders } from '../../../core/library/add-folders.ts';
import { scanLibrary } from '../../../core/library/scan.ts';
import { backboneShapes } from '../../../core/model/infer-vit-config.ts';
import type { VitConfig } from '../../../core/model/vit-config.ts';
import { type Db, openDatabase } from '../../../core/store/database.ts';
import { tempFolder, writeFile } from '../library/fixture-images.ts';

/** A small library of generated photos and a tiny random ViT imported as its model. */
export const TINY_VIT: VitConfig = {
  patchSize: 8,
  embedDim: 32,
  depth: 2,
  numHeads: 2,
  mlpRatio: 2,
  imgSize: 32,
};

export function randomWeights(config: VitConfig, seed = 3): NamedTensors {
  let state = seed;
  const tensors: NamedTensors = new Map();
  for (const [name, shape] of backboneShapes(config)) {
    const data = new Float32Array(shape.reduce((n, d) => n * d, 1));
    for (let i = 0; i < data.length; i++) {
      state = (state * 1664525 + 1013904223) >>> 0;
      data[i] = (state / 2 ** 32 - 0.5) * 0.5;
    }
    tensors.set(name, { shape, data });
  }
  return tensors;
}

export const photo = (index: number, width = 48, height = 40) =>
  sharp({
    create: {
      width,
      height,
      channels: 3,
      background: { r: (index * 37) % 256, g: (index * 91) % 256, b: (index * 53) % 256 },
    },
  })
    .composite([
      {
        input: { create: { width: 8, height: 8, channels: 3, background: '#fff' } },
        left: index % 40,
        top: index % 32,
      },
    ])
    .jpeg()
    .toBuffer();

export async function addPhotos(root: string, from: number, count: number): Promise<void> {
  for (let i = from; i < from + count; i++) writeFile(root, `class${i % 3}/photo-${i}.jpg`, await photo(i));
}

export async function makeEmbedLibrary(
  photos: number,
): Promise<{ db: Db; file: string; root: string; folder: string; modelId: number }> {
  const folder = tempFolder('embed');
  const root = join(folder, 'photos');
  await addPhotos(root, 0, photos);
  const file = join(folder, 'library.sqlite');
  const db = openDatabase(file);
  addFolders(db, [root]);
  await scanLibrary(db);
  const weights = join(folder, 'tiny.safetensors');
  writeSafetensors(weights, randomWeights(TINY_VIT), { num_heads: String(TINY_VIT.numHeads) });
  writeFileSync(join(folder, 'README'), 'test library');
  const { model } = await importModel(db, file, weights, { name: 'tiny' });
  return { db, file, root, folder, modelId: model.id };
}
