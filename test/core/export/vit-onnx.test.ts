import { describe, expect, it } from 'vitest';
import { openBackboneSession } from '../../../core/engine/onnx-runtime.ts';
import { readSafetensors } from '../../../core/engine/safetensors.ts';
import { parseOnnxModel } from '../../../core/export/onnx-builder.ts';
import { buildVitOnnx } from '../../../core/export/vit-onnx.ts';
import { importWeights } from '../../../core/model/weight-import.ts';
import { hasShared, sharedPath } from '../../shared-fixtures.ts';

const maxDifference = (a: Float32Array, b: Float32Array) => {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
};

describe.skipIf(!hasShared)('the ONNX backbone graph against the reference', () => {
  it('reproduces vit_forward: CLS and last attention at 32×32, 16×16 and 24×40', async () => {
    const { tensors, metadata } = readSafetensors(
      sharedPath('fixtures/dino-reference/vit_forward.safetensors'),
    );
    const weights = new Map(
      [...tensors].filter(([name]) => name.startsWith('weights.')).map(([name, t]) => [name.slice(8), t]),
    );
    const config = {
      patchSize: Number(metadata.patch_size),
      embedDim: Number(metadata.embed_dim),
      depth: Number(metadata.depth),
      numHeads: Number(metadata.num_heads),
      mlpRatio: Number(metadata.mlp_ratio),
      imgSize: Number(metadata.img_size),
    };
    for (const [key, height, width] of [
      ['x32', 32, 32],
      ['x16', 16, 16],
      ['x24x40', 24, 40],
    ] as const) {
      const model = buildVitOnnx(config, weights, { height, width });
      const session = await openBackboneSession(model, { height, width, ...config });
      const input = tensors.get(`input.${key}`);
      if (!input) throw new Error(`fixture input.${key} missing`);
      const { cls, lastAttention } = await session.forward(input.data, input.shape[0]);
      expect(maxDifference(cls, tensors.get(`output.cls.${key}`)?.data ?? new Float32Array())).toBeLessThan(
        1e-4,
      );
      const attention = tensors.get(`output.lastattn.${key}`);
      if (attention) {
        expect(session.tokens).toBe(attention.shape[2]);
        expect(maxDifference(lastAttention, attention.data)).toBeLessThan(1e-4);
      }
      await session.release();
    }
  });

  it('reproduces the published-layout .pth outputs: teacher at 224 and 160 px, student at 224', async () => {
    const { tensors } = readSafetensors(
      sharedPath('fixtures/dino-checkpoints/checkpoint_outputs.safetensors'),
    );
    const cases = [
      ['tiny_backbone_pretrain.pth', 'teacher', 224],
      ['tiny_full_checkpoint.pth', 'teacher', 160],
      ['tiny_full_checkpoint.pth', 'student', 224],
    ] as const;
    for (const [file, network, size] of cases) {
      const weights = await importWeights(sharedPath(`fixtures/dino-checkpoints/${file}`), {
        numHeads: 3,
        network,
      });
      const model = buildVitOnnx(weights.config, weights.backbone, { height: size, width: size });
      const session = await openBackboneSession(model, { height: size, width: size, ...weights.config });
      const input = tensors.get(`input.x${size}`);
      if (!input) throw new Error(`fixture input.x${size} missing`);
      const cls = await session.embed(input.data, input.shape[0]);
      const expected = tensors.get(`${network}_backbone.cls.x${size}`)?.data ?? new Float32Array();
      expect(maxDifference(cls, expected), `${file} ${network} ${size}`).toBeLessThan(1e-4);
      await session.release();
    }
  });
});

describe('buildVitOnnx', () => {
  it('uses only default-domain operators, declares a dynamic batch, and refuses sizes off the patch grid', () => {
    const config = { patchSize: 4, embedDim: 8, depth: 1, numHeads: 2, mlpRatio: 2, imgSize: 8 };
    const weights = new Map<string, { shape: number[]; data: Float32Array }>();
    const add = (name: string, shape: number[]) =>
      weights.set(name, { shape, data: new Float32Array(shape.reduce((n, d) => n * d, 1)) });
    add('cls_token', [1, 1, 8]);
    add('pos_embed', [1, 5, 8]);
    add('patch_embed.proj.weight', [8, 3, 4, 4]);
    add('patch_embed.proj.bias', [8]);
    for (const n of ['norm1', 'norm2']) {
      add(`blocks.0.${n}.weight`, [8]);
      add(`blocks.0.${n}.bias`, [8]);
    }
    add('blocks.0.attn.qkv.weight', [24, 8]);
    add('blocks.0.attn.qkv.bias', [24]);
    add('blocks.0.attn.proj.weight', [8, 8]);
    add('blocks.0.attn.proj.bias', [8]);
    add('blocks.0.mlp.fc1.weight', [16, 8]);
    add('blocks.0.mlp.fc1.bias', [16]);
    add('blocks.0.mlp.fc2.weight', [8, 16]);
    add('blocks.0.mlp.fc2.bias', [8]);
    add('norm.weight', [8]);
    add('norm.bias', [8]);
    const model = parseOnnxModel(buildVitOnnx(config, weights, { height: 8, width: 12 }));
    expect(model.graph?.node?.every((node) => !node.domain)).toBe(true);
    expect(
      model.graph?.input?.[0].type?.tensorType?.shape?.dim?.map((d) => d.dimParam || Number(d.dimValue)),
    ).toEqual(['batch', 3, 8, 12]);
    expect(model.graph?.output?.map((o) => o.name)).toEqual(['cls', 'last_attention']);
    expect(() => buildVitOnnx(config, weights, { height: 10, width: 8 })).toThrow(
      /multiple of the patch size 4/,
    );
    weights.delete('norm.bias');
    expect(() => buildVitOnnx(config, weights, { height: 8, width: 8 })).toThrow(/missing tensor norm\.bias/);
  });
});
