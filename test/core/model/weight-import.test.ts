import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { NamedTensors } from '../../../core/engine/host-tensor.ts';
import { writeSafetensors } from '../../../core/engine/safetensors.ts';
import { backboneShapes, inferVitConfig } from '../../../core/model/infer-vit-config.ts';
import { openPytorchCheckpoint } from '../../../core/model/pytorch-checkpoint.ts';
import { PythonObject } from '../../../core/model/pytorch-pickle.ts';
import { type VitConfig, vitConfig } from '../../../core/model/vit-config.ts';
import { importWeights } from '../../../core/model/weight-import.ts';
import { hasShared, sharedPath } from '../../shared-fixtures.ts';
import { type PickleValue, storedZip, writeTorchSave, writeTorchSaveLegacy } from './torch-save-writer.ts';

const tiny: VitConfig = { patchSize: 8, embedDim: 32, depth: 2, numHeads: 2, mlpRatio: 4, imgSize: 32 };

function randomBackbone(config: VitConfig, seed = 1): NamedTensors {
  let state = seed;
  const random = () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32 - 0.5;
  };
  const tensors: NamedTensors = new Map();
  for (const [name, shape] of backboneShapes(config)) {
    const data = new Float32Array(shape.reduce((n, d) => n * d, 1)).map(random);
    tensors.set(name, { shape, data });
  }
  return tensors;
}

function toHuggingFace(backbone: NamedTensors): NamedTensors {
  const out: NamedTensors = new Map();
  for (const [name, tensor] of backbone) {
    const qkv = /^blocks\.(\d+)\.attn\.qkv\.(weight|bias)$/.exec(name);
    if (qkv) {
      const third = tensor.data.length / 3;
      for (const [i, part] of ['query', 'key', 'value'].entries()) {
        out.set(`encoder.layer.${qkv[1]}.attention.attention.${part}.${qkv[2]}`, {
          shape: [tensor.shape[0] / 3, ...tensor.shape.slice(1)],
          data: tensor.data.slice(i * third, (i + 1) * third),
        });
      }
      continue;
    }
    const hf = name
      .replace(/^cls_token$/, 'embeddings.cls_token')
      .replace(/^pos_embed$/, 'embeddings.position_embeddings')
      .replace(/^patch_embed\.proj\./, 'embeddings.patch_embeddings.projection.')
      .replace(/^blocks\.(\d+)\.norm1\./, 'encoder.layer.$1.layernorm_before.')
      .replace(/^blocks\.(\d+)\.norm2\./, 'encoder.layer.$1.layernorm_after.')
      .replace(/^blocks\.(\d+)\.attn\.proj\./, 'encoder.layer.$1.attention.output.dense.')
      .replace(/^blocks\.(\d+)\.mlp\.fc1\./, 'encoder.layer.$1.intermediate.dense.')
      .replace(/^blocks\.(\d+)\.mlp\.fc2\./, 'encoder.layer.$1.output.dense.')
      .replace(/^norm\./, 'layernorm.');
    out.set(hf, tensor);
  }
  out.set('pooler.dense.weight', { shape: [32, 32], data: new Float32Array(32 * 32) });
  out.set('pooler.dense.bias', { shape: [32], data: new Float32Array(32) });
  return out;
}

const expectSameTensors = (actual: NamedTensors, expected: NamedTensors) => {
  expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [name, tensor] of expected) {
    expect(actual.get(name)?.shape, name).toEqual(tensor.shape);
    expect(sameFloats(actual.get(name)?.data, tensor.data), name).toBe(true);
  }
};

/** Bitwise equality, fast (deep equality of large typed arrays is slow in the test runner). */
const sameFloats = (a: Float32Array | undefined, b: Float32Array | undefined) =>
  !!a &&
  !!b &&
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

let folder: string;
const backbone = randomBackbone(tiny);
beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), 'weight-import-'));
});

describe('importWeights: the shared PyTorch fixtures', () => {
  const dir = 'fixtures/dino-checkpoints/';
  it.skipIf(!hasShared)(
    'reads a backbone-only .pth and a full checkpoint (teacher by default, student on request)',
    async () => {
      const plain = await importWeights(sharedPath(`${dir}tiny_backbone_pretrain.pth`), { numHeads: 3 });
      expect(plain.config).toEqual({
        patchSize: 16,
        embedDim: 48,
        depth: 2,
        numHeads: 3,
        mlpRatio: 4,
        imgSize: 224,
      });
      expect(plain.backbone.size).toBe(backboneShapes(plain.config).size);
      expect(plain.head).toBeNull();

      const full = await importWeights(sharedPath(`${dir}tiny_full_checkpoint.pth`), { numHeads: 3 });
      expect(full.description).toMatch(
        /teacher backbone from tiny_full_checkpoint\.pth, with its DINO head \(64 outputs\), epoch 3/,
      );
      expectSameTensors(full.backbone, plain.backbone); // the README: same tensors as the teacher
      expect([...(full.head?.keys() ?? [])]).toContain('last_layer.weight_v');

      const student = await importWeights(sharedPath(`${dir}tiny_full_checkpoint.pth`), {
        numHeads: 3,
        network: 'student',
      });
      expect(
        sameFloats(student.backbone.get('norm.weight')?.data, full.backbone.get('norm.weight')?.data),
      ).toBe(false);
    },
  );

  it.skipIf(!hasShared)('keeps unknown classes such as argparse.Namespace as inert data', async () => {
    const checkpoint = await openPytorchCheckpoint(sharedPath(`${dir}tiny_full_checkpoint.pth`));
    const args = (checkpoint.root as Map<string, unknown>).get('args');
    checkpoint.close();
    expect(args).toBeInstanceOf(PythonObject);
    expect((args as PythonObject).className).toBe('argparse.Namespace');
    expect(((args as PythonObject).state as Map<string, unknown>).get('patch_size')).toBe(16);
  });

  it.skipIf(!hasShared)('asks for the head count when the width does not tell it', async () => {
    await expect(importWeights(sharedPath(`${dir}tiny_backbone_pretrain.pth`))).rejects.toThrow(
      /tiny_backbone_pretrain\.pth: cannot tell the number of attention heads.*--heads/,
    );
  });
});

