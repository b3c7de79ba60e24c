import type { VitConfig } from '../model/vit-config.ts';
import type { Db } from './database.ts';

/** A backbone whose embeddings the library stores: trained here, or imported from published weights. */
export interface ModelRecord {
  id: number;
  name: string;
  source: 'trained' | 'imported';
  config: VitConfig;
  /** safetensors file with the official backbone tensor names (`blocks.0.attn.qkv.weight`, ...). */
  weightsPath: string;
  onnxPath: string | null;
  runId: number | null;
  createdAt: number;
}

interface ModelRow {
  id: number;
  name: string;
  source: 'trained' | 'imported';
  config: string;
  weights_path: string;
  onnx_path: string | null;
  run_id: number | null;
  created_at: number;
}

const fromRow = (row: ModelRow): ModelRecord => ({
  id: row.id,
  name: row.name,
  source: row.source,
  config: JSON.parse(row.config) as VitConfig,
  weightsPath: row.weights_path,
  onnxPath: row.onnx_path,
  runId: row.run_id,
  createdAt: row.created_at,
});

export function addModel(
  db: Db,
  model: Omit<ModelRecord, 'id' | 'createdAt' | 'onnxPath'> & { onnxPath?: string | null },
): ModelRecord {
  const createdAt = Date.now();
  const { lastInsertRowid } = db
    .prepare(
      'INSERT INTO models (name, source, config, weights_path, onnx_path, run_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    )
    .run(
      model.name,
      model.source,
      JSON.stringify(model.config),
      model.weightsPath,
      model.onnxPath ?? null,
      model.runId,
      createdAt,
    );
  return getModel(db, Number(lastInsertRowid));
}

export function listModels(db: Db): ModelRecord[] {
  return (db.prepare('SELECT * FROM models ORDER BY id').all() as ModelRow[]).map(fromRow);
}

export function getModel(db: Db, id: number): ModelRecord {
  const row = db.prepare('SELECT * FROM models WHERE id = ?').get(id) as ModelRow | undefined;
  if (!row) throw new Error(`No model with id ${id}. \`dinoscope models\` lists them.`);
  return fromRow(row);
}

/**
 * The model a command uses when the user names none: the one given by id or name, else the
 * newest. An empty library says how to get one.
 */
export function resolveModel(db: Db, idOrName?: string | number): ModelRecord {
  if (idOrName !== undefined && idOrName !== '') {
    const row = db
      .prepare('SELECT * FROM models WHERE id = ? OR name = ?')
      .get(Number(idOrName) || -1, String(idOrName)) as ModelRow | undefined;
    if (!row) throw new Error(`No model "${idOrName}". \`dinoscope models\` lists them.`);
    return fromRow(row);
  }
  const newest = db.prepare('SELECT * FROM models ORDER BY id DESC LIMIT 1').get() as ModelRow | undefined;
  if (!newest) {
    throw new Error(
      'The library has no model yet: fetch published weights (`dinoscope weights fetch dino-vits16`, the quickest start), train one (`dinoscope train`), or import a file (`dinoscope import-weights FILE`).',
    );
  }
  return fromRow(newest);
}

export function setModelOnnxPath(db: Db, id: number, onnxPath: string | null): void {
  db.prepare('UPDATE models SET onnx_path = ? WHERE id = ?').run(onnxPath, id);
}

/** Deleting a model deletes its embeddings, projection and clusters (foreign keys cascade). */
export function deleteModel(db: Db, id: number): void {
  db.prepare('DELETE FROM models WHERE id = ?').run(id);
}
