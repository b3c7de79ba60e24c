import { existsSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BackboneSession } from '../engine/onnx-runtime.ts';
import { loadAttention, saveAttention } from '../store/attention-maps.ts';
import type { Db } from '../store/database.ts';
import { libraryDataFolder } from '../store/library-location.ts';
import { type ModelRecord, resolveModel } from '../store/models.ts';
import { IMAGENET_MEAN, IMAGENET_STD } from './preprocess.ts';

/**
 * What a model looks at in a photo: the last block's self-attention of the class token over the
 * patches, per head, as the reference `visualize_attention.py` shows it. The photo is read from
 * its original file (orientation applied) at a readable size, not the 224-px training view:
 * long side `longSide`, each side a multiple of the patch size (no crop; the aspect changes by
 * less than half a patch). Computed with the model's ONNX graph in ONNX Runtime, or the tfjs ViT
 * where ONNX Runtime cannot load, and cached per photo, model and size.
 */
export interface AttentionOptions {
  /** Model id or name; default the newest. */
  model?: string | number;
  /** Model input long side in pixels (rounded to a multiple of the patch size). */
  longSide?: number;
  /** Recompute even when cached. */
  force?: boolean;
}

/** 480 px: large enough to read a photo's detail, still a fraction of a second for a ViT-S/16. */
export const DEFAULT_ATTENTION_LONG_SIDE = 480;

export interface AttentionMaps {
  /** The library's image id, or null for a file outside the library (then nothing is cached). */
  imageId: number | null;
  path: string;
  model: { id: number; name: string };
  patchSize: number;
  gridWidth: number;
  gridHeight: number;
  /** The model input the grid covers: the photo resized to it. */
  inputWidth: number;
  inputHeight: number;
  /** Per head, gridHeight × gridWidth row-major, the class token's attention to each patch, summing to 1. */
  heads: Float32Array[];
  /** Mean over heads, summing to 1. */
  mean: Float32Array;
  /** Who computed it (`onnxruntime cpu`, `tfjs wasm`), or `cache`. */
  engine: string;
}

/** The photo as the model sees it for attention maps: RGB bytes at the input size. */
export interface AttentionInput {
  width: number;
  height: number;
  rgb: Uint8Array;
}

export async function computeAttention(
  db: Db,
  libraryFile: string,
  image: string | number,
  options: AttentionOptions = {},
): Promise<AttentionMaps> {
  const model = resolveModel(db, options.model);
  const photo = findPhoto(db, image);
  const longSide = options.longSide ?? DEFAULT_ATTENTION_LONG_SIDE;
  const modelRef = { id: model.id, name: model.name };
  const p = model.config.patchSize;
  if (photo.imageId !== null && !options.force) {
    const cached = loadAttention(db, model.id, photo.imageId, longSide);
    if (cached && cached.imageHash === photo.hash) {
      const { width, height } = await inputSize(photo.path, longSide, p);
      return fromAttention(cached.attention, cached.heads, cached.gridWidth, cached.gridHeight, {
        imageId: photo.imageId,
        path: photo.path,
        model: modelRef,
        patchSize: p,
        inputWidth: width,
        inputHeight: height,
        engine: 'cache',
      });
    }
  }
  const input = await readAttentionInput(photo.path, longSide, p);
  const gridWidth = input.width / p;
  const gridHeight = input.height / p;
  const { lastAttention, heads, engine } = await runBackbone(libraryFile, model, input);
  // Row 0 of each head (the class token as query), columns 1… (the patches).
  const tokens = 1 + gridWidth * gridHeight;
  const cls = new Float32Array(heads * (tokens - 1));
  for (let h = 0; h < heads; h++) {
    cls.set(lastAttention.subarray(h * tokens * tokens + 1, h * tokens * tokens + tokens), h * (tokens - 1));
  }
  if (photo.imageId !== null) {
    saveAttention(db, {
      modelId: model.id,
      imageId: photo.imageId,
      longSide,
      imageHash: photo.hash,
      gridWidth,
      gridHeight,
      heads,
      attention: cls,
    });
  }
  return fromAttention(cls, heads, gridWidth, gridHeight, {
    imageId: photo.imageId,
    path: photo.path,
    model: modelRef,
    patchSize: p,
    inputWidth: input.width,
    inputHeight: input.height,
    engine,
  });
}

function fromAttention(
  cls: Float32Array,
  heads: number,
  gridWidth: number,
  gridHeight: number,
  rest: Omit<AttentionMaps, 'heads' | 'mean' | 'gridWidth' | 'gridHeight'>,
): AttentionMaps {
  const patches = gridWidth * gridHeight;
  const perHead: Float32Array[] = [];
  const mean = new Float32Array(patches);
  for (let h = 0; h < heads; h++) {
    const values = cls.slice(h * patches, (h + 1) * patches);
    let sum = 0;
    for (const v of values) sum += v;
    for (let i = 0; i < patches; i++) {
      values[i] = sum > 0 ? values[i] / sum : 1 / patches;
      mean[i] += values[i] / heads;
    }
    perHead.push(values);
  }
  return { ...rest, gridWidth, gridHeight, heads: perHead, mean };
}

interface Photo {
  imageId: number | null;
  path: string;
  hash: string | null;
}

