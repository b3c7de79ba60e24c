import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { NamedTensors } from '../engine/host-tensor.ts';
import { readSafetensors, writeSafetensors } from '../engine/safetensors.ts';
import { checkBackbone } from '../model/infer-vit-config.ts';
import { describeVit, isDinov2, type VitConfig } from '../model/vit-config.ts';
import { type ImportedWeights, type ImportOptions, importWeights } from '../model/weight-import.ts';
import type { Db } from '../store/database.ts';
import { libraryDataFolder } from '../store/library-location.ts';
import { addModel, deleteModel, getModel, listModels, type ModelRecord } from '../store/models.ts';
import { buildVitOnnx } from './vit-onnx.ts';

/**
 * Models in and out of a library: imported weights become a model (a row plus a safetensors
 * file with the official names in the library's data folder); a model leaves as safetensors
 * (loadable by the reference `VisionTransformer.load_state_dict`) or as an ONNX graph.
 */

export function modelsFolder(libraryFile: string): string {
  return join(libraryDataFolder(libraryFile), 'models');
}

/** safetensors metadata that lets any reader rebuild the architecture (all strings, as the format wants). */
export function backboneMetadata(config: VitConfig): Record<string, string> {
  return {
    format: 'pt',
    arch: describeVit(config),
    patch_size: String(config.patchSize),
    embed_dim: String(config.embedDim),
    depth: String(config.depth),
    num_heads: String(config.numHeads),
    mlp_ratio: String(config.mlpRatio),
    img_size: String(config.imgSize),
    ...(isDinov2(config)
      ? { num_register_tokens: String(config.registers ?? 0), layer_scale: String(!!config.layerScale) }
      : {}),
  };
}

export async function importModel(
  db: Db,
  libraryFile: string,
  file: string,
  options: ImportOptions & {
    name?: string;
    /** The name when none is given, made unique (default: the file name). */
    defaultName?: string;
    /** Throws when the weights are not what the caller expects (a catalogue entry's architecture). */
    check?: (imported: ImportedWeights) => void;
    /** Where the weights came from, recorded in the model's metadata (default: the file). */
    source?: string;
  } = {},
): Promise<{ model: ModelRecord; description: string }> {
  const imported = await importWeights(file, options);
  options.check?.(imported);
  const name = options.name ?? uniqueName(db, options.defaultName ?? basename(file, extname(file)));
  if (listModels(db).some((m) => m.name === name)) {
    throw new Error(`A model named "${name}" exists already: choose another with --name.`);
  }
  const folder = modelsFolder(libraryFile);
  mkdirSync(folder, { recursive: true });
  const weightsPath = join(folder, `imported-${Date.now()}-${slug(name)}.safetensors`);
  writeSafetensors(weightsPath, imported.backbone, {
    ...backboneMetadata(imported.config),
    source: options.source ?? resolve(file),
  });
  try {
    const model = addModel(db, {
      name,
      source: 'imported',
      config: imported.config,
      weightsPath,
      runId: null,
    });
    return { model, description: imported.description };
  } catch (error) {
    rmSync(weightsPath, { force: true });
    throw error;
  }
}

/** Deletes the model, its embeddings and everything computed from them, and the files dinoscope made for it. */
export function removeModel(db: Db, libraryFile: string, id: number): ModelRecord {
  const model = getModel(db, id);
  deleteModel(db, id);
  const folder = modelsFolder(libraryFile);
  // Only files in our own folder: a trained model's weights may belong to its run.
  const ours = (file: string | null) => file !== null && resolve(dirname(file)) === resolve(folder);
  if (ours(model.weightsPath)) rmSync(model.weightsPath, { force: true });
  if (existsSync(folder)) {
    for (const entry of readdirSync(folder)) {
      if (entry.startsWith(`model-${id}-`) && entry.endsWith('.onnx'))
        rmSync(join(folder, entry), { force: true });
    }
  }
  return model;
}

export type ModelExportFormat = 'onnx' | 'safetensors';

/**
 * Writes the model's backbone to `output`: safetensors with the official names, or an ONNX graph
 * for `size`² inputs (the model's own size by default).
 */
export function exportModel(
  model: ModelRecord,
  format: ModelExportFormat,
  output: string,
  options: { size?: number } = {},
): { file: string; bytes: number } {
  const { tensors } = readSafetensors(model.weightsPath);
  const backbone: NamedTensors = tensors;
  checkBackbone(backbone, model.config, model.weightsPath);
  mkdirSync(dirname(resolve(output)), { recursive: true });
  if (format === 'safetensors') {
    if (resolve(output) === resolve(model.weightsPath))
      throw new Error(`${output} is the model's own weights file: choose another output.`);
    // DINOv2's model holds an unused-at-inference mask_token: zeros let load_state_dict(strict=True) accept the file.
    const exported: NamedTensors = isDinov2(model.config)
      ? new Map([
          ...backbone,
          [
            'mask_token',
            { shape: [1, model.config.embedDim], data: new Float32Array(model.config.embedDim) },
          ],
        ])
      : backbone;
    writeSafetensors(output, exported, { ...backboneMetadata(model.config), name: model.name });
  } else if (format === 'onnx') {
    const size = options.size ?? model.config.imgSize;
    const temporary = `${output}.tmp-${process.pid}`;
    writeFileSync(temporary, buildVitOnnx(model.config, backbone, { height: size, width: size }));
    renameSync(temporary, output);
  } else {
    throw new Error(`Unknown model format "${format}": use onnx or safetensors.`);
  }
  return { file: output, bytes: statSync(output).size };
}

function uniqueName(db: Db, base: string): string {
  const taken = new Set(listModels(db).map((m) => m.name));
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) if (!taken.has(`${base} (${i})`)) return `${base} (${i})`;
}

function slug(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 60) || 'model';
}
