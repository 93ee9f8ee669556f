/** Float element types of foreign weight files, decoded to float32. */
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export type FloatDtype = 'float32' | 'float16' | 'bfloat16' | 'float64';

export const DTYPE_BYTES: Record<FloatDtype, number> = { float32: 4, float16: 2, bfloat16: 2, float64: 8 };

export function decodeFloats(bytes: Uint8Array, dtype: FloatDtype, byteOrder: 'little' | 'big'): Float32Array {
  const size = DTYPE_BYTES[dtype];
  if (bytes.length % size !== 0) throw new RangeError(`${bytes.length} bytes is not a whole number of ${dtype} values`);
  const n = bytes.length / size;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = byteOrder === 'little';
  const out = new Float32Array(n);
  switch (dtype) {
    case 'float32':
      if (le && LITTLE_ENDIAN_HOST) {
        new Uint8Array(out.buffer).set(bytes);
        break;
      }
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, le);
      break;
    case 'float64':
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, le);
      break;
    case 'float16':
      for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(i * 2, le));
      break;
    case 'bfloat16': {
      const word = new DataView(new ArrayBuffer(4));
      for (let i = 0; i < n; i++) {
        word.setUint32(0, view.getUint16(i * 2, le) << 16);
        out[i] = word.getFloat32(0);
      }
      break;
    }
  }
  return out;
}

/** IEEE 754 binary16 -> number. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}
