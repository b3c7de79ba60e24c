import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  EmbeddingIndex,
  embeddingIndex,
  releaseEmbeddingIndexes,
} from '../../../core/analysis/embedding-index.ts';
import { findNeighbors } from '../../../core/analysis/neighbors.ts';
import type { Db } from '../../../core/store/database.ts';
import { putEmbeddings } from '../../../core/store/embeddings.ts';
import { embeddedLibrary } from './embedded-library.ts';

const photos = [
  { relPath: 'a.jpg', vector: [1, 0, 0] },
  { relPath: 'b.jpg', vector: [0.9, 0.1, 0] },
  { relPath: 'c.jpg', vector: [0, 1, 0] },
  { relPath: 'd.jpg', vector: [0.7, 0.7, 0] },
  { relPath: 'sub/e.jpg', vector: [0, 0, 1] },
];

let open: Db[] = [];
afterEach(async () => {
  for (const db of open) {
    await releaseEmbeddingIndexes(db);
    db.close();
  }
  open = [];
});

describe('neighbours of a photo', () => {
  it('ranks the other photos by cosine similarity, found by id or by path', async () => {
    const library = embeddedLibrary(photos);
    open.push(library.db);
    const byId = await findNeighbors(library.db, { image: library.ids[0], k: 3 });
    expect(byId.neighbors.map((n) => n.relPath)).toEqual(['b.jpg', 'd.jpg', 'c.jpg']);
    expect(byId.neighbors[0].similarity).toBeCloseTo(0.9 / Math.hypot(0.9, 0.1), 6);
    expect(byId.neighbors[2].similarity).toBeCloseTo(0, 6);
    expect(byId.searched).toBe(5);
    const byPath = await findNeighbors(library.db, { image: '/photos/sub/e.jpg', k: 10 });
    expect(byPath.query.imageId).toBe(library.ids[4]);
    expect(byPath.neighbors).toHaveLength(4); // everyone else, never itself
    expect(byPath.neighbors.map((n) => n.imageId)).not.toContain(library.ids[4]);
  });

  it('explains what is missing instead of answering wrongly', async () => {
    const library = embeddedLibrary(photos);
    open.push(library.db);
    await expect(findNeighbors(library.db, { image: '/elsewhere/x.jpg' })).rejects.toThrow(
      /not in the library.*dinoscope add/,
    );
    await expect(findNeighbors(library.db, { image: 999 })).rejects.toThrow(/No image with id 999/);
    library.db.prepare('DELETE FROM embeddings WHERE image_id = ?').run(library.ids[1]);
    await expect(findNeighbors(library.db, { image: library.ids[1] })).rejects.toThrow(/dinoscope embed/);
    library.db.prepare('DELETE FROM embeddings').run();
    await expect(findNeighbors(library.db, { image: library.ids[0] })).rejects.toThrow(
      /has no embedding for model "test-model" yet/,
    );
  });

  it('keeps the matrix loaded between queries and reloads it when embeddings change', async () => {
    const library = embeddedLibrary(photos);
    open.push(library.db);
    const first = await embeddingIndex(library.db, library.model.id);
    expect(await embeddingIndex(library.db, library.model.id)).toBe(first);
    library.db.prepare('DELETE FROM embeddings WHERE image_id = ?').run(library.ids[3]);
    const second = await embeddingIndex(library.db, library.model.id);
    expect(second).not.toBe(first);
    expect(second.count).toBe(4);
    putEmbeddings(library.db, library.model.id, [
      { imageId: library.ids[3], vector: Float32Array.from([0, 0, 1]) },
    ]);
    const result = await findNeighbors(library.db, { image: library.ids[4], k: 1 });
    expect(result.neighbors[0].relPath).toBe('d.jpg');
  });

  it('gives the same answer from ONNX Runtime and from the JS scan', async () => {
    const count = 3000;
    const dim = 24;
    const vectors = new Float32Array(count * dim).map((_, i) => (Math.sin(i * 12.9898) * 43758.5453) % 1);
    for (let r = 0; r < count; r++) {
      const row = vectors.subarray(r * dim, (r + 1) * dim);
      const norm = Math.hypot(...row);
      for (let c = 0; c < dim; c++) row[c] /= norm;
    }
    const ids = Int32Array.from({ length: count }, (_, i) => 10 + i);
    const onnx = new EmbeddingIndex(ids, dim, vectors, 'onnx');
    const js = new EmbeddingIndex(ids, dim, vectors, 'js');
    for (const row of [0, 1234, 2999]) {
      const query = vectors.subarray(row * dim, (row + 1) * dim);
      const a = await onnx.nearest(query, 8, { excludeImageId: ids[row] });
      const b = await js.nearest(query, 8, { excludeImageId: ids[row] });
      expect(Array.from(a.imageIds)).not.toContain(ids[row]);
      for (let j = 0; j < 8; j++) expect(a.similarities[j]).toBeCloseTo(b.similarities[j], 5);
    }
    await onnx.release();
  });

  it('answers on the command line, as a table and as JSON', () => {
    const library = embeddedLibrary(photos);
    library.db.close();
    const cli = fileURLToPath(new URL('../../../core/cli/dinoscope.js', import.meta.url));
    const run = (...args: string[]) =>
      execFileSync(process.execPath, [cli, '--db', library.file, ...args], { encoding: 'utf8' });
    const json = JSON.parse(run('neighbors', '/photos/a.jpg', '-k', '2', '--json'));
    expect(json.neighbors.map((n: { relPath: string }) => n.relPath)).toEqual(['b.jpg', 'd.jpg']);
    const table = run('neighbors', String(library.ids[0]), '-k', '2');
    expect(table).toMatch(/1\s+0\.99\d\d\s+\d+\s+\/photos\/b\.jpg/);
  });
});
