import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { fileWriter, ParquetWriter, type SchemaElement } from 'hyparquet-writer';
import type { Db } from '../store/database.ts';
import { resolveModel } from '../store/models.ts';

/**
 * Feature export: a model's embeddings with what identifies each photo, streamed page by page so
 * that 100,000 × 768 never sits in memory at once, from one consistent read snapshot.
 * - npy: float32 [N, D] (NumPy's format, a 64-byte-aligned text header) and a row-aligned CSV of
 *   ids and paths beside it (`features.npy` → `features.ids.csv`);
 * - parquet: image_id, path, folder, rel_path, captured_at and `embedding`, a list of exactly D
 *   floats per row (Parquet's LIST; the dimension is in the file metadata);
 * - csv: the same identifying columns then one column per dimension, for small sets.
 */
export type FeatureFormat = 'npy' | 'parquet' | 'csv';

export interface FeatureRow {
  imageId: number;
  path: string;
  folder: string;
  relPath: string;
  capturedAt: string | null;
  vector: Float32Array;
}

export interface ExportResult {
  files: string[];
  rows: number;
  dim: number;
  modelId: number;
  modelName: string;
}

/** Rows per page read from SQLite and per Parquet row group: 4,096 × 768 floats is 12 MB (the Parquet writer briefly holds several times that). */
const PAGE_ROWS = 4096;

export async function exportFeatures(
  db: Db,
  format: FeatureFormat,
  output: string,
  options: { model?: number | string; onProgress?: (done: number, total: number) => void } = {},
): Promise<ExportResult> {
  const model = resolveModel(db, options.model);
  if (!['npy', 'parquet', 'csv'].includes(format)) {
    throw new Error(`Unknown feature format "${format}": use npy, parquet or csv.`);
  }
  // One read transaction: an embed job committing meanwhile does not tear the export.
  db.exec('BEGIN');
  try {
    const { rows, dim } = db
      .prepare(
        `SELECT count(*) AS rows, coalesce(max(e.dim), 0) AS dim, coalesce(min(e.dim), 0) AS minDim
         FROM embeddings e JOIN images i ON i.id = e.image_id WHERE e.model_id = ? AND i.status = 'ok'`,
      )
      .get(model.id) as { rows: number; dim: number };
    if (rows === 0) {
      throw new Error(
        `Model "${model.name}" has no embeddings yet: run \`dinoscope embed --model ${model.id}\` first.`,
      );
    }
    const pages = () => readPages(db, model.id, dim, options.onProgress, rows);
    const files =
      format === 'npy'
        ? writeNpy(output, rows, dim, pages())
        : format === 'csv'
          ? writeCsv(output, dim, pages())
          : writeParquet(output, dim, model.name, pages());
    return { files, rows, dim, modelId: model.id, modelName: model.name };
  } finally {
    db.exec('COMMIT');
  }
}

function* readPages(
  db: Db,
  modelId: number,
  dim: number,
  onProgress: ((done: number, total: number) => void) | undefined,
  total: number,
): Generator<FeatureRow[]> {
  const statement = db.prepare(
    `SELECT e.image_id AS imageId, i.path AS path, f.path AS folder, i.rel_path AS relPath,
            i.captured_at AS capturedAt, e.dim AS dim, e.vector AS vector
     FROM embeddings e JOIN images i ON i.id = e.image_id JOIN folders f ON f.id = i.folder_id
     WHERE e.model_id = ? AND i.status = 'ok' AND e.image_id > ? ORDER BY e.image_id LIMIT ?`,
  );
  let after = -1;
  let done = 0;
  for (;;) {
    const page = statement.all(modelId, after, PAGE_ROWS) as (Omit<FeatureRow, 'vector'> & {
      dim: number;
      vector: Buffer;
    })[];
    if (page.length === 0) return;
    yield page.map((row) => {
      if (row.dim !== dim) {
        throw new Error(
          `Image ${row.imageId} has a ${row.dim}-dimensional embedding, the others ${dim}: re-embed it.`,
        );
      }
      return {
        ...row,
        vector: new Float32Array(
          row.vector.buffer.slice(row.vector.byteOffset, row.vector.byteOffset + row.vector.byteLength),
        ),
      };
    });
    after = page[page.length - 1].imageId;
    done += page.length;
    onProgress?.(done, total);
  }
}

