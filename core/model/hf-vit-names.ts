import type { HostTensor, NamedTensors } from '../engine/host-tensor.ts';

/**
 * Hugging Face `ViTModel` weights (`facebook/dino-vits16` and friends) and `Dinov2Model` /
 * `Dinov2WithRegistersModel` weights (`facebook/dinov2-small`, …) under the official DINO and
 * DINOv2 names. The layers are the same; HF keeps query, key and value as three Linear layers
 * where DINO has one `qkv` (rows: all of q, then k, then v; heads contiguous inside each).
 */

const SINGLE_NAMES: [RegExp, string][] = [
  [/^embeddings\.cls_token$/, 'cls_token'],
  [/^embeddings\.position_embeddings$/, 'pos_embed'],
  [/^embeddings\.patch_embeddings\.projection\.(weight|bias)$/, 'patch_embed.proj.$1'],
  [/^encoder\.layer\.(\d+)\.layernorm_before\.(weight|bias)$/, 'blocks.$1.norm1.$2'],
  [/^encoder\.layer\.(\d+)\.attention\.output\.dense\.(weight|bias)$/, 'blocks.$1.attn.proj.$2'],
  [/^encoder\.layer\.(\d+)\.layernorm_after\.(weight|bias)$/, 'blocks.$1.norm2.$2'],
  [/^encoder\.layer\.(\d+)\.intermediate\.dense\.(weight|bias)$/, 'blocks.$1.mlp.fc1.$2'],
  [/^encoder\.layer\.(\d+)\.output\.dense\.(weight|bias)$/, 'blocks.$1.mlp.fc2.$2'],
  [/^layernorm\.(weight|bias)$/, 'norm.$1'],
  // Dinov2Model: pre-norms named as in the official code, LayerScale, registers.
  [/^embeddings\.register_tokens$/, 'register_tokens'],
  [/^encoder\.layer\.(\d+)\.(norm1|norm2)\.(weight|bias)$/, 'blocks.$1.$2.$3'],
  [/^encoder\.layer\.(\d+)\.mlp\.(fc1|fc2)\.(weight|bias)$/, 'blocks.$1.mlp.$2.$3'],
  [/^encoder\.layer\.(\d+)\.layer_scale1\.lambda1$/, 'blocks.$1.ls1.gamma'],
  [/^encoder\.layer\.(\d+)\.layer_scale2\.lambda1$/, 'blocks.$1.ls2.gamma'],
];
const QKV = /^encoder\.layer\.(\d+)\.attention\.attention\.(query|key|value)\.(weight|bias)$/;
/** Parts of a HF checkpoint that are not the backbone DINO embeds with. */
const NOT_BACKBONE = /^(pooler\.|classifier\.|embeddings\.mask_token$)/;

/** The prefix a task model (`ViTForImageClassification`, `Dinov2ForImageClassification`) puts on the backbone. */
const MODEL_PREFIX = /^(vit|dinov2)\./;

/** True when the names are HF ViT or Dinov2 names (with or without a `vit.`/`dinov2.` prefix). */
export function isHuggingFaceVit(names: Iterable<string>): boolean {
  for (const name of names) if (/^((vit|dinov2)\.)?embeddings\.cls_token$/.test(name)) return true;
  return false;
}

/** Renames HF ViT tensors to the official names; returns them and the names it left out. */
export function fromHuggingFaceVit(
  tensors: NamedTensors,
  source: string,
): { backbone: NamedTensors; dropped: string[] } {
  const backbone: NamedTensors = new Map();
  const parts = new Map<string, Partial<Record<'query' | 'key' | 'value', HostTensor>>>();
  const dropped: string[] = [];
  for (const [fullName, tensor] of tensors) {
    const name = fullName.replace(MODEL_PREFIX, '');
    if (NOT_BACKBONE.test(name)) {
      dropped.push(fullName);
      continue;
    }
    const qkv = QKV.exec(name);
    if (qkv) {
      const key = `blocks.${qkv[1]}.attn.qkv.${qkv[3]}`;
      const entry = parts.get(key) ?? {};
      entry[qkv[2] as 'query' | 'key' | 'value'] = tensor;
      parts.set(key, entry);
      continue;
    }
    const rule = SINGLE_NAMES.find(([pattern]) => pattern.test(name));
    if (!rule) {
      throw new Error(
        `${source}: unexpected tensor ${fullName}: not part of a Hugging Face ViTModel or Dinov2Model backbone` +
          (/\.mlp\.weights_(in|out)\./.test(name)
            ? ' that dinoscope runs (SwiGLU MLPs, as in ViT-g, are not supported).'
            : '.'),
      );
    }
    backbone.set(name.replace(rule[0], rule[1]), tensor);
  }
  for (const [key, { query, key: k, value }] of parts) {
    const hfName = (part: string) =>
      key.replace(/^blocks\.(\d+)\.attn\.qkv\./, `encoder.layer.$1.attention.attention.${part}.`);
    if (!query || !k || !value) {
      const missing = !query ? 'query' : !k ? 'key' : 'value';
      throw new Error(`${source}: missing tensor ${hfName(missing)}.`);
    }
    if (query.shape.join() !== k.shape.join() || query.shape.join() !== value.shape.join()) {
      throw new Error(
        `${source}: ${hfName('query')}, key and value differ in shape ([${query.shape}], [${k.shape}], [${value.shape}]).`,
      );
    }
    const data = new Float32Array(query.data.length * 3);
    data.set(query.data, 0);
    data.set(k.data, query.data.length);
    data.set(value.data, 2 * query.data.length);
    backbone.set(key, { shape: [query.shape[0] * 3, ...query.shape.slice(1)], data });
  }
  return { backbone, dropped };
}
