import { writeFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';

/**
 * Writes small files in `torch.save`'s zip layout (protocol-2 pickle + one stored zip member per
 * storage), so tests can make checkpoints PyTorch would write — in dtypes, strides and layouts
 * the shared fixtures do not cover — without Python.
 */
export interface FakeTensor {
  shape: number[];
  data: Float32Array;
  /** Storage dtype; float16 values are rounded by the writer. */
  dtype?: 'float32' | 'float16';
  /** When set, the storage holds the data transposed (a saved `.t()` view of a 2-D tensor). */
  transposed?: boolean;
}
export type PickleValue =
  | FakeTensor
  | Map<string, PickleValue>
  | number
  | string
  | { global: string; args: PickleValue[] };

export function writeTorchSave(file: string, root: PickleValue, archive = 'archive'): void {
  const storages: Buffer[] = [];
  const pickle = new PickleWriter();
  pickle.bytes(0x80, 2);
  writeValue(pickle, root, storages);
  pickle.bytes(0x2e);
  const entries = [
    { name: `${archive}/data.pkl`, data: pickle.finish() },
    ...storages.map((data, key) => ({ name: `${archive}/data/${key}`, data })),
    { name: `${archive}/version`, data: Buffer.from('3\n') },
  ];
  writeFileSync(file, storedZip(entries));
}

/** The pre-1.6 layout: magic, version, system info, object, storage keys, then each storage. */
export function writeTorchSaveLegacy(file: string, root: PickleValue): void {
  const storages: Buffer[] = [];
  const header = new PickleWriter();
  // 0x1950a86a20f9469cfc6c as LONG1, then 1001, then {} (system info), each its own pickle
  header.bytes(0x80, 2, 0x8a, 10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e);
  header.bytes(0x80, 2);
  header.int(1001);
  header.bytes(0x2e, 0x80, 2, 0x7d, 0x2e);
  const object = new PickleWriter();
  object.bytes(0x80, 2);
  writeValue(object, root, storages, true);
  object.bytes(0x2e);
  const keys = new PickleWriter();
  keys.bytes(0x80, 2, 0x28);
  for (let key = 0; key < storages.length; key++) keys.string(String(key));
  keys.bytes(0x6c, 0x2e); // LIST STOP
  const data = storages.flatMap((bytes, key) => {
    const count = Buffer.alloc(8);
    count.writeBigInt64LE(BigInt(bytes.length / elementSizes[key]));
    return [count, bytes];
  });
  writeFileSync(file, Buffer.concat([header.finish(), object.finish(), keys.finish(), ...data]));
}

const elementSizes: number[] = [];

function writeValue(p: PickleWriter, value: PickleValue, storages: Buffer[], legacy = false): void {
  if (typeof value === 'number') {
    p.int(value);
    return;
  }
  if (typeof value === 'string') {
    p.string(value);
    return;
  }
  if (value instanceof Map) {
    p.global('collections', 'OrderedDict');
    p.bytes(0x29, 0x52); // EMPTY_TUPLE REDUCE
    p.bytes(0x28); // MARK
    for (const [key, item] of value) {
      p.string(key);
      writeValue(p, item, storages, legacy);
    }
    p.bytes(0x75); // SETITEMS
    return;
  }
  if ('global' in value) {
    const [module, name] = [
      value.global.slice(0, value.global.lastIndexOf('.')),
      value.global.slice(value.global.lastIndexOf('.') + 1),
    ];
    p.global(module, name);
    p.bytes(0x28);
    for (const arg of value.args) writeValue(p, arg, storages, legacy);
    p.bytes(0x74, 0x52); // TUPLE REDUCE
    return;
  }
  const { shape, data, dtype = 'float32', transposed = false } = value;
  let stored = data;
  let stride = shape.map((_, axis) => shape.slice(axis + 1).reduce((n, d) => n * d, 1));
  if (transposed) {
    const [rows, cols] = shape;
    stored = new Float32Array(data.length);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) stored[c * rows + r] = data[r * cols + c];
    stride = [1, rows];
  }
  const key = storages.length;
  elementSizes[key] = dtype === 'float16' ? 2 : 4;
  if (dtype === 'float16') {
    const half = Buffer.alloc(stored.length * 2);
    for (let i = 0; i < stored.length; i++) half.writeUInt16LE(toHalf(stored[i]), i * 2);
    storages.push(half);
  } else storages.push(Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength));
  p.global('torch._utils', '_rebuild_tensor_v2');
  p.bytes(0x28, 0x28); // MARK (args) MARK (persistent id)
  p.string('storage');
  p.global('torch', dtype === 'float16' ? 'HalfStorage' : 'FloatStorage');
  p.string(String(key));
  p.string('cpu');
  p.int(stored.length);
  if (legacy) p.bytes(0x4e); // view_metadata: None
  p.bytes(0x74, 0x51); // TUPLE BINPERSID
  p.int(0);
  p.tuple(shape);
  p.tuple(stride);
  p.bytes(0x89); // NEWFALSE (requires_grad)
  p.global('collections', 'OrderedDict');
  p.bytes(0x29, 0x52, 0x74, 0x52); // EMPTY_TUPLE REDUCE (hooks) TUPLE REDUCE
}

class PickleWriter {
  private readonly chunks: Buffer[] = [];
  bytes(...values: number[]): void {
    this.chunks.push(Buffer.from(values));
  }
  int(value: number): void {
    const b = Buffer.alloc(5);
    b[0] = 0x4a; // BININT
    b.writeInt32LE(value, 1);
    this.chunks.push(b);
  }
  string(value: string): void {
    const text = Buffer.from(value, 'utf8');
    const b = Buffer.alloc(5);
    b[0] = 0x58; // BINUNICODE
    b.writeUInt32LE(text.length, 1);
    this.chunks.push(b, text);
  }
  global(module: string, name: string): void {
    this.chunks.push(Buffer.from(`c${module}\n${name}\n`, 'latin1'));
  }
  tuple(values: number[]): void {
    this.bytes(0x28);
    for (const v of values) this.int(v);
    this.bytes(0x74);
  }
  finish(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** A zip of stored (uncompressed) members, as torch.save writes them. */
export function storedZip(entries: { name: string; data: Buffer }[]): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const { name, data } of entries) {
    const nameBytes = Buffer.from(name, 'utf8');
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    locals.push(local, nameBytes, data);
    const header = Buffer.alloc(46);
    header.writeUInt32LE(0x02014b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt16LE(20, 6);
    header.writeUInt32LE(crc, 16);
    header.writeUInt32LE(data.length, 20);
    header.writeUInt32LE(data.length, 24);
    header.writeUInt16LE(nameBytes.length, 28);
    header.writeUInt32LE(offset, 42);
    central.push(header, nameBytes);
    offset += 30 + nameBytes.length + data.length;
  }
  const centralBytes = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralBytes.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, centralBytes, end]);
}

function toHalf(value: number): number {
  const f = new Float32Array([value]);
  const bits = new Uint32Array(f.buffer)[0];
  const sign = (bits >> 16) & 0x8000;
  const exponent = ((bits >> 23) & 0xff) - 127 + 15;
  const mantissa = bits & 0x7fffff;
  if (exponent <= 0) return sign; // tiny values flush to zero: enough for tests
  if (exponent >= 31) return sign | 0x7c00;
  return sign | ((exponent << 10) + Math.round(mantissa / 8192));
}
