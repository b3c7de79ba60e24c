import { existsSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type BackboneSession,
  loadOnnxRuntime,
  openBackboneSession,
  type SessionOptions,
} from '../engine/onnx-runtime.ts';
import { readSafetensors } from '../engine/safetensors.ts';
import { buildVitOnnx } from '../export/vit-onnx.ts';
import type { Db } from '../store/database.ts';
import { libraryDataFolder } from '../store/library-location.ts';
import { type ModelRecord, setModelOnnxPath } from '../store/models.ts';

/**
 * A library model ready to run: its ONNX graph (built from its weights on first use and cached
 * beside the library, recorded in `models.onnx_path`) in ONNX Runtime.
 */
export interface ModelBackbone extends BackboneSession {
  /** Which engine runs it, for progress and reports (`onnxruntime cpu`, …). */
  engine: string;
}

export type InferenceEngine = 'onnxruntime' | 'tfjs';

export async function openModelBackbone(
  db: Db,
  libraryFile: string,
  model: ModelRecord,
  options: SessionOptions & { size?: number; engine?: InferenceEngine } = {},
): Promise<ModelBackbone> {
  const size = options.size ?? model.config.embedSize ?? model.config.imgSize;
  if (!existsSync(model.weightsPath)) {
    throw new Error(
      `The weights of model "${model.name}" (${model.weightsPath}) are missing. Import or train it again, or delete it (\`dinoscope models delete ${model.id}\`).`,
    );
  }
  const engine = options.engine ?? preferredEngine();
  const tfjs = async (why: string | null) => {
    const { openTfjsBackbone } = await import('./tfjs-backbone.ts');
    const backbone = await openTfjsBackbone(model.config, readSafetensors(model.weightsPath).tensors, {
      height: size,
      width: size,
    });
    return why ? { ...backbone, engine: `${backbone.engine} (${why})` } : backbone;
  };
  if (engine === 'tfjs') return tfjs(null);
  const ort = await loadOnnxRuntime();
  if (ort instanceof Error) return tfjs(`fallback: ${ort.message}`);
  const onnxFile = await cachedOnnxGraph(db, libraryFile, model, size);
  let session: BackboneSession;
  try {
    session = await openBackboneSession(onnxFile, { height: size, width: size, ...model.config }, options);
  } catch (error) {
    return tfjs(`fallback: ${error instanceof Error ? error.message : String(error)}`);
  }
  return { ...session, engine: `onnxruntime ${session.executionProvider}` };
}

/** `DINOSCOPE_INFERENCE=tfjs` forces the tfjs forward (for comparisons); ONNX Runtime otherwise. */
function preferredEngine(): InferenceEngine {
  const value = process.env.DINOSCOPE_INFERENCE;
  if (value === undefined || value === '' || value === 'onnxruntime') return 'onnxruntime';
  if (value === 'tfjs') return 'tfjs';
  throw new Error(`DINOSCOPE_INFERENCE=${value}: use onnxruntime or tfjs.`);
}

/** The model's ONNX graph at `size`², rebuilt when missing or older than its weights. */
export async function cachedOnnxGraph(
  db: Db,
  libraryFile: string,
  model: ModelRecord,
  size: number,
): Promise<string> {
  const folder = join(libraryDataFolder(libraryFile), 'models');
  const file = join(folder, `model-${model.id}-${size}px.onnx`);
  const fresh = existsSync(file) && statSync(file).mtimeMs >= statSync(model.weightsPath).mtimeMs;
  if (!fresh) {
    const { tensors } = readSafetensors(model.weightsPath);
    mkdirSync(folder, { recursive: true });
    const temporary = `${file}.tmp-${process.pid}`;
    writeFileSync(temporary, buildVitOnnx(model.config, tensors, { height: size, width: size }));
    renameSync(temporary, file);
  }
  if (model.onnxPath !== file) setModelOnnxPath(db, model.id, file);
  return file;
}
