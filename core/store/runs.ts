import type { Db } from './database.ts';

/** Training runs and their checkpoints, as the library records them (tables training_runs, checkpoints). */
export type RunStatus = 'running' | 'paused' | 'finished' | 'failed' | 'cancelled';

export interface TrainingRunRecord {
  id: number;
  /** The resolved training config (JSON as stored). */
  config: Record<string, unknown>;
  status: RunStatus;
  /** Folder holding the run's checkpoints and its per-step log. */
  dir: string;
  /** Whole epochs completed. */
  epoch: number;
  /** Steps completed. */
  step: number;
  message: string | null;
  startedAt: number;
  updatedAt: number;
}

export interface CheckpointRecord {
  id: number;
  runId: number;
  /** The checkpoint's JSON file (its safetensors sits beside it). */
  path: string;
  epoch: number;
  step: number;
  loss: number | null;
  createdAt: number;
}

interface RunRow {
  id: number;
  config: string;
  status: RunStatus;
  dir: string;
  epoch: number;
  step: number;
  message: string | null;
  started_at: number;
  updated_at: number;
}

const runFromRow = (row: RunRow): TrainingRunRecord => ({
  id: row.id,
  config: JSON.parse(row.config) as Record<string, unknown>,
  status: row.status,
  dir: row.dir,
  epoch: row.epoch,
  step: row.step,
  message: row.message,
  startedAt: row.started_at,
  updatedAt: row.updated_at,
});

export function createRun(db: Db, run: { config: object; dir: string }): TrainingRunRecord {
  const now = Date.now();
  const { lastInsertRowid } = db
    .prepare(
      "INSERT INTO training_runs (config, status, dir, epoch, step, started_at, updated_at) VALUES (?, 'running', ?, 0, 0, ?, ?)",
    )
    .run(JSON.stringify(run.config), run.dir, now, now);
  return getRun(db, Number(lastInsertRowid));
}

/** A run's directory is only known once its id is: create, then set it. */
export function setRunDir(db: Db, id: number, dir: string): void {
  db.prepare('UPDATE training_runs SET dir = ?, updated_at = ? WHERE id = ?').run(dir, Date.now(), id);
}

export function getRun(db: Db, id: number): TrainingRunRecord {
  const row = db.prepare('SELECT * FROM training_runs WHERE id = ?').get(id) as RunRow | undefined;
  if (!row) throw new Error(`No training run ${id}. \`dinoscope runs\` lists them.`);
  return runFromRow(row);
}

export function listRuns(db: Db): TrainingRunRecord[] {
  return (db.prepare('SELECT * FROM training_runs ORDER BY id').all() as RunRow[]).map(runFromRow);
}

/** The run `--resume` continues when none is named: the newest one that did not finish. */
export function latestUnfinishedRun(db: Db): TrainingRunRecord | null {
  const row = db
    .prepare("SELECT * FROM training_runs WHERE status != 'finished' ORDER BY id DESC LIMIT 1")
    .get() as RunRow | undefined;
  return row ? runFromRow(row) : null;
}

export function updateRunProgress(db: Db, id: number, progress: { epoch: number; step: number }): void {
  db.prepare('UPDATE training_runs SET epoch = ?, step = ?, updated_at = ? WHERE id = ?').run(
    progress.epoch,
    progress.step,
    Date.now(),
    id,
  );
}

export function setRunStatus(db: Db, id: number, status: RunStatus, message: string | null = null): void {
  db.prepare('UPDATE training_runs SET status = ?, message = ?, updated_at = ? WHERE id = ?').run(
    status,
    message,
    Date.now(),
    id,
  );
}

export function addCheckpoint(
  db: Db,
  checkpoint: Omit<CheckpointRecord, 'id' | 'createdAt'>,
): CheckpointRecord {
  const createdAt = Date.now();
  const { lastInsertRowid } = db
    .prepare(
      'INSERT INTO checkpoints (run_id, path, epoch, step, loss, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    )
    .run(checkpoint.runId, checkpoint.path, checkpoint.epoch, checkpoint.step, checkpoint.loss, createdAt);
  return { ...checkpoint, id: Number(lastInsertRowid), createdAt };
}

interface CheckpointRow {
  id: number;
  run_id: number;
  path: string;
  epoch: number;
  step: number;
  loss: number | null;
  created_at: number;
}

/** A run's checkpoints, oldest first. */
export function listCheckpoints(db: Db, runId: number): CheckpointRecord[] {
  return (
    db.prepare('SELECT * FROM checkpoints WHERE run_id = ? ORDER BY step, id').all(runId) as CheckpointRow[]
  ).map((row) => ({
    id: row.id,
    runId: row.run_id,
    path: row.path,
    epoch: row.epoch,
    step: row.step,
    loss: row.loss,
    createdAt: row.created_at,
  }));
}

export function deleteCheckpointRecord(db: Db, id: number): void {
  db.prepare('DELETE FROM checkpoints WHERE id = ?').run(id);
}

/** The model a run produced (its teacher backbone), if it has one yet. */
export function modelIdOfRun(db: Db, runId: number): number | null {
  const row = db.prepare('SELECT id FROM models WHERE run_id = ? ORDER BY id DESC LIMIT 1').get(runId) as
    | { id: number }
    | undefined;
  return row?.id ?? null;
}

/** New weights make a model's stored embeddings stale: they no longer describe it. */
export function forgetEmbeddingsOfModel(db: Db, modelId: number): void {
  db.prepare('DELETE FROM embeddings WHERE model_id = ?').run(modelId);
}
