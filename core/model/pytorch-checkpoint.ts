import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import yauzl from 'yauzl';
import { bfloat16ToNumber, float16ToNumber } from '../engine/half-float.ts';
import type { HostTensor } from '../engine/host-tensor.ts';
import { describe, PythonGlobal, type UnpickleOptions, unpickle, unpickleAt } from './pytorch-pickle.ts';

/**
 * Reads `torch.save` files without Python. PyTorch ≥ 1.6 writes a zip (the format of the published
 * DINO checkpoints): `<archive>/data.pkl` is the pickled object, each tensor's storage is the zip
 * member `<archive>/data/<key>`, stored uncompressed; older files are the legacy format (pickles
 * and storages back to back). Tensors are references until asked for, so a full training
 * checkpoint (optimizer state included) costs only the tensors we read.
 */

/** A tensor in the checkpoint, not yet read. */
export class TorchTensorRef {
  constructor(
    readonly dtype: TorchDtype,
    readonly shape: number[],
    readonly stride: number[],
    readonly offset: number,
    readonly storageKey: string,
    readonly storageElements: number,
  ) {}
}

export type TorchDtype =
  | 'float32'
  | 'float16'
  | 'bfloat16'
  | 'float64'
  | 'int64'
  | 'int32'
  | 'int16'
  | 'int8'
  | 'uint8'
  | 'bool';

const STORAGE_DTYPES: Record<string, TorchDtype> = {
  FloatStorage: 'float32',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  DoubleStorage: 'float64',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
};

const BYTES_PER: Record<TorchDtype, number> = {
  float32: 4,
  float16: 2,
  bfloat16: 2,
  float64: 8,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

export interface PytorchCheckpoint {
  file: string;
  /** The unpickled object: dicts are Maps, tensors are `TorchTensorRef`s. */
  root: unknown;
  /** Reads one tensor as float32 (floating-point dtypes only), contiguous, in its shape. */
  readTensor(ref: TorchTensorRef, name: string): Promise<HostTensor>;
  close(): void;
}

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
/** The first bytes of a pre-1.6 `torch.save` file: a pickle (protocol 2) of a long magic number. */
const LEGACY_MAGIC = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8];

