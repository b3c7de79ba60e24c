import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../core/engine/backend.ts';
import { VisionTransformer } from '../../../core/model/vision-transformer.ts';
import { vitConfig } from '../../../core/model/vit-config.ts';

const std = (a: Float32Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);
const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;

describe('ViT construction', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('initialises as the reference and has its state-dict names and shapes (vit_tiny/16)', () => {
    const model = new VisionTransformer(vitConfig('vit_tiny', 16, 224));
    const w = model.getWeights();
    expect(w.size).toBe(4 + 12 * 12 + 2);
    expect(w.get('pos_embed')?.shape).toEqual([1, 197, 192]);
    expect(w.get('patch_embed.proj.weight')?.shape).toEqual([192, 3, 16, 16]);
    expect(w.get('blocks.11.attn.qkv.weight')?.shape).toEqual([576, 192]);
    expect(w.get('blocks.0.mlp.fc1.weight')?.shape).toEqual([768, 192]);
    for (const name of ['cls_token', 'pos_embed', 'blocks.0.attn.qkv.weight', 'blocks.11.mlp.fc2.weight']) {
      const data = w.get(name)?.data ?? new Float32Array(1);
      expect(std(data), name).toBeCloseTo(0.02, 2);
      expect(Math.abs(mean(data)), name).toBeLessThan(0.005);
    }
    for (const name of ['blocks.0.attn.qkv.bias', 'blocks.5.mlp.fc1.bias', 'norm.bias']) {
      expect(
        w.get(name)?.data.every((v) => v === 0),
        name,
      ).toBe(true);
    }
    expect(w.get('blocks.3.norm2.weight')?.data.every((v) => v === 1)).toBe(true);
    // The patch convolution keeps PyTorch's default: U(±1/√fan_in), fan_in = 3·16·16.
    const patch = w.get('patch_embed.proj.weight')?.data ?? new Float32Array(1);
    expect(patch.reduce((a, b) => Math.max(a, b), 0)).toBeLessThanOrEqual(1 / Math.sqrt(768));
    expect(std(patch)).toBeCloseTo(1 / Math.sqrt(768) / Math.sqrt(3), 3);
    model.dispose();
  });

  it('explains weights that do not fit the configuration', () => {
    const small = new VisionTransformer({
      patchSize: 8,
      embedDim: 16,
      depth: 2,
      numHeads: 2,
      mlpRatio: 4,
      imgSize: 16,
    });
    const weights = small.getWeights();
    small.dispose();
    const deeper = { patchSize: 8, embedDim: 16, depth: 3, numHeads: 2, mlpRatio: 4, imgSize: 16 };
    expect(() => new VisionTransformer(deeper, weights)).toThrow(/missing blocks\.2\.norm1\.weight/);
    const wider = { patchSize: 8, embedDim: 32, depth: 2, numHeads: 2, mlpRatio: 4, imgSize: 16 };
    expect(() => new VisionTransformer(wider, weights)).toThrow(
      /cls_token has shape \[1,1,16\], expected \[1,1,32\]/,
    );
  });
});
