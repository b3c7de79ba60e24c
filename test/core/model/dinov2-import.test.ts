import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { HostTensor, NamedTensors } from '../../../core/engine/host-tensor.ts';
import { openBackboneSession } from '../../../core/engine/onnx-runtime.ts';
import { readSafetensors, writeSafetensors } from '../../../core/engine/safetensors.ts';
import { exportModel } from '../../../core/export/model-library.ts';
import { buildVitOnnx } from '../../../core/export/vit-onnx.ts';
import { backboneShapes } from '../../../core/model/infer-vit-config.ts';
import { describeVit } from '../../../core/model/vit-config.ts';
import { type ImportedWeights, importWeights } from '../../../core/model/weight-import.ts';

/**
 * DINOv2 backbones against the official dinov2 code: `test/fixtures/dinov2/` holds two tiny
 * DINOv2-shaped models saved by `torch.save(model.state_dict())` (without and with 4 registers)
 * and their outputs, written by `make_dinov2_fixture.py` from facebookresearch/dinov2.
 */
const fixtures = fileURLToPath(new URL('../../fixtures/dinov2/', import.meta.url));
const golden = readSafetensors(join(fixtures, 'tiny_dinov2_outputs.safetensors')).tensors;
const tensor = (name: string): HostTensor => {
  const found = golden.get(name);
  if (!found) throw new Error(`fixture tensor ${name} missing`);
  return found;
};

function maxDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/** The official names as Hugging Face's Dinov2Model (and Dinov2WithRegistersModel) spell them. */
function toHuggingFaceDinov2(backbone: NamedTensors): NamedTensors {
  const out: NamedTensors = new Map();
  for (const [name, value] of backbone) {
    const qkv = /^blocks\.(\d+)\.attn\.qkv\.(weight|bias)$/.exec(name);
    if (qkv) {
      const third = value.data.length / 3;
      for (const [i, part] of ['query', 'key', 'value'].entries()) {
        out.set(`encoder.layer.${qkv[1]}.attention.attention.${part}.${qkv[2]}`, {
          shape: [value.shape[0] / 3, ...value.shape.slice(1)],
          data: value.data.slice(i * third, (i + 1) * third),
        });
      }
      continue;
    }
    const hf = name
      .replace(/^cls_token$/, 'embeddings.cls_token')
      .replace(/^register_tokens$/, 'embeddings.register_tokens')
      .replace(/^pos_embed$/, 'embeddings.position_embeddings')
      .replace(/^patch_embed\.proj\./, 'embeddings.patch_embeddings.projection.')
      .replace(/^blocks\.(\d+)\.attn\.proj\./, 'encoder.layer.$1.attention.output.dense.')
      .replace(/^blocks\.(\d+)\.ls1\.gamma$/, 'encoder.layer.$1.layer_scale1.lambda1')
      .replace(/^blocks\.(\d+)\.ls2\.gamma$/, 'encoder.layer.$1.layer_scale2.lambda1')
      .replace(/^blocks\.(\d+)\./, 'encoder.layer.$1.')
      .replace(/^norm\./, 'layernorm.');
    out.set(hf, value);
  }
  const d = backbone.get('cls_token')?.shape[2] ?? 0;
  out.set('embeddings.mask_token', { shape: [1, d], data: new Float32Array(d) });
  return out;
}