/** What the first bytes of a file say it is. */
export function sniffFile(file: string): 'pytorch-zip' | 'pytorch-legacy' | 'safetensors' | 'unknown' {
  const head = Buffer.alloc(16);
  const fd = openSync(file, 'r');
  let length: number;
  try {
    length = readSync(fd, head, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  const startsWith = (magic: number[]) => length >= magic.length && magic.every((b, i) => head[i] === b);
  if (startsWith(ZIP_MAGIC)) return 'pytorch-zip';
  if (startsWith(LEGACY_MAGIC)) return 'pytorch-legacy';
  if (length >= 9) {
    const headerLength = head.readBigUInt64LE(0);
    if (headerLength > 1n && headerLength < 100_000_000n && head[8] === 0x7b /* { */) return 'safetensors';
  }
  return 'unknown';
}

export async function openPytorchCheckpoint(file: string): Promise<PytorchCheckpoint> {
  const kind = sniffFile(file);
  if (kind === 'pytorch-legacy') return openLegacyCheckpoint(file);
  if (kind !== 'pytorch-zip') throw new Error(`${file} is not a PyTorch checkpoint (not a torch.save zip).`);
  const zip = await openZip(file);
  try {
    const entries = await listEntries(zip);
    const pickleName = [...entries.keys()].find((name) => name === 'data.pkl' || name.endsWith('/data.pkl'));
    if (!pickleName) {
      throw new Error(`${file} is a zip file but not a PyTorch checkpoint: it has no data.pkl.`);
    }
    const prefix = pickleName.slice(0, -'data.pkl'.length);
    const byteOrder = entries.get(`${prefix}byteorder`);
    if (byteOrder && (await readEntry(zip, byteOrder)).toString('utf8').trim() === 'big') {
      throw new Error(
        `${file} was saved on a big-endian machine; dinoscope reads little-endian checkpoints.`,
      );
    }
    const source = `${basename(file)}:${pickleName}`;
    const root = unpickle(await readEntry(zip, entries.get(pickleName) as yauzl.Entry), {
      source,
      callables: torchCallables(source),
      persistentLoad: (pid) => storageFromPersistentId(pid, source),
    });
    return {
      file,
      root,
      async readTensor(ref, name) {
        const entry = entries.get(`${prefix}data/${ref.storageKey}`);
        if (!entry)
          throw new Error(`${file}: tensor ${name} refers to storage ${ref.storageKey}, which is missing.`);
        return decodeTensor(await readEntry(zip, entry), ref, `${file}: tensor ${name}`);
      },
      close: () => zip.close(),
    };
  } catch (error) {
    zip.close();
    throw error;
  }
}

interface StorageRef {
  dtype: TorchDtype;
  key: string;
  elements: number;
  /** Elements before this storage's start in the stored one (a legacy storage view). */
  offset: number;
}

function storageFromPersistentId(pid: unknown, source: string): StorageRef {
  // ('storage', torch.FloatStorage, key, location, numel[, view_metadata (legacy format)])
  if (!Array.isArray(pid) || pid[0] !== 'storage' || !(pid[1] instanceof PythonGlobal)) {
    throw new Error(`${source}: unexpected persistent id (${describe(pid)}).`);
  }
  const dtype = STORAGE_DTYPES[pid[1].name];
  if (!dtype) throw new Error(`${source}: unsupported storage type ${pid[1].qualifiedName}.`);
  const view = pid[5];
  const offset = Array.isArray(view) ? Number(view[1]) : 0;
  return { dtype, key: String(pid[2]), elements: Number(pid[4]), offset };
}

/** `torch.save` magic number and protocol version of the pre-1.6 format. */
const LEGACY_MAGIC_NUMBER = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL_VERSION = 1001;

/**
 * The pre-1.6 `torch.save` format: five pickles one after another (magic number, protocol
 * version, system info, the object, the storage keys), then each storage as an int64 element
 * count and its raw bytes, in key order.
 */
function openLegacyCheckpoint(file: string): PytorchCheckpoint {
  const bytes = readFileSync(file);
  const source = basename(file);
  let at = 0;
  const next = (options: UnpickleOptions = {}) => {
    const { value, end } = unpickleAt(bytes, at, { source, ...options });
    at = end;
    return value;
  };
  if (next() !== LEGACY_MAGIC_NUMBER)
    throw new Error(`${file} is not a PyTorch checkpoint (wrong magic number).`);
  const version = next();
  if (version !== LEGACY_PROTOCOL_VERSION) {
    throw new Error(`${file}: PyTorch legacy format version ${String(version)} is not one dinoscope reads.`);
  }
  next(); // system info: byte order, type sizes (little-endian, standard sizes everywhere we run)
  const dtypes = new Map<string, TorchDtype>();
  const root = next({
    callables: torchCallables(source),
    persistentLoad: (pid) => {
      const storage = storageFromPersistentId(pid, source);
      dtypes.set(storage.key, storage.dtype);
      return storage;
    },
  });
  const keys = next();
  if (!Array.isArray(keys)) throw new Error(`${file}: the storage list is missing.`);
  const storages = new Map<string, Buffer>();
  for (const key of keys.map(String)) {
    if (at + 8 > bytes.length) throw new Error(`${file}: ends before storage ${key}.`);
    const count = Number(bytes.readBigInt64LE(at));
    const length = count * BYTES_PER[dtypes.get(key) ?? 'float32'];
    at += 8;
    if (at + length > bytes.length) throw new Error(`${file}: storage ${key} runs past the end of the file.`);
    storages.set(key, bytes.subarray(at, at + length));
    at += length;
  }
  return {
    file,
    root,
    async readTensor(ref, name) {
      const storage = storages.get(ref.storageKey);
      if (!storage)
        throw new Error(`${file}: tensor ${name} refers to storage ${ref.storageKey}, which is missing.`);
      return decodeTensor(storage, ref, `${file}: tensor ${name}`);
    },
    close() {},
  };
}

function torchCallables(source: string): Record<string, (args: unknown[]) => unknown> {
  const rebuildTensor = (args: unknown[]) => {
    const [storage, offset, shape, stride] = args as [StorageRef, number, number[], number[]];
    if (!storage || typeof storage !== 'object' || !('key' in storage)) {
      throw new Error(`${source}: a tensor without a storage.`);
    }
    return new TorchTensorRef(
      storage.dtype,
      [...shape].map(Number),
      [...stride].map(Number),
      Number(offset) + storage.offset,
      storage.key,
      storage.elements,
    );
  };
  return {
    'collections.OrderedDict': () => new Map(),
    'torch._utils._rebuild_tensor_v2': rebuildTensor,
    'torch._utils._rebuild_tensor': rebuildTensor,
    // nn.Parameter saved directly: its data is the tensor.
    'torch._utils._rebuild_parameter': (args) => args[0],
    'torch._utils._rebuild_parameter_with_state': (args) => args[0],
  };
}

function decodeTensor(bytes: Buffer, ref: TorchTensorRef, what: string): HostTensor {
  const { dtype, shape, stride, offset } = ref;
  if (!['float32', 'float16', 'bfloat16', 'float64'].includes(dtype)) {
    throw new Error(`${what} holds ${dtype} values; weights must be floating point.`);
  }
  const itemSize = BYTES_PER[dtype];
  const count = shape.reduce((n, d) => n * d, 1);
  let lastIndex = offset;
  for (let axis = 0; axis < shape.length; axis++) lastIndex += (shape[axis] - 1) * stride[axis];
  if (count > 0 && (lastIndex + 1) * itemSize > bytes.length) {
    throw new Error(`${what}: its storage holds ${bytes.length} bytes, too few for shape [${shape}].`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const read = (index: number): number => {
    const at = index * itemSize;
    if (dtype === 'float32') return view.getFloat32(at, true);
    if (dtype === 'float64') return view.getFloat64(at, true);
    if (dtype === 'bfloat16') return bfloat16ToNumber(view.getUint16(at, true));
    return float16ToNumber(view.getUint16(at, true));
  };
  const data = new Float32Array(count);
  const contiguous = stride.every((s, axis) => shape[axis] === 1 || s === contiguousStride(shape, axis));
  if (contiguous && dtype === 'float32') {
    new Uint8Array(data.buffer).set(bytes.subarray(offset * 4, (offset + count) * 4));
  } else if (contiguous) {
    for (let i = 0; i < count; i++) data[i] = read(offset + i);
  } else {
    // A saved view (e.g. a transposed tensor): walk its strides in row-major order.
    const index = new Array(shape.length).fill(0);
    for (let i = 0; i < count; i++) {
      let source = offset;
      for (let axis = 0; axis < shape.length; axis++) source += index[axis] * stride[axis];
      data[i] = read(source);
      for (let axis = shape.length - 1; axis >= 0; axis--) {
        if (++index[axis] < shape[axis]) break;
        index[axis] = 0;
      }
    }
  }
  return { shape: [...shape], data };
}

function contiguousStride(shape: number[], axis: number): number {
  let stride = 1;
  for (let i = axis + 1; i < shape.length; i++) stride *= shape[i];
  return stride;
}

function openZip(file: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.open(file, { lazyEntries: true, autoClose: false }, (error, zip) =>
      error ? reject(new Error(`${file}: unreadable zip (${error.message}).`)) : resolve(zip),
    ),
  );
}

function listEntries(zip: yauzl.ZipFile): Promise<Map<string, yauzl.Entry>> {
  return new Promise((resolve, reject) => {
    const entries = new Map<string, yauzl.Entry>();
    zip.on('entry', (entry: yauzl.Entry) => {
      entries.set(entry.fileName, entry);
      zip.readEntry();
    });
    zip.once('end', () => resolve(entries));
    zip.once('error', reject);
    zip.readEntry();
  });
}

function readEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (error, stream) => {
      if (error) return reject(error);
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.once('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
      stream.once('error', reject);
    });
  });
}