describe('importWeights: layouts written by the test', () => {
  it('reads safetensors with the official names and with Hugging Face ViTModel names', async () => {
    const official = join(folder, 'official.safetensors');
    writeSafetensors(official, backbone);
    const a = await importWeights(official, { numHeads: 2 });
    expect(a.config).toEqual(tiny);
    expectSameTensors(a.backbone, backbone);

    const hfFolder = mkdtempSync(join(folder, 'hf-'));
    writeSafetensors(join(hfFolder, 'model.safetensors'), toHuggingFace(backbone));
    writeFileSync(join(hfFolder, 'config.json'), JSON.stringify({ num_attention_heads: 2 }));
    const b = await importWeights(join(hfFolder, 'model.safetensors'));
    expect(b.config).toEqual(tiny); // heads from config.json
    expectSameTensors(b.backbone, backbone);
    expect(b.description).toMatch(/Hugging Face.*ignoring pooler\.dense\.weight/);

    // The folder itself, and its PyTorch twin pytorch_model.bin (a torch.save zip with the same names).
    expectSameTensors((await importWeights(hfFolder)).backbone, backbone);
    const binFolder = mkdtempSync(join(folder, 'hf-bin-'));
    writeTorchSave(
      join(binFolder, 'pytorch_model.bin'),
      new Map([...toHuggingFace(backbone)].map(([name, t]) => [name, t as PickleValue])),
    );
    writeFileSync(join(binFolder, 'config.json'), JSON.stringify({ num_attention_heads: 2 }));
    const fromBin = await importWeights(binFolder);
    expect(fromBin.config).toEqual(tiny);
    expectSameTensors(fromBin.backbone, backbone);
    await expect(importWeights(folder)).rejects.toThrow(
      /is a folder without model\.safetensors or pytorch_model\.bin/,
    );
  });

  it('reads a dinoscope training state (teacher.backbone.*) and float16 / transposed .pth tensors', async () => {
    const state: NamedTensors = new Map();
    for (const [name, t] of backbone) {
      state.set(`teacher.backbone.${name}`, t);
      state.set(`student.backbone.${name}`, { shape: t.shape, data: t.data.map((v) => v + 1) });
    }
    state.set('teacher.head.last_layer.weight_g', { shape: [16, 1], data: new Float32Array(16).fill(1) });
    state.set('teacher.head.last_layer.weight_v', { shape: [16, 8], data: new Float32Array(128) });
    state.set('optimizer.exp_avg.backbone.norm.weight', { shape: [32], data: new Float32Array(32) });
    const file = join(folder, 'state.safetensors');
    writeSafetensors(file, state, { num_heads: '2' });
    const imported = await importWeights(file);
    expectSameTensors(imported.backbone, backbone);
    expect(imported.head?.size).toBe(2);

    const pth = join(folder, 'half.pth');
    const dict = new Map<string, PickleValue>();
    for (const [name, t] of backbone) {
      dict.set(name, {
        ...t,
        dtype: name.endsWith('qkv.weight') ? 'float16' : 'float32',
        transposed: name.endsWith('fc1.weight'),
      });
    }
    writeTorchSave(pth, new Map([['model', dict]]));
    const fromPth = await importWeights(pth, { numHeads: 2 });
    expect(
      sameFloats(
        fromPth.backbone.get('blocks.0.mlp.fc1.weight')?.data,
        backbone.get('blocks.0.mlp.fc1.weight')?.data,
      ),
    ).toBe(true);
    const qkv = fromPth.backbone.get('blocks.1.attn.qkv.weight')?.data ?? new Float32Array();
    const exact = backbone.get('blocks.1.attn.qkv.weight')?.data ?? new Float32Array();
    expect(Math.max(...qkv.map((v, i) => Math.abs(v - exact[i])))).toBeLessThan(5e-4);
  });

  it('reads the pre-1.6 legacy torch.save format too', async () => {
    const file = join(folder, 'legacy.pth');
    const state = new Map<string, PickleValue>();
    for (const [name, t] of backbone)
      state.set(`module.backbone.${name}`, {
        ...t,
        transposed: name.endsWith('proj.weight') && t.shape.length === 2,
      });
    writeTorchSaveLegacy(
      file,
      new Map<string, PickleValue>([
        ['student', state],
        ['teacher', state],
        ['epoch', 2],
      ]),
    );
    const imported = await importWeights(file, { numHeads: 2 });
    expect(imported.description).toMatch(/teacher backbone from legacy\.pth, epoch 2/);
    expectSameTensors(imported.backbone, backbone);
  });

  it('names the file and the tensor for missing, extra and misshapen tensors', async () => {
    const write = (name: string, edit: (t: NamedTensors) => void) => {
      const copy = new Map(backbone);
      edit(copy);
      const file = join(folder, name);
      writeSafetensors(file, copy);
      return file;
    };
    await expect(
      importWeights(
        write('missing.safetensors', (t) => t.delete('blocks.1.mlp.fc2.bias')),
        { numHeads: 2 },
      ),
    ).rejects.toThrow('missing.safetensors: missing tensor blocks.1.mlp.fc2.bias');
    await expect(
      importWeights(
        write('extra.safetensors', (t) =>
          t.set('blocks.0.attn.q_norm.weight', { shape: [32], data: new Float32Array(32) }),
        ),
        { numHeads: 2 },
      ),
    ).rejects.toThrow('extra.safetensors: unexpected tensor blocks.0.attn.q_norm.weight');
    // LayerScale marks a DINOv2 block: half of it is a missing tensor, named.
    await expect(
      importWeights(
        write('half-dinov2.safetensors', (t) =>
          t.set('blocks.0.ls1.gamma', { shape: [32], data: new Float32Array(32) }),
        ),
        { numHeads: 2 },
      ),
    ).rejects.toThrow('half-dinov2.safetensors: missing tensor blocks.0.ls2.gamma');
    await expect(
      importWeights(
        write('shape.safetensors', (t) =>
          t.set('blocks.0.attn.proj.bias', { shape: [31], data: new Float32Array(31) }),
        ),
        { numHeads: 2 },
      ),
    ).rejects.toThrow('shape.safetensors: tensor blocks.0.attn.proj.bias has shape [31], expected [32]');
  });

  it('refuses a non-ViT checkpoint, a zip that is no checkpoint, and a file that is neither', async () => {
    const resnet = join(folder, 'resnet50.pth');
    writeTorchSave(
      resnet,
      new Map<string, PickleValue>([
        ['conv1.weight', { shape: [4, 3, 3, 3], data: new Float32Array(108) }],
        ['bn1.weight', { shape: [4], data: new Float32Array(4) }],
      ]),
    );
    await expect(importWeights(resnet)).rejects.toThrow(
      /resnet50\.pth does not hold a Vision Transformer backbone: no patch_embed\.proj\.weight.*conv1\.weight/,
    );

    const zip = join(folder, 'photos.zip');
    writeFileSync(zip, storedZip([{ name: 'a.txt', data: Buffer.from('hello') }]));
    await expect(importWeights(zip)).rejects.toThrow(
      /photos\.zip is a zip file but not a PyTorch checkpoint/,
    );

    const text = join(folder, 'notes.pth');
    writeFileSync(text, 'not weights at all');
    await expect(importWeights(text)).rejects.toThrow(/notes\.pth is neither a PyTorch checkpoint/);
    await expect(importWeights(join(folder, 'absent.pth'))).rejects.toThrow(/absent\.pth: no such file/);

    const odd = join(folder, 'odd.pth');
    writeTorchSave(
      odd,
      new Map<string, PickleValue>([
        ['epoch', 3],
        ['note', 'x'],
      ]),
    );
    await expect(importWeights(odd)).rejects.toThrow(/odd\.pth: epoch is not a tensor/);
  });

  it('never runs what a pickle names: os.system stays data', async () => {
    const file = join(folder, 'evil.pth');
    const marker = join(folder, 'ran');
    writeTorchSave(
      file,
      new Map<string, PickleValue>([['payload', { global: 'os.system', args: [`touch ${marker}`] }]]),
    );
    const checkpoint = await openPytorchCheckpoint(file);
    const payload = (checkpoint.root as Map<string, unknown>).get('payload') as PythonObject;
    checkpoint.close();
    expect(payload).toBeInstanceOf(PythonObject);
    expect(payload.className).toBe('os.system');
    await expect(importWeights(file)).rejects.toThrow(/payload is not a tensor/);
    const { existsSync } = await import('node:fs');
    expect(existsSync(marker)).toBe(false);
  });
});

describe('inferVitConfig', () => {
  it('recognises the published sizes from their shapes', () => {
    for (const [arch, patch] of [
      ['vit_small', 16],
      ['vit_small', 8],
      ['vit_base', 16],
      ['vit_base', 8],
    ] as const) {
      const config = vitConfig(arch, patch);
      const shapes = backboneShapes(config);
      expect(inferVitConfig(shapes, 'x')).toEqual(config);
    }
  });
});
