import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  parseSafetensors,
  readSafetensors,
  readSafetensorsHeader,
  serializeSafetensors,
  writeSafetensors,
} from '../../../core/engine/safetensors.ts';
import { hasShared, sharedPath } from '../../shared-fixtures.ts';

describe('safetensors', () => {
  it('round-trips tensors and metadata', () => {
    const tensors = new Map([
      ['a.weight', { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, -6.5]) }],
      ['b', { shape: [1], data: Float32Array.from([Math.PI]) }],
    ]);
    const bytes = serializeSafetensors(tensors, { step: '7' });
    expect((8 + Number(bytes.readBigUInt64LE(0))) % 8).toBe(0);
    const back = parseSafetensors(bytes);
    expect(back.metadata).toEqual({ step: '7' });
    expect(back.tensors.get('a.weight')).toEqual(tensors.get('a.weight'));
    expect(back.tensors.get('b')?.data[0]).toBeCloseTo(Math.PI, 6);
  });

  it('writes atomically and reads the header alone', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'st-')), 'x.safetensors');
    writeSafetensors(file, new Map([['x', { shape: [4], data: new Float32Array(4).fill(1) }]]), { k: 'v' });
    expect(readSafetensors(file).tensors.get('x')?.data).toEqual(new Float32Array(4).fill(1));
    const header = readSafetensorsHeader(file);
    expect(header.entries.get('x')).toEqual({ dtype: 'F32', shape: [4] });
    expect(header.metadata).toEqual({ k: 'v' });
  });

  it('rejects what is not safetensors, naming it', () => {
    expect(() => parseSafetensors(Buffer.from('hello, world'), 'notes.txt')).toThrow(
      /notes\.txt: not a safetensors/,
    );
    const bytes = serializeSafetensors(new Map([['x', { shape: [4], data: new Float32Array(4) }]]));
    expect(() => parseSafetensors(bytes.subarray(0, bytes.length - 4), 'cut.safetensors')).toThrow(
      /x runs past the end/,
    );
  });

  it.skipIf(!hasShared)('reads the reference fixtures written by Python', () => {
    const { tensors, metadata } = readSafetensors(
      sharedPath('fixtures/dino-reference/vit_forward.safetensors'),
    );
    expect(tensors.size).toBeGreaterThan(10);
    expect(Object.keys(metadata).length).toBeGreaterThan(0);
    const raw = readFileSync(sharedPath('fixtures/dino-reference/vit_forward.safetensors'));
    expect(raw.length).toBeGreaterThan(1000);
  });
});
