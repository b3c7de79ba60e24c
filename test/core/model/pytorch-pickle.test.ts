import { describe, expect, it } from 'vitest';
import { PythonGlobal, PythonObject, unpickle } from '../../../core/model/pytorch-pickle.ts';

const bytes = (...parts: (number[] | string)[]) =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...Buffer.from(p, 'latin1')] : p)));

describe('unpickle', () => {
  it('reads the values PyTorch pickles hold', () => {
    // {'a': [1, -2, 3.5, None, True], 'b': (b'xy', 'é'), 2**70: frozenset()}
    const pickle = bytes(
      [0x80, 0x02, 0x7d, 0x71, 0x00, 0x28],
      [0x58, 1, 0, 0, 0],
      'a',
      [
        0x5d, 0x28, 0x4b, 1, 0x4a, 0xfe, 0xff, 0xff, 0xff, 0x47, 0x40, 0x0c, 0, 0, 0, 0, 0, 0, 0x4e, 0x88,
        0x65,
      ],
      [0x58, 1, 0, 0, 0],
      'b',
      [0x43, 2],
      'xy',
      [0x58, 2, 0, 0, 0, 0xc3, 0xa9, 0x86],
      [0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0x40],
      [0x28, 0x91],
      [0x75, 0x2e],
    );
    const value = unpickle(pickle) as Map<unknown, unknown>;
    expect(value.get('a')).toEqual([1, -2, 3.5, null, true]);
    expect(value.get('b')).toEqual([Uint8Array.from([0x78, 0x79]), 'é']);
    expect(value.get(2n ** 70n)).toEqual(new Set());
  });

  it('calls only the handlers it was given; any other class becomes inert data', () => {
    // collections.OrderedDict() then builtins.eval('1+1') via REDUCE
    const pickle = bytes(
      [0x80, 0x02, 0x28],
      'ccollections\nOrderedDict\n',
      [0x29, 0x52],
      'cbuiltins\neval\n',
      [0x58, 3, 0, 0, 0],
      '1+1',
      [0x85, 0x52],
      [0x74, 0x2e],
    );
    const [dict, evaluated] = unpickle(pickle, {
      callables: { 'collections.OrderedDict': () => new Map() },
    }) as unknown[];
    expect(dict).toBeInstanceOf(Map);
    expect(evaluated).toBeInstanceOf(PythonObject);
    expect((evaluated as PythonObject).className).toBe('builtins.eval');
    expect((evaluated as PythonObject).args).toEqual(['1+1']);
    expect(unpickle(bytes([0x80, 0x02], 'cos\nsystem\n', [0x2e]))).toEqual(new PythonGlobal('os', 'system'));
  });

  it('says where a broken or foreign pickle fails', () => {
    expect(() => unpickle(bytes([0x80, 0x02, 0x7d]), { source: 'x.pth' })).toThrow(
      /x\.pth: the pickle ends early/,
    );
    expect(() => unpickle(bytes([0x80, 0x02, 0xff]), { source: 'x.pth' })).toThrow(
      /unsupported pickle opcode 0xff/,
    );
    expect(() => unpickle(bytes([0x80, 0x02, 0x68, 0x05]), { source: 'x.pth' })).toThrow(
      /reads memo 5 before writing it/,
    );
    expect(() => unpickle(bytes([0x80, 0x02, 0x4b, 0x01, 0x51]), { source: 'x.pth' })).toThrow(
      /persistent id/,
    );
  });
});