describe.each([
  { tag: 'plain', file: 'tiny_dinov2_pretrain.pth', registers: 0 },
  { tag: 'reg4', file: 'tiny_dinov2_reg4_pretrain.pth', registers: 4 },
])('a DINOv2 backbone ($tag) from the official code', ({ tag, file, registers }) => {
  let imported: ImportedWeights;
  beforeAll(async () => {
    imported = await importWeights(join(fixtures, file), { numHeads: 3 });
  });

  it('imports from the published .pth layout: patch 14, LayerScale, registers, mask_token left out', () => {
    expect(imported.config).toEqual({
      patchSize: 14,
      embedDim: 48,
      depth: 2,
      numHeads: 3,
      mlpRatio: 4,
      imgSize: 70,
      layerScale: true,
      registers,
      embedSize: 224,
    });
    expect([...imported.backbone.keys()].sort()).toEqual([...backboneShapes(imported.config).keys()].sort());
    expect(imported.description).toContain('ignoring mask_token');
    expect(describeVit(imported.config)).toMatch(/^dinov2 /);
  });

  it('computes through ONNX Runtime what dinov2 computes: CLS at 70 px and 42×56, attention without registers', async () => {
    for (const [height, width, input, expected] of [
      [70, 70, 'input_70', `${tag}_cls_70`],
      [42, 56, 'input_42x56', `${tag}_cls_42x56`],
    ] as const) {
      const pixels = tensor(input);
      const batch = pixels.shape[0];
      const session = await openBackboneSession(
        buildVitOnnx(imported.config, imported.backbone, { height, width }),
        { height, width, ...imported.config },
      );
      try {
        const { cls, lastAttention } = await session.forward(pixels.data, batch);
        expect(maxDifference(cls, tensor(expected).data), `${expected}`).toBeLessThan(1e-4);
        if (height !== 70) continue;
        // The reference's attention spans [CLS, registers, patches]; ours leaves the registers out.
        const reference = tensor(`${tag}_attention_70`);
        const all = reference.shape[3];
        const kept = [0, ...Array.from({ length: 25 }, (_, i) => 1 + registers + i)];
        const expectedAttention = new Float32Array(batch * 3 * 26 * 26);
        let at = 0;
        for (let b = 0; b < batch; b++)
          for (let h = 0; h < 3; h++)
            for (const row of kept)
              for (const column of kept)
                expectedAttention[at++] = reference.data[((b * 3 + h) * all + row) * all + column];
        expect(maxDifference(lastAttention, expectedAttention)).toBeLessThan(1e-5);
      } finally {
        await session.release();
      }
    }
  });

  it('reads chunked blocks (blocks.<chunk>.<index>., as dinov2 writes with block_chunks > 0)', async () => {
    const chunked: NamedTensors = new Map();
    for (const [name, value] of imported.backbone)
      chunked.set(name.replace(/^blocks\.(\d+)\./, 'blocks.0.$1.'), value);
    const file = join(mkdtempSync(join(tmpdir(), 'dinov2-chunks-')), 'chunked.safetensors');
    writeSafetensors(file, chunked);
    const back = await importWeights(file, { numHeads: 3 });
    expect(back.config).toEqual(imported.config);
    expect([...back.backbone.keys()].sort()).toEqual([...imported.backbone.keys()].sort());
  });

  it('exports as safetensors the official dinov2 state dict (mask_token included) and reads it back', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'dinov2-export-'));
    const weightsPath = join(folder, 'library-copy.safetensors');
    writeSafetensors(weightsPath, imported.backbone);
    const model = {
      id: 1,
      name: tag,
      source: 'imported' as const,
      config: imported.config,
      weightsPath,
      onnxPath: null,
      runId: null,
      createdAt: 0,
    };
    const output = join(folder, 'exported.safetensors');
    exportModel(model, 'safetensors', output);
    const { tensors, metadata } = readSafetensors(output);
    const official = (await importWeights(join(fixtures, file), { numHeads: 3 })).backbone;
    expect([...tensors.keys()].sort()).toEqual([...official.keys(), 'mask_token'].sort());
    expect(metadata).toMatchObject({
      num_register_tokens: String(registers),
      layer_scale: 'true',
      patch_size: '14',
    });
    const back = await importWeights(output);
    expect(back.config).toEqual({ ...imported.config, numHeads: 3 });
  });

  it('reads the same backbone from Hugging Face Dinov2Model names', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'dinov2-hf-'));
    const file = join(folder, 'model.safetensors');
    writeSafetensors(file, toHuggingFaceDinov2(imported.backbone));
    const fromHf = await importWeights(file, { numHeads: 3 });
    expect(fromHf.config).toEqual(imported.config);
    expect(fromHf.description).toContain('Dinov2Model');
    for (const [name, value] of imported.backbone) {
      expect(fromHf.backbone.get(name)?.shape, name).toEqual(value.shape);
      expect(maxDifference(fromHf.backbone.get(name)?.data ?? new Float32Array(), value.data), name).toBe(0);
    }
  });
});