/** NumPy `.npy` version 1.0 header: magic, version, length, a Python dict literal padded to 64 bytes. */
export function npyHeader(shape: number[]): Buffer {
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const unpadded = 10 + dict.length + 1;
  const header = `${dict}${' '.repeat((64 - (unpadded % 64)) % 64)}\n`;
  const out = Buffer.alloc(10 + header.length);
  out.write('\x93NUMPY', 0, 'latin1');
  out[6] = 1;
  out[7] = 0;
  out.writeUInt16LE(header.length, 8);
  out.write(header, 10, 'latin1');
  return out;
}

/** Writes to `file` through a temporary so that a failed export never leaves a half file. */
function atomically<T>(file: string, write: (temporary: string) => T): T {
  const temporary = `${file}.tmp-${process.pid}`;
  try {
    const result = write(temporary);
    renameSync(temporary, file);
    return result;
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

function writeNpy(output: string, rows: number, dim: number, pages: Iterable<FeatureRow[]>): string[] {
  const idsFile = `${output.replace(/\.npy$/i, '')}.ids.csv`;
  let written = 0;
  atomically(output, (npyTemporary) =>
    atomically(idsFile, (idsTemporary) => {
      const npy = openSync(npyTemporary, 'w');
      const ids = openSync(idsTemporary, 'w');
      try {
        writeSync(npy, npyHeader([rows, dim]));
        writeSync(ids, 'row,image_id,path\n');
        for (const page of pages) {
          const block = new Float32Array(page.length * dim);
          for (const [i, row] of page.entries()) block.set(row.vector, i * dim);
          writeSync(npy, new Uint8Array(block.buffer));
          writeSync(
            ids,
            page.map((row, i) => `${written + i},${row.imageId},${csvField(row.path)}\n`).join(''),
          );
          written += page.length;
        }
      } finally {
        closeSync(npy);
        closeSync(ids);
      }
      if (written !== rows)
        throw new Error(`Exported ${written} rows where ${rows} were counted: run the export again.`);
    }),
  );
  return [output, idsFile];
}

function writeCsv(output: string, dim: number, pages: Iterable<FeatureRow[]>): string[] {
  atomically(output, (temporary) => {
    const fd = openSync(temporary, 'w');
    try {
      const columns = Array.from({ length: dim }, (_, i) => `f${i}`);
      writeSync(fd, `image_id,path,folder,rel_path,captured_at,${columns.join(',')}\n`);
      for (const page of pages) {
        const lines = page.map(
          (row) =>
            `${row.imageId},${csvField(row.path)},${csvField(row.folder)},${csvField(row.relPath)},${row.capturedAt ?? ''},` +
            `${Array.from(row.vector, (v) => String(v)).join(',')}\n`,
        );
        writeSync(fd, lines.join(''));
      }
    } finally {
      closeSync(fd);
    }
  });
  return [output];
}

function writeParquet(
  output: string,
  dim: number,
  modelName: string,
  pages: Iterable<FeatureRow[]>,
): string[] {
  const schema: SchemaElement[] = [
    { name: 'root', num_children: 6 },
    { name: 'image_id', type: 'INT32', repetition_type: 'REQUIRED' },
    { name: 'path', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
    { name: 'folder', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
    { name: 'rel_path', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
    { name: 'captured_at', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
    { name: 'embedding', repetition_type: 'REQUIRED', converted_type: 'LIST', num_children: 1 },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
    { name: 'element', type: 'FLOAT', repetition_type: 'REQUIRED' },
  ];
  atomically(output, (temporary) => {
    const writer = new ParquetWriter({
      writer: fileWriter(temporary),
      schema,
      // Embeddings do not compress; statistics on them are useless.
      codec: 'UNCOMPRESSED',
      statistics: false,
      kvMetadata: [
        { key: 'dinoscope.model', value: modelName },
        { key: 'dinoscope.embedding_dim', value: String(dim) },
        { key: 'dinoscope.embedding', value: 'L2-normalised final-norm CLS token, float32' },
      ],
      createdBy: 'dinoscope',
    });
    for (const page of pages) {
      writer.write({
        columnData: [
          { name: 'image_id', data: page.map((r) => r.imageId) },
          { name: 'path', data: page.map((r) => r.path) },
          { name: 'folder', data: page.map((r) => r.folder) },
          { name: 'rel_path', data: page.map((r) => r.relPath) },
          { name: 'captured_at', data: page.map((r) => r.capturedAt) },
          { name: 'embedding', data: page.map((r) => Array.from(r.vector)) },
        ],
        rowGroupSize: page.length,
      });
    }
    writer.finish();
  });
  return [output];
}

/** A CSV field, quoted when it holds a comma, quote or line break (RFC 4180). */
function csvField(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
