import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { NamedTensors } from '../engine/host-tensor.ts';
import { readSafetensors } from '../engine/safetensors.ts';
import { fromHuggingFaceVit, isHuggingFaceVit } from './hf-vit-names.ts';
import { checkBackbone, inferVitConfig } from './infer-vit-config.ts';
import { openPytorchCheckpoint, sniffFile, TorchTensorRef } from './pytorch-checkpoint.ts';
import { PythonObject } from './pytorch-pickle.ts';
import { describeVit, type VitConfig } from './vit-config.ts';

/**
 * Published DINO weights as people download them, into a backbone with the official names:
 * - PyTorch `.pth`: backbone-only state dicts (`dino_deitsmall16_pretrain.pth`) and full training
 *   checkpoints (`student` with a `module.` prefix, `teacher`, optimizer, args…), of which we take
 *   the teacher, as DINO's own evaluation does;
 * - DINOv2 backbones (`dinov2_vits14_pretrain.pth`, with or without registers);
 * - safetensors with the official names, with Hugging Face `ViTModel` or `Dinov2Model` names, or
 *   a dinoscope training state (`teacher.backbone.…`).
 * The architecture comes from the shapes; anything else is an error naming the file and tensor.
 */
export interface ImportedWeights {
  config: VitConfig;
  backbone: NamedTensors;
  /** The DINO projection head (`mlp.0.weight`, …, `last_layer.weight_v`) when the file has one. */
  head: NamedTensors | null;
  /** One line for people: what was found and where it came from. */
  description: string;
}

export interface ImportOptions {
  /** Attention heads, when the shapes cannot tell (any width other than 64 per head). */
  numHeads?: number;
  /** Which network of a full training checkpoint: the teacher (default, as DINO evaluates) or the student. */
  network?: 'teacher' | 'student';
}

export async function importWeights(given: string, options: ImportOptions = {}): Promise<ImportedWeights> {
  if (!existsSync(given)) throw new Error(`${given}: no such file.`);
  const file = statSync(given).isDirectory() ? weightsInFolder(given) : given;
  const kind = sniffFile(file);
  const found =
    kind === 'safetensors'
      ? readSafetensorsWeights(file, options)
      : kind === 'pytorch-zip' || kind === 'pytorch-legacy'
        ? await readPytorchWeights(file, options)
        : null;
  if (!found) {
    throw new Error(
      `${file} is neither a PyTorch checkpoint (.pth) nor a safetensors file: dinoscope imports DINO ViT weights in those formats.`,
    );
  }
  const source = basename(file);
  const config = inferVitConfig(new Map([...found.backbone].map(([name, t]) => [name, t.shape])), source, {
    numHeads: options.numHeads ?? found.numHeads,
  });
  checkBackbone(found.backbone, config, source);
  if (found.head) checkHead(found.head, config, source);
  const parts = [`${describeVit(config)} ${found.what} from ${source}`];
  if (found.head)
    parts.push(`with its DINO head (${found.head.get('last_layer.weight_v')?.shape[0]} outputs)`);
  if (found.note) parts.push(found.note);
  return { config, backbone: found.backbone, head: found.head, description: parts.join(', ') };
}

interface FoundWeights {
  backbone: NamedTensors;
  head: NamedTensors | null;
  what: string;
  numHeads?: number;
  note?: string;
}

async function readPytorchWeights(file: string, options: ImportOptions): Promise<FoundWeights> {
  const checkpoint = await openPytorchCheckpoint(file);
  try {
    const source = basename(file);
    const root = checkpoint.root;
    if (!(root instanceof Map)) {
      throw new Error(
        `${source} holds a ${root === null ? 'None' : typeof root}, not a state dict or DINO checkpoint.`,
      );
    }
    let stateDict: Map<unknown, unknown> = root;
    let what = 'backbone';
    const notes: string[] = [];
    const network = options.network ?? 'teacher';
    if (root.has('teacher') || root.has('student')) {
      const chosen = root.get(network);
      if (!(chosen instanceof Map)) throw new Error(`${source}: this training checkpoint has no ${network}.`);
      stateDict = chosen;
      what = `${network} backbone`;
      const epoch = root.get('epoch');
      if (typeof epoch === 'number') notes.push(`epoch ${epoch}`);
    } else {
      for (const key of ['state_dict', 'model']) {
        const inner = root.get(key);
        if (inner instanceof Map) stateDict = inner;
      }
    }
    const args = root.get('args');
    const arch =
      args instanceof PythonObject && args.state instanceof Map ? args.state.get('arch') : undefined;
    if (typeof arch === 'string') notes.push(`trained as ${arch}`);

    const tensors = new Map<string, TorchTensorRef>();
    for (const [key, value] of stateDict) {
      if (typeof key !== 'string')
        throw new Error(`${source}: a state-dict key that is not a name (${String(key)}).`);
      if (!(value instanceof TorchTensorRef)) {
        throw new Error(`${source}: ${key} is not a tensor, so this is not a plain state dict.`);
      }
      tensors.set(key, value);
    }
    const read = async (refs: Map<string, TorchTensorRef>) => {
      const out: NamedTensors = new Map();
      for (const [name, ref] of refs) out.set(name, await checkpoint.readTensor(ref, name));
      return out;
    };
    if (isHuggingFaceVit(tensors.keys())) {
      // A Hugging Face `pytorch_model.bin`: a torch.save zip with ViTModel names.
      const { backbone, dropped } = fromHuggingFaceVit(await read(tensors), source);
      return {
        backbone,
        head: null,
        what: huggingFaceWhat(backbone),
        numHeads: huggingFaceHeads(file),
        note: ignoring(dropped),
      };
    }
    const { backbone: backboneRefs, head: headRefs, dropped } = splitBackboneAndHead(tensors);
    const backbone = await read(backboneRefs);
    const head = headRefs.size > 0 ? await read(headRefs) : null;
    const ignored = ignoring(dropped);
    if (ignored) notes.push(ignored);
    return { backbone, head, what, note: notes.join(', ') || undefined };
  } finally {
    checkpoint.close();
  }
}

