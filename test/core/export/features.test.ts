import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportFeatures, npyHeader } from '../../../core/export/features.ts';
import type { Db } from '../../../core/store/database.ts';
import { type EmbeddingMatrix, loadEmbeddings, putEmbeddings } from '../../../core/store/embeddings.ts';
import { makeEmbedLibrary } from '../analysis/embed-test-library.ts';

/** Reads a .npy file as NumPy does: magic, version, header dict, then little-endian data. */
function readNpy(file: string): { shape: number[]; descr: string; fortran: boolean; data: Float32Array } {
  const bytes = readFileSync(file);
  expect(bytes.subarray(0, 6).toString('latin1')).toBe('\x93NUMPY');
  expect([bytes[6], bytes[7]]).toEqual([1, 0]);
  const headerLength = bytes.readUInt16LE(8);
  expect((10 + headerLength) % 64).toBe(0);
  const header = bytes.subarray(10, 10 + headerLength).toString('latin1');
  expect(header.endsWith('\n')).toBe(true);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1] ?? '';
  const fortran = /'fortran_order':\s*True/.test(header);
  const shape = (/'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  const body = bytes.subarray(10 + headerLength);
  return {
    shape,
    descr,
    fortran,
    data: new Float32Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength)),
  };
}

let db: Db;
let folder: string;
let modelId: number;
let stored: EmbeddingMatrix;

beforeAll(async () => {
  const library = await makeEmbedLibrary(7);
  ({ db, folder, modelId } = library);
  // Known vectors instead of a forward pass: what is exported must be exactly what is stored.
  const ids = (
    db.prepare("SELECT id FROM images WHERE status = 'ok' ORDER BY id").all() as { id: number }[]
  ).map((r) => r.id);
  putEmbeddings(
    db,
    modelId,
    ids.map((imageId, row) => ({
      imageId,
      vector: Float32Array.from({ length: 5 }, (_, i) => row * 10 + i + 0.25),
    })),
  );
  db.prepare("UPDATE images SET captured_at = '2024-05-06T07:08:09' WHERE id = ?").run(ids[2]);
  db.prepare('UPDATE images SET path = \'/photos/a, "quoted".jpg\' WHERE id = ?').run(ids[3]);
  stored = loadEmbeddings(db, modelId);
});

describe('exportFeatures', () => {
  it('writes .npy (float32, C order, [N, D]) with a row-aligned ids CSV', async () => {
    const out = join(folder, 'features.npy');
    const result = await exportFeatures(db, 'npy', out);
    expect(result).toMatchObject({ rows: 7, dim: 5, files: [out, join(folder, 'features.ids.csv')] });
    const npy = readNpy(out);
    expect(npy).toMatchObject({ shape: [7, 5], descr: '<f4', fortran: false });
    expect(npy.data).toEqual(stored.vectors);
    const lines = readFileSync(join(folder, 'features.ids.csv'), 'utf8').trim().split('\n');
    expect(lines[0]).toBe('row,image_id,path');
    expect(lines.length).toBe(8);
    expect(lines[4]).toBe(`3,${stored.imageIds[3]},"/photos/a, ""quoted"".jpg"`);
    expect(npyHeader([3]).toString('latin1')).toContain("'shape': (3,)");
  });

  it('writes Parquet that another reader (hyparquet) reads back: ids, paths, folder, capture time, vectors', async () => {
    const out = join(folder, 'features.parquet');
    await exportFeatures(db, 'parquet', out, { model: 'tiny' });
    const file = await asyncBufferFromFile(out);
    const metadata = await parquetMetadataAsync(file);
    expect(Number(metadata.num_rows)).toBe(7);
    expect(metadata.key_value_metadata).toContainEqual({ key: 'dinoscope.embedding_dim', value: '5' });
    const rows = (await parquetReadObjects({ file })) as Record<string, unknown>[];
    expect(rows.map((r) => r.image_id)).toEqual(Array.from(stored.imageIds));
    rows.forEach((row, i) => {
      expect(Float32Array.from(row.embedding as number[])).toEqual(
        stored.vectors.subarray(i * 5, (i + 1) * 5),
      );
      expect(row.folder).toMatch(/photos$/);
      expect(row.rel_path).toMatch(/^class\d\/photo-\d+\.jpg$/);
    });
    expect(rows[2].captured_at).toBe('2024-05-06T07:08:09');
    expect(rows[0].captured_at ?? null).toBeNull();
    expect(rows[3].path).toBe('/photos/a, "quoted".jpg');
  });

  it('writes CSV with one column per dimension; refuses a model without embeddings', async () => {
    const out = join(folder, 'features.csv');
    await exportFeatures(db, 'csv', out);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('image_id,path,folder,rel_path,captured_at,f0,f1,f2,f3,f4');
    expect(lines[1].split(',').slice(-5).map(Number)).toEqual([0.25, 1.25, 2.25, 3.25, 4.25]);
    db.prepare('DELETE FROM embeddings WHERE model_id = ?').run(modelId);
    await expect(exportFeatures(db, 'npy', join(folder, 'none.npy'))).rejects.toThrow(
      /has no embeddings yet: run `dinoscope embed/,
    );
  });
});
