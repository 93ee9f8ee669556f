/**
 * The safetensors format (huggingface/safetensors): u64 LE header length N, N bytes of JSON
 * { name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__": { str: str } }, then the data
 * (offsets relative to its start, row-major, little-endian). We write F32 only and read F32/F16/BF16/F64.
 */
import os from 'node:os';
import { IntegrityError } from '../../errors.js';
import { DTYPE_BYTES, decodeFloats, type FloatDtype } from './dtypes.js';
import { DecodeBudget, weightLimits, type WeightLimits } from './limits.js';
import type { NamedArray } from '../tensor-file.js';

const DTYPES: Record<string, FloatDtype> = { F32: 'float32', F16: 'float16', BF16: 'bfloat16', F64: 'float64' };

export function encodeSafetensors(tensors: Iterable<[string, NamedArray]>, metadata: Record<string, string> = {}): Buffer {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  const parts: Buffer[] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    if (name === '__metadata__' || name in header) throw new Error(`tensor name ${name} is reserved or repeated`);
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (size !== t.values.length) throw new Error(`tensor ${name}: shape [${t.shape}] holds ${size} values, got ${t.values.length}`);
    const bytes = float32LittleEndian(t.values);
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    parts.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  // Pad with spaces so the data starts 8-byte aligned (what the reference writer does).
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(headerBytes.length));
  return Buffer.concat([prefix, headerBytes, ...parts]);
}

export interface SafetensorsFile {
  metadata: Record<string, string>;
  tensors: Map<string, NamedArray & { dtype: string }>;
}

/**
 * Decodes every tensor to float32 (in file order of the header). Each tensor's shape × dtype must equal its byte
 * range, and the decoded sizes count against `limits` (./limits) before they are allocated.
 */
export function decodeSafetensors(buf: Buffer, limits: Partial<WeightLimits> = {}): SafetensorsFile {
  const budget = new DecodeBudget(weightLimits(limits), 'safetensors file');
  if (buf.length < 8) throw new IntegrityError('not a safetensors file (shorter than its header length)');
  const n = buf.readBigUInt64LE(0);
  if (n > BigInt(buf.length - 8)) throw new IntegrityError(`safetensors header length ${n} exceeds the file`);
  const dataStart = 8 + Number(n);
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] } | Record<string, string>>;
  try {
    header = JSON.parse(buf.toString('utf8', 8, dataStart));
  } catch (cause) {
    throw new IntegrityError('safetensors header is not JSON', { cause });
  }
  const metadata = (header.__metadata__ ?? {}) as Record<string, string>;
  const tensors = new Map<string, NamedArray & { dtype: string }>();
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const { dtype, shape, data_offsets: offsets } = info as { dtype: string; shape: number[]; data_offsets: [number, number] };
    const kind = DTYPES[dtype];
    if (!kind) throw new IntegrityError(`safetensors tensor ${name}: dtype ${dtype} is not a float type`);
    const [begin, end] = offsets;
    if (!(begin >= 0 && end >= begin && dataStart + end <= buf.length)) throw new IntegrityError(`safetensors tensor ${name}: offsets [${offsets}] outside the file`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new IntegrityError(`safetensors tensor ${name}: shape ${JSON.stringify(shape)} is not a list of sizes`);
    const size = shape.reduce((a, b) => a * b, 1);
    if (size * DTYPE_BYTES[kind] !== end - begin) throw new IntegrityError(`safetensors tensor ${name}: shape [${shape}] of ${dtype} needs ${size * DTYPE_BYTES[kind]} bytes, its range holds ${end - begin}`);
    budget.take(size * 4, `safetensors tensor ${name}`);
    const values = decodeFloats(buf.subarray(dataStart + begin, dataStart + end), kind, 'little');
    if (values.length !== size) throw new IntegrityError(`safetensors tensor ${name}: ${values.length} values for shape [${shape}]`);
    tensors.set(name, { dtype, shape, values });
  }
  return { metadata, tensors };
}

function float32LittleEndian(values: Float32Array): Buffer {
  if (os.endianness() === 'LE') return Buffer.from(Float32Array.from(values).buffer);
  const bytes = Buffer.allocUnsafe(values.length * 4);
  for (let i = 0; i < values.length; i++) bytes.writeFloatLE(values[i], i * 4);
  return bytes;
}