function readSafetensorsWeights(file: string, options: ImportOptions): FoundWeights {
  const source = basename(file);
  const { tensors, metadata } = readSafetensors(file);
  const numHeads = Number(metadata.num_heads) || huggingFaceHeads(file) || undefined;
  if (isHuggingFaceVit(tensors.keys())) {
    const { backbone, dropped } = fromHuggingFaceVit(tensors, source);
    return {
      backbone,
      head: null,
      what: huggingFaceWhat(backbone),
      numHeads,
      note: ignoring(dropped),
    };
  }
  // A dinoscope training state holds student, teacher and optimizer: take the chosen network.
  const network = options.network ?? 'teacher';
  if ([...tensors.keys()].some((name) => name.startsWith(`${network}.backbone.`))) {
    const chosen: NamedTensors = new Map();
    for (const [name, tensor] of tensors) {
      if (name.startsWith(`${network}.`)) chosen.set(name.slice(network.length + 1), tensor);
    }
    const { backbone, head, dropped } = splitBackboneAndHead(chosen);
    return {
      backbone,
      head: head.size > 0 ? head : null,
      what: `${network} backbone`,
      numHeads,
      note: ignoring(dropped),
    };
  }
  const { backbone, head, dropped } = splitBackboneAndHead(tensors);
  return { backbone, head: head.size > 0 ? head : null, what: 'backbone', numHeads, note: ignoring(dropped) };
}

/**
 * `module.` (distributed wrapper) goes; `backbone.` and `head.` split the MultiCropWrapper.
 * DINOv2 names are brought to one layout: its training-only `mask_token` is dropped, and
 * chunked blocks (`blocks.<chunk>.<index>.…`, written with `block_chunks` > 0) are numbered flat.
 */
function splitBackboneAndHead<T>(tensors: Map<string, T>): {
  backbone: Map<string, T>;
  head: Map<string, T>;
  dropped: string[];
} {
  const backbone = new Map<string, T>();
  const head = new Map<string, T>();
  const dropped: string[] = [];
  for (const [fullName, tensor] of tensors) {
    const name = fullName.replace(/^module\./, '');
    if (name.startsWith('head.')) head.set(name.slice('head.'.length), tensor);
    else {
      const inner = name.replace(/^backbone\./, '').replace(/^blocks\.\d+\.(\d+)\./, 'blocks.$1.');
      if (inner === 'mask_token') dropped.push(fullName);
      else backbone.set(inner, tensor);
    }
  }
  return { backbone, head, dropped };
}

const ignoring = (dropped: string[]) => (dropped.length > 0 ? `ignoring ${dropped.join(', ')}` : undefined);

/** A DINOHead: Linear layers `mlp.N` from the backbone width, then the weight-normed last layer. */
function checkHead(head: NamedTensors, config: VitConfig, source: string): void {
  for (const [name, tensor] of head) {
    if (!/^(mlp\.\d+\.(weight|bias)|last_layer\.weight_[gv])$/.test(name)) {
      throw new Error(`${source}: unexpected tensor head.${name}: not part of a DINO head.`);
    }
    if (name === 'mlp.0.weight' && tensor.shape[1] !== config.embedDim) {
      throw new Error(
        `${source}: head.mlp.0.weight has shape [${tensor.shape}], expected [hidden, ${config.embedDim}] to match the backbone.`,
      );
    }
  }
  for (const name of ['last_layer.weight_g', 'last_layer.weight_v']) {
    if (!head.has(name)) throw new Error(`${source}: missing tensor head.${name} of the DINO head.`);
  }
}

function huggingFaceWhat(backbone: NamedTensors): string {
  return backbone.has('blocks.0.ls1.gamma')
    ? 'backbone (Hugging Face Dinov2Model names)'
    : 'backbone (Hugging Face ViTModel names)';
}

/** A downloaded Hugging Face model folder: its weights file (safetensors preferred). */
function weightsInFolder(folder: string): string {
  for (const name of ['model.safetensors', 'pytorch_model.bin']) {
    if (existsSync(join(folder, name))) return join(folder, name);
  }
  throw new Error(
    `${folder} is a folder without model.safetensors or pytorch_model.bin: give the weights file itself.`,
  );
}

/** `num_attention_heads` from the `config.json` Hugging Face keeps beside its weights. */
function huggingFaceHeads(file: string): number | undefined {
  const configFile = join(dirname(file), 'config.json');
  if (!existsSync(configFile)) return undefined;
  try {
    const heads = (JSON.parse(readFileSync(configFile, 'utf8')) as { num_attention_heads?: unknown })
      .num_attention_heads;
    return typeof heads === 'number' ? heads : undefined;
  } catch {
    return undefined;
  }
}
