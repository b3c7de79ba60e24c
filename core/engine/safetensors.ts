import { closeSync, openSync, readFileSync, readSync, renameSync, writeFileSync } from 'node:fs';
import { bfloat16ToNumber, float16ToNumber } from './half-float.ts';
import { elementCount, type NamedTensors } from './host-tensor.ts';

/**
 * The safetensors format (https://huggingface.co/docs/safetensors): an 8-byte little-endian
 * header length, a JSON header (name → dtype, shape, byte offsets; `__metadata__` strings),
 * then raw little-endian data. We read F32 (and widen F16/BF16/F64) and always write F32.
 */
export interface SafetensorsFile {
  tensors: NamedTensors;
  metadata: Record<string, string>;
}

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export function readSafetensors(file: string): SafetensorsFile {
  return parseSafetensors(readFileSync(file), file);
}

/** Reads only the header: names, shapes and metadata, without loading the data. */
export function readSafetensorsHeader(file: string): {
  entries: Map<string, { dtype: string; shape: number[] }>;
  metadata: Record<string, string>;
} {
  const fd = openSync(file, 'r');
  try {
    const lengthBytes = Buffer.alloc(8);
    if (readSync(fd, lengthBytes, 0, 8, 0) !== 8)
      throw new Error(`${file}: too short to be a safetensors file.`);
    const headerLength = checkedHeaderLength(lengthBytes, file);
    const header = Buffer.alloc(headerLength);
    readSync(fd, header, 0, headerLength, 8);
    const { entries, metadata } = parseHeader(header, file);
    return {
      entries: new Map([...entries].map(([name, e]) => [name, { dtype: e.dtype, shape: e.shape }])),
      metadata,
    };
  } finally {
    closeSync(fd);
  }
}

export function parseSafetensors(bytes: Buffer, name = 'safetensors data'): SafetensorsFile {
  if (bytes.length < 8) throw new Error(`${name}: too short to be a safetensors file.`);
  const headerLength = checkedHeaderLength(bytes, name);
  if (8 + headerLength > bytes.length) throw new Error(`${name}: truncated header.`);
  const { entries, metadata } = parseHeader(bytes.subarray(8, 8 + headerLength), name);
  const dataStart = 8 + headerLength;
  const tensors: NamedTensors = new Map();
  for (const [tensorName, entry] of entries) {
    const [begin, end] = entry.data_offsets;
    if (dataStart + end > bytes.length)
      throw new Error(`${name}: tensor ${tensorName} runs past the end of the file.`);
    const raw = bytes.subarray(dataStart + begin, dataStart + end);
    const count = elementCount(entry.shape);
    const data = decodeFloats(raw, entry.dtype, count, `${name}: tensor ${tensorName}`);
    tensors.set(tensorName, { shape: entry.shape, data });
  }
  return { tensors, metadata };
}

function checkedHeaderLength(bytes: Buffer, name: string): number {
  const length = Number(bytes.readBigUInt64LE(0));
  if (length <= 0 || length > MAX_HEADER_BYTES)
    throw new Error(`${name}: not a safetensors file (header length ${length}).`);
  return length;
}

function parseHeader(header: Buffer, name: string) {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(header.toString('utf8'));
  } catch {
    throw new Error(`${name}: not a safetensors file (unreadable JSON header).`);
  }
  const metadata = (json.__metadata__ ?? {}) as Record<string, string>;
  const entries = new Map<string, HeaderEntry>();
  for (const [key, value] of Object.entries(json)) {
    if (key !== '__metadata__') entries.set(key, value as HeaderEntry);
  }
  return { entries, metadata };
}

function decodeFloats(raw: Buffer, dtype: string, count: number, what: string): Float32Array {
  const bytesPer = { F32: 4, F16: 2, BF16: 2, F64: 8 }[dtype];
  if (!bytesPer) throw new Error(`${what}: unsupported dtype ${dtype} (expected F32, F16, BF16 or F64).`);
  if (raw.length !== count * bytesPer)
    throw new Error(`${what}: ${raw.length} bytes do not match its shape.`);
  const out = new Float32Array(count);
  if (dtype === 'F32' && isLittleEndian) {
    new Uint8Array(out.buffer).set(raw);
    return out;
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  for (let i = 0; i < count; i++) {
    if (dtype === 'F32') out[i] = view.getFloat32(i * 4, true);
    else if (dtype === 'F64') out[i] = view.getFloat64(i * 8, true);
    else if (dtype === 'BF16') out[i] = bfloat16ToNumber(view.getUint16(i * 2, true));
    else out[i] = float16ToNumber(view.getUint16(i * 2, true));
  }
  return out;
}

export function serializeSafetensors(tensors: NamedTensors, metadata: Record<string, string> = {}): Buffer {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, tensor] of tensors) {
    if (tensor.data.length !== elementCount(tensor.shape)) {
      throw new Error(`tensor ${name}: ${tensor.data.length} values do not match shape [${tensor.shape}].`);
    }
    const length = tensor.data.length * 4;
    header[name] = { dtype: 'F32', shape: tensor.shape, data_offsets: [offset, offset + length] };
    offset += length;
  }
  let headerText = JSON.stringify(header);
  // Pad with spaces so the data starts 8-byte aligned, as the format recommends.
  headerText += ' '.repeat((8 - ((8 + Buffer.byteLength(headerText)) % 8)) % 8);
  const headerBytes = Buffer.from(headerText, 'utf8');
  const out = Buffer.alloc(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let position = 8 + headerBytes.length;
  for (const tensor of tensors.values()) {
    const bytes = Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
    if (isLittleEndian) bytes.copy(out, position);
    else for (let i = 0; i < tensor.data.length; i++) out.writeFloatLE(tensor.data[i], position + i * 4);
    position += bytes.length;
  }
  return out;
}

const isLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Writes atomically: a crash mid-write leaves the previous file intact, never a torn one. */
export function writeSafetensors(
  file: string,
  tensors: NamedTensors,
  metadata: Record<string, string> = {},
): void {
  const temporary = `${file}.tmp-${process.pid}`;
  writeFileSync(temporary, serializeSafetensors(tensors, metadata));
  renameSync(temporary, file);
}
