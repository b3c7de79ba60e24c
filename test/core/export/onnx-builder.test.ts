import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { OnnxGraphBuilder, parseOnnxModel } from '../../../core/export/onnx-builder.ts';

describe('OnnxGraphBuilder', () => {
  it('writes a graph ONNX Runtime runs: dynamic batch, initializers, attributes', async () => {
    const g = new OnnxGraphBuilder('affine');
    const x = g.input('x', ['batch', 3]);
    const w = g.initializer('w', { shape: [3, 2], data: Float32Array.from([1, 2, 3, 4, 5, 6]) });
    const b = g.float32('b', [0.5, -0.5], [2]);
    const y = g.op('Add', [g.op('MatMul', [x, w]), b]);
    const t = g.op('Transpose', [y], { perm: { ints: [1, 0] } });
    const scaled = g.op('Mul', [t, g.float32('two', [2])]);
    const flat = g.op('Reshape', [scaled, g.int64('shape', [-1])]);
    g.output(y, 'y', ['batch', 2]);
    g.output(flat, 'flat', ['n']);
    const bytes = g.serialize({ metadata: { purpose: 'test' } });

    const model = parseOnnxModel(bytes);
    expect(Number(model.opsetImport[0].version)).toBe(17);
    expect(model.graph?.node?.map((n) => n.opType)).toEqual([
      'MatMul',
      'Add',
      'Transpose',
      'Mul',
      'Reshape',
      'Identity',
      'Identity',
    ]);
    expect(model.metadataProps[0]).toMatchObject({ key: 'purpose', value: 'test' });

    const session = await ort.InferenceSession.create(bytes);
    const input = new ort.Tensor('float32', Float32Array.from([1, 0, 0, 0, 1, 1]), [2, 3]);
    const out = await session.run({ x: input });
    expect(Array.from(out.y.data as Float32Array)).toEqual([1.5, 1.5, 8.5, 9.5]);
    expect(Array.from(out.flat.data as Float32Array)).toEqual([3, 17, 3, 19]);
    await session.release();
  });

  it('refuses a name used twice and an initializer whose data does not fit its shape', () => {
    const g = new OnnxGraphBuilder('bad');
    g.input('x', [1]);
    expect(() => g.input('x', [1])).toThrow(/name x is taken/);
    expect(() => g.initializer('w', { shape: [2, 2], data: new Float32Array(3) })).toThrow(
      /initializer w has 3 values for shape \[2,2\]/,
    );
  });
});
