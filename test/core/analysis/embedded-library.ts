import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { normalizeRows } from '../../../core/analysis/cosine-top-k.ts';
import { vitConfig } from '../../../core/model/vit-config.ts';
import { type Db, openDatabase } from '../../../core/store/database.ts';
import { putEmbeddings } from '../../../core/store/embeddings.ts';
import { insertFolder } from '../../../core/store/folders.ts';
import { insertImage } from '../../../core/store/images.ts';
import { addModel } from '../../../core/store/models.ts';

export interface FakePhoto {
  relPath: string;
  vector: number[];
  hash?: string;
  width?: number;
  height?: number;
  size?: number;
}

/**
 * A library file with photos and their embeddings written straight into the tables (the scan and
 * embed jobs have their own tests): search and evaluation tests control every vector.
 */
export function embeddedLibrary(photos: FakePhoto[], options: { folder?: string } = {}) {
  const file = join(mkdtempSync(join(tmpdir(), 'search-')), 'library.sqlite');
  const db = openDatabase(file);
  const folderPath = options.folder ?? '/photos';
  const folder = insertFolder(db, folderPath);
  const model = addModel(db, {
    name: 'test-model',
    source: 'imported',
    config: vitConfig('vit_small'),
    weightsPath: '/nowhere.safetensors',
    runId: null,
  });
  const ids = photos.map((photo, i) =>
    insertImage(db, {
      folderId: folder.id,
      path: `${folderPath}/${photo.relPath}`,
      relPath: photo.relPath,
      size: photo.size ?? 1000 + i,
      mtimeMs: 0,
      hash: photo.hash ?? `hash-${i}`,
      format: 'jpeg',
      width: photo.width ?? 640,
      height: photo.height ?? 480,
      capturedAt: null,
      status: 'ok',
      error: null,
      readAgain: false,
      scannedAt: 0,
    }),
  );
  const dim = photos[0]?.vector.length ?? 0;
  putEmbeddings(
    db,
    model.id,
    photos.map((photo, i) => ({
      imageId: ids[i],
      vector: normalizeRows(Float32Array.from(photo.vector), 1, dim),
    })),
  );
  return { file, db: db as Db, model, ids };
}
