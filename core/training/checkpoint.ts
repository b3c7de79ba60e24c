import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { NamedTensors } from '../engine/host-tensor.ts';
import { readSafetensors, writeSafetensors } from '../engine/safetensors.ts';
import type { TrainingConfig } from './config.ts';
import type { RandomState } from './random.ts';

/**
 * A training checkpoint is two files in the run's folder:
 * - `checkpoint-<step>.safetensors`: the whole DINO state with the reference's names
 *   (`student.backbone.*`, `student.head.*`, `teacher.*`, `optimizer.exp_avg.*`,
 *   `optimizer.exp_avg_sq.*`, `dino_loss.center`);
 * - `checkpoint-<step>.json`: where training stands (epoch, step, the random generator's state,
 *   the config), written last: a checkpoint exists once its JSON does.
 * Both are written to a temporary file and renamed, so a crash leaves the previous checkpoint whole.
 */
export interface CheckpointInfo {
  format: 'dinoscope-checkpoint';
  version: 1;
  runId: number;
  /** The epoch the next step belongs to (0-based). */
  epoch: number;
  /** Steps completed since the start of the run. */
  step: number;
  /** Steps completed within `epoch` (0 at an epoch boundary). */
  stepInEpoch: number;
  /** Loss of the last completed step, null before the first. */
  loss: number | null;
  config: TrainingConfig;
  /** State of the run's random generator for the next batch (crops, flips, drop-path). */
  random: RandomState;
  /** The safetensors file beside this JSON. */
  tensorsFile: string;
  createdAt: number;
}

export interface LoadedCheckpoint {
  info: CheckpointInfo;
  tensors: NamedTensors;
  /** The JSON file it was read from. */
  file: string;
}

const PREFIX = 'checkpoint-';

export function checkpointName(step: number): string {
  return `${PREFIX}${String(step).padStart(8, '0')}`;
}

/** Writes tensors, then the JSON that makes the checkpoint exist. Returns the JSON's path. */
export function writeCheckpoint(
  dir: string,
  info: Omit<CheckpointInfo, 'format' | 'version' | 'tensorsFile' | 'createdAt'>,
  tensors: NamedTensors,
): string {
  const name = checkpointName(info.step);
  const tensorsFile = `${name}.safetensors`;
  writeSafetensors(join(dir, tensorsFile), tensors, {
    format: 'dinoscope-checkpoint',
    step: String(info.step),
    epoch: String(info.epoch),
  });
  const full: CheckpointInfo = {
    format: 'dinoscope-checkpoint',
    version: 1,
    ...info,
    tensorsFile,
    createdAt: Date.now(),
  };
  const jsonFile = join(dir, `${name}.json`);
  const temporary = `${jsonFile}.tmp-${process.pid}`;
  writeFileSync(temporary, `${JSON.stringify(full, null, 2)}\n`);
  renameSync(temporary, jsonFile);
  return jsonFile;
}

/** Reads a checkpoint from its JSON file, or from its safetensors file when the JSON sits beside it. */
export function readCheckpoint(file: string): LoadedCheckpoint {
  const jsonFile = file.endsWith('.safetensors') ? file.replace(/\.safetensors$/, '.json') : file;
  if (!existsSync(jsonFile)) {
    throw new Error(`${file}: not a dinoscope checkpoint (no ${basename(jsonFile)} beside it).`);
  }
  let info: CheckpointInfo;
  try {
    info = JSON.parse(readFileSync(jsonFile, 'utf8')) as CheckpointInfo;
  } catch (error) {
    throw new Error(`${jsonFile}: unreadable checkpoint description (${(error as Error).message}).`);
  }
  if (info.format !== 'dinoscope-checkpoint') throw new Error(`${jsonFile}: not a dinoscope checkpoint.`);
  const tensorsPath = join(dirname(jsonFile), info.tensorsFile);
  if (!existsSync(tensorsPath)) {
    throw new Error(`${jsonFile}: its tensors ${info.tensorsFile} are missing; use an earlier checkpoint.`);
  }
  return { info, tensors: readSafetensors(tensorsPath).tensors, file: jsonFile };
}

/** True when `file` is one of our checkpoints (rather than published weights for `importWeights`). */
export function isDinoscopeCheckpoint(file: string): boolean {
  const jsonFile = file.endsWith('.safetensors') ? file.replace(/\.safetensors$/, '.json') : file;
  if (!jsonFile.endsWith('.json') || !existsSync(jsonFile)) return false;
  try {
    return (
      (JSON.parse(readFileSync(jsonFile, 'utf8')) as { format?: string }).format === 'dinoscope-checkpoint'
    );
  } catch {
    return false;
  }
}

/** The checkpoints of a run folder (JSON files), oldest first. */
export function listCheckpointFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.startsWith(PREFIX) && name.endsWith('.json'))
    .sort()
    .map((name) => join(dir, name));
}

export function latestCheckpointFile(dir: string): string | null {
  return listCheckpointFiles(dir).at(-1) ?? null;
}

/** Deletes all but the newest `keep` checkpoints (JSON first, so none is ever half there). */
export function pruneCheckpoints(dir: string, keep: number): string[] {
  const files = listCheckpointFiles(dir);
  const removed = files.slice(0, Math.max(0, files.length - keep));
  for (const jsonFile of removed) {
    rmSync(jsonFile, { force: true });
    rmSync(jsonFile.replace(/\.json$/, '.safetensors'), { force: true });
  }
  return removed;
}
