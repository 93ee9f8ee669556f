/**
 * Named float32 tensors as one little-endian binary blob plus a JSON index of names, shapes and byte
 * offsets (the checkpoint's weight and optimizer files). Names keep their given order.
 */
import os from 'node:os';
import { IntegrityError } from '../errors.js';

export interface NamedArray {
  shape: number[];
  values: Float32Array;
}

export interface TensorIndexEntry {
  name: string;
  shape: number[];
  offsetBytes: number;
  lengthBytes: number;
}

export interface TensorIndex {
  format: 'fsfm-tensors/1';
  dtype: 'float32';
  byteOrder: 'little';
  totalBytes: number;
  tensors: TensorIndexEntry[];
}

const LITTLE_ENDIAN = os.endianness() === 'LE';

export function encodeTensors(tensors: Iterable<[string, NamedArray]>): { data: Buffer; index: TensorIndex } {
  const entries: TensorIndexEntry[] = [];
  const parts: Buffer[] = [];
  let offset = 0;
  const seen = new Set<string>();
  for (const [name, t] of tensors) {
    if (seen.has(name)) throw new Error(`tensor ${name} appears twice`);
    seen.add(name);
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (size !== t.values.length) throw new Error(`tensor ${name}: shape [${t.shape}] holds ${size} values, got ${t.values.length}`);
    const bytes = toLittleEndian(t.values);
    entries.push({ name, shape: t.shape.slice(), offsetBytes: offset, lengthBytes: bytes.length });
    parts.push(bytes);
    offset += bytes.length;
  }
  return {
    data: Buffer.concat(parts, offset),
    index: { format: 'fsfm-tensors/1', dtype: 'float32', byteOrder: 'little', totalBytes: offset, tensors: entries },
  };
}

export function decodeTensors(data: Buffer, index: TensorIndex): Map<string, NamedArray> {
  if (index.format !== 'fsfm-tensors/1' || index.dtype !== 'float32' || index.byteOrder !== 'little') {
    throw new IntegrityError(`unsupported tensor file ${index.format}/${index.dtype}/${index.byteOrder}`);
  }
  if (data.length !== index.totalBytes) throw new IntegrityError(`tensor file holds ${data.length} bytes, its index says ${index.totalBytes}`);
  const out = new Map<string, NamedArray>();
  for (const e of index.tensors) {
    const size = e.shape.reduce((a, b) => a * b, 1);
    if (e.lengthBytes !== size * 4 || e.offsetBytes + e.lengthBytes > data.length) {
      throw new IntegrityError(`tensor ${e.name}: index entry does not fit the data (shape [${e.shape}], ${e.lengthBytes} bytes at ${e.offsetBytes})`);
    }
    out.set(e.name, { shape: e.shape.slice(), values: fromLittleEndian(data.subarray(e.offsetBytes, e.offsetBytes + e.lengthBytes)) });
  }
  return out;
}

function toLittleEndian(values: Float32Array): Buffer {
  if (LITTLE_ENDIAN) return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  const out = Buffer.allocUnsafe(values.length * 4);
  for (let i = 0; i < values.length; i++) out.writeFloatLE(values[i], i * 4);
  return out;
}

function fromLittleEndian(bytes: Buffer): Float32Array {
  const out = new Float32Array(bytes.length / 4);
  if (LITTLE_ENDIAN) new Uint8Array(out.buffer).set(bytes);
  else for (let i = 0; i < out.length; i++) out[i] = bytes.readFloatLE(i * 4);
  return out;
}