/** A library photo by id or path; else any image file on disk (not cached). */
function findPhoto(db: Db, image: string | number): Photo {
  const select = 'SELECT id AS imageId, path, hash FROM images';
  if (typeof image === 'number' || (/^\d+$/.test(image) && !existsSync(image))) {
    const row = db.prepare(`${select} WHERE id = ?`).get(Number(image)) as Photo | undefined;
    if (!row) throw new Error(`No image with id ${image} in the library.`);
    return row;
  }
  const absolute = resolve(image);
  const row = db.prepare(`${select} WHERE path = ?`).get(absolute) as Photo | undefined;
  if (row) return row;
  if (!existsSync(absolute)) throw new Error(`${absolute} does not exist.`);
  return { imageId: null, path: absolute, hash: null };
}

/** The input size for a photo: long side `longSide`, both sides multiples of the patch. */
async function inputSize(
  path: string,
  longSide: number,
  patch: number,
): Promise<{ width: number; height: number }> {
  const { default: sharp } = await import('sharp');
  let metadata: { width?: number; height?: number; orientation?: number };
  try {
    metadata = await sharp(path).metadata();
  } catch (error) {
    throw new Error(
      `${path} cannot be read as an image (${error instanceof Error ? error.message : String(error)}). Rescan the library if the file changed.`,
    );
  }
  if (!metadata.width || !metadata.height) throw new Error(`${path} has no image size.`);
  const rotated = (metadata.orientation ?? 1) >= 5;
  const width = rotated ? metadata.height : metadata.width;
  const height = rotated ? metadata.width : metadata.height;
  const side = Math.max(patch, Math.round(longSide / patch) * patch);
  const scale = side / Math.max(width, height);
  return {
    width: Math.max(patch, Math.round((width * scale) / patch) * patch),
    height: Math.max(patch, Math.round((height * scale) / patch) * patch),
  };
}

/** The original photo, EXIF orientation applied, resized to the attention input size, as RGB bytes. */
export async function readAttentionInput(
  path: string,
  longSide: number,
  patch: number,
): Promise<AttentionInput> {
  const { default: sharp } = await import('sharp');
  const { width, height } = await inputSize(path, longSide, patch);
  const { data, info } = await sharp(path)
    .rotate()
    .resize(width, height, { fit: 'fill', kernel: 'cubic' })
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`${path}: expected 3 colour channels, got ${info.channels}.`);
  return { width, height, rgb: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/** ImageNet-normalised NCHW pixels, batch 1. */
function normalisedPixels(input: AttentionInput): Float32Array {
  const plane = input.width * input.height;
  const pixels = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) {
      pixels[c * plane + i] = (input.rgb[i * 3 + c] / 255 - IMAGENET_MEAN[c]) / IMAGENET_STD[c];
    }
  }
  return pixels;
}

async function runBackbone(
  libraryFile: string,
  model: ModelRecord,
  input: AttentionInput,
): Promise<{ lastAttention: Float32Array; heads: number; engine: string }> {
  if (!existsSync(model.weightsPath)) {
    throw new Error(
      `The weights of model "${model.name}" (${model.weightsPath}) are missing. Import or train it again, or delete it (\`dinoscope models delete ${model.id}\`).`,
    );
  }
  const pixels = normalisedPixels(input);
  const session = await openSession(libraryFile, model, input.width, input.height);
  try {
    const { lastAttention } = await session.forward(pixels, 1);
    return { lastAttention, heads: session.numHeads, engine: session.engine };
  } finally {
    await session.release();
  }
}

/** ONNX Runtime with the model's graph at this input size; the tfjs ViT where ONNX Runtime cannot load. */
async function openSession(
  libraryFile: string,
  model: ModelRecord,
  width: number,
  height: number,
): Promise<BackboneSession & { engine: string }> {
  const { loadOnnxRuntime, openBackboneSession } = await import('../engine/onnx-runtime.ts');
  const ort = await loadOnnxRuntime();
  if (!(ort instanceof Error)) {
    const file = await attentionGraph(libraryFile, model, width, height);
    const session = await openBackboneSession(file, { width, height, ...model.config });
    return { ...session, engine: `onnxruntime ${session.executionProvider}` };
  }
  const { readSafetensors } = await import('../engine/safetensors.ts');
  const { openTfjsBackbone } = await import('./tfjs-backbone.ts');
  return openTfjsBackbone(model.config, readSafetensors(model.weightsPath).tensors, { width, height });
}

/**
 * The model's ONNX graph for one input size (position embeddings are interpolated when the graph
 * is built), cached beside the library; photos share a handful of aspect ratios, so of sizes.
 */
async function attentionGraph(libraryFile: string, model: ModelRecord, width: number, height: number) {
  const folder = join(libraryDataFolder(libraryFile), 'models');
  const file = join(folder, `model-${model.id}-${width}x${height}.onnx`);
  if (existsSync(file) && statSync(file).mtimeMs >= statSync(model.weightsPath).mtimeMs) return file;
  const { readSafetensors } = await import('../engine/safetensors.ts');
  const { buildVitOnnx } = await import('../export/vit-onnx.ts');
  const { tensors } = readSafetensors(model.weightsPath);
  mkdirSync(folder, { recursive: true });
  const temporary = `${file}.tmp-${process.pid}`;
  writeFileSync(temporary, buildVitOnnx(model.config, tensors, { height, width }));
  renameSync(temporary, file);
  return file;
}
