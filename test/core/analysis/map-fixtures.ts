import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seededRandom } from '../../../core/analysis/seeded-random.ts';
import { vitConfig } from '../../../core/model/vit-config.ts';
import { type Db, openDatabase } from '../../../core/store/database.ts';
import { putEmbeddings } from '../../../core/store/embeddings.ts';
import { addModel, type ModelRecord } from '../../../core/store/models.ts';

/** count L2-normalised rows around `classes` random centres in dim-D; row i has class i % classes. */
export function gaussianClasses(count: number, dim: number, classes: number, noise: number, seed = 1) {
  const random = seededRandom(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
  const centres = Array.from({ length: classes }, () => Float64Array.from({ length: dim }, gauss));
  const vectors = new Float32Array(count * dim);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = i % classes;
    let norm = 0;
    for (let d = 0; d < dim; d++) {
      const v = centres[labels[i]][d] + noise * gauss();
      vectors[i * dim + d] = v;
      norm += v * v;
    }
    norm = Math.sqrt(norm);
    for (let d = 0; d < dim; d++) vectors[i * dim + d] /= norm;
  }
  return { vectors, labels };
}

/**
 * A library file with one folder of `count` photos in class folders (class-0/…, class-1/…), a
 * model, and embeddings from `gaussianClasses`. No pixels: the map only reads embeddings.
 */
export interface TestLibrary {
  db: Db;
  file: string;
  folder: string;
  model: ModelRecord;
  imageIds: number[];
  labels: Int32Array;
  vectors: Float32Array;
  dim: number;
}

export function libraryWithEmbeddings(count: number, dim = 32, classes = 3): TestLibrary {
  const folder = mkdtempSync(join(tmpdir(), 'dinoscope-map-'));
  const file = join(folder, 'library.sqlite');
  const db = openDatabase(file);
  const { vectors, labels } = gaussianClasses(count, dim, classes, 0.6);
  const now = Date.now();
  const folderId = Number(
    db.prepare('INSERT INTO folders (path, added_at) VALUES (?, ?)').run(join(folder, 'photos'), now)
      .lastInsertRowid,
  );
  const insert = db.prepare(
    `INSERT INTO images (folder_id, path, rel_path, size, mtime_ms, hash, format, width, height, status, scanned_at)
     VALUES (?, ?, ?, 1000, ?, ?, 'jpeg', 640, 480, 'ok', ?)`,
  );
  const imageIds: number[] = [];
  db.transaction(() => {
    for (let i = 0; i < count; i++) {
      const rel = `class-${labels[i]}/photo-${i}.jpg`;
      imageIds.push(
        Number(insert.run(folderId, join(folder, 'photos', rel), rel, now, `hash${i}`, now).lastInsertRowid),
      );
    }
  })();
  const model = addModel(db, {
    name: 'test-model',
    source: 'imported',
    config: vitConfig('vit_tiny'),
    weightsPath: join(folder, 'missing.safetensors'),
    runId: null,
  });
  putEmbeddings(
    db,
    model.id,
    imageIds.map((imageId, i) => ({ imageId, vector: vectors.slice(i * dim, (i + 1) * dim) })),
  );
  return { db, file, folder, model, imageIds, labels, vectors, dim };
}
