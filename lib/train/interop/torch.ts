/**
 * Reading torch.save checkpoints (the zip format of PyTorch >= 1.6) without PyTorch:
 *
 *   <root>/data.pkl      the pickled object; each tensor is
 *                        torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, meta])
 *                        whose storage is a persistent id ('storage', torch.<Type>Storage, key, location, numel)
 *   <root>/data/<key>    the storage's raw bytes
 *   <root>/byteorder     'little' or 'big' (absent in old files: little)
 *
 * The reference's checkpoints are dicts { model: state_dict, optimizer, epoch, scaler, args }.
 */
import { IntegrityError, InvalidConfig } from '../../errors.js';
import { type EncoderArch, referenceEncoderArch } from '../../model/presets.js';
import type { NamedArray } from '../tensor-file.js';
import { decodeFloats, type FloatDtype } from './dtypes.js';
import { PyGlobal, PyObject, unpickle } from './pickle.js';
import { DecodeBudget, weightLimits, WeightFileTooLarge, type WeightLimits } from './limits.js';
import { bufferAccess, fileAccess, ZipReader } from './zip.js';

export type TorchDtype = FloatDtype | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

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

const ELEMENT_BYTES: Record<TorchDtype, number> = {
  float32: 4, float16: 2, bfloat16: 2, float64: 8, int64: 8, int32: 4, int16: 2, int8: 1, uint8: 1, bool: 1,
};

export interface TorchStorageRef {
  readonly key: string;
  readonly dtype: TorchDtype;
  readonly numel: number;
}

/** A tensor as pickled: a view (offset, shape, stride in elements) into a storage. */
export class TorchTensorRef {
  constructor(
    readonly storage: TorchStorageRef,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {}

  get dtype(): TorchDtype {
    return this.storage.dtype;
  }
}

export interface TorchCheckpoint {
  /** The unpickled object; tensors are TorchTensorRef, dicts Map. */
  readonly root: unknown;
  /** A tensor's values as float32, row-major in its shape. */
  read(t: TorchTensorRef): Promise<Float32Array>;
  /**
   * The state dict under `key` (the reference's 'model'), or the root itself when it is one; float values of
   * every tensor entry.
   */
  stateDict(key?: string): Promise<Map<string, NamedArray>>;
  close(): Promise<void>;
}

/**
 * Opens a torch.save archive. Memory is bounded before it is allocated (./limits): each entry's declared size and
 * each tensor's bytes count against `limits` (default: the environment's or 2 GiB per tensor, 8 GiB per file), a
 * view must lie inside its storage, and inflation stops at an entry's declared size.
 */
export async function openTorchCheckpoint(source: string | Buffer, limits: Partial<WeightLimits> = {}): Promise<TorchCheckpoint> {
  const budget = new DecodeBudget(weightLimits(limits), typeof source === 'string' ? source : 'torch checkpoint');
  const zip = await ZipReader.open(typeof source === 'string' ? await fileAccess(source) : bufferAccess(source));
  try {
    const pkl = zip.names().find((n) => /^[^/]+\/data\.pkl$/.test(n));
    if (!pkl) throw new IntegrityError('not a torch.save archive: no <root>/data.pkl entry');
    const root = pkl.slice(0, -'/data.pkl'.length);
    const byteOrderEntry = `${root}/byteorder`;
    const byteOrder = zip.entries.has(byteOrderEntry) ? (await zip.read(byteOrderEntry, budget)).toString('latin1').trim() : 'little';
    if (byteOrder !== 'little' && byteOrder !== 'big') throw new IntegrityError(`torch archive byteorder '${byteOrder}'`);

    const value = unpickle(await zip.read(pkl, budget), {
      persistentLoad: (pid) => storageRef(pid),
      calls: {
        'torch._utils._rebuild_tensor_v2': (a) => rebuildTensor(a),
        'torch._utils._rebuild_tensor': (a) => rebuildTensor(a),
        'torch._utils._rebuild_parameter': (a) => a[0],
        'torch._utils._rebuild_parameter_with_state': (a) => a[0],
        'torch._tensor._rebuild_from_type_v2': (a) => rebuildFromType(a),
        'torch.device': (a) => String(a[0]),
      },
    });

    const storages = new Map<string, Promise<Buffer>>();
    const storageBytes = (ref: TorchStorageRef) => {
      let p = storages.get(ref.key);
      if (!p) {
        const name = `${root}/data/${ref.key}`;
        const entry = zip.entries.get(name);
        const expected = ref.numel * ELEMENT_BYTES[ref.dtype];
        // The pickle's numel and the zip's declared size must agree before a byte is inflated.
        if (entry && entry.uncompressedSize !== expected) {
          throw new IntegrityError(`storage ${ref.key}: the archive declares ${entry.uncompressedSize} bytes for ${ref.numel} ${ref.dtype} values (${expected} bytes)`);
        }
        p = zip.read(name, budget);
        storages.set(ref.key, p);
      }
      return p;
    };

    const read = async (t: TorchTensorRef): Promise<Float32Array> => {
      const numel = checkView(t);
      // The float32 output (and, for a strided view, the decoded storage) is charged before it is allocated.
      budget.take(numel * 4, `tensor [${t.shape}] of storage ${t.storage.key}`);
      const bytes = await storageBytes(t.storage);
      const size = ELEMENT_BYTES[t.dtype];
      if (bytes.length !== t.storage.numel * size) {
        throw new IntegrityError(`storage ${t.storage.key}: ${bytes.length} bytes for ${t.storage.numel} ${t.dtype} values`);
      }
      const contiguous = isContiguous(t.shape, t.stride);
      if (!contiguous) budget.take(t.storage.numel * 4, `storage ${t.storage.key} decoded for a strided view`);
      if (contiguous) {
        if ((t.offset + numel) * size > bytes.length) throw new IntegrityError(`tensor view runs past storage ${t.storage.key}`);
        return decodeAny(bytes.subarray(t.offset * size, (t.offset + numel) * size), t.dtype, byteOrder);
      }
      // A strided view: decode the whole storage once, then gather.
      const all = decodeAny(bytes, t.dtype, byteOrder);
      const out = new Float32Array(numel);
      const idx = new Array<number>(t.shape.length).fill(0);
      for (let i = 0; i < numel; i++) {
        let at = t.offset;
        for (let d = 0; d < idx.length; d++) at += idx[d] * t.stride[d];
        if (at >= all.length) throw new IntegrityError(`tensor view runs past storage ${t.storage.key}`);
        out[i] = all[at];
        for (let d = idx.length - 1; d >= 0; d--) {
          if (++idx[d] < t.shape[d]) break;
          idx[d] = 0;
        }
      }
      return out;
    };

    return {
      root: value,
      read,
      async stateDict(key = 'model') {
        let dict: unknown = value;
        if (value instanceof Map && value.has(key)) dict = value.get(key);
        if (!(dict instanceof Map) || ![...dict.values()].some((v) => v instanceof TorchTensorRef)) {
          const keys = value instanceof Map ? [...value.keys()].map(String).join(', ') : typeof value;
          throw new InvalidConfig(`the checkpoint holds no state dict under '${key}' (top-level keys: ${keys})`);
        }
        const out = new Map<string, NamedArray>();
        for (const [name, t] of dict) if (t instanceof TorchTensorRef) out.set(String(name), { shape: t.shape, values: await read(t) });
        return out;
      },
      close: () => zip.close(),
    };
  } catch (err) {
    await zip.close();
    throw err;
  }
}

/**
 * The encoder a reference checkpoint was trained as, from its pickled `args` (argparse.Namespace: `model`, e.g.
 * fsfm_vit_small_patch16, and `input_size`); null when the checkpoint has no args or names an unknown model.
 */
export function torchCheckpointArch(root: unknown): Partial<EncoderArch> | null {
  if (!(root instanceof Map)) return null;
  const args = root.get('args');
  const state = args instanceof PyObject ? args.state : args;
  if (!(state instanceof Map)) return null;
  const model = state.get('model');
  if (typeof model !== 'string') return null;
  const inputSize = state.get('input_size');
  return referenceEncoderArch(model, typeof inputSize === 'number' ? inputSize : undefined);
}

/**
 * Checks a view against its storage before anything is read or allocated: whole non-negative sizes, strides and
 * offset; no more elements than the storage holds (a view that repeats elements, e.g. stride 0, is how a few bytes
 * of pickle ask for gigabytes); every element inside the storage. Returns the view's element count.
 */
function checkView(t: TorchTensorRef): number {
  const { shape, stride, offset, storage } = t;
  const bad = (why: string) => new WeightFileTooLarge(`tensor view [${shape}] stride [${stride}] offset ${offset} of storage ${storage.key} (${storage.numel} values) ${why}; refused`);
  if (shape.length !== stride.length) throw bad('has a different number of strides and dimensions');
  if (![...shape, ...stride, offset].every((v) => Number.isSafeInteger(v) && v >= 0)) throw bad('has a negative or non-integer size, stride or offset');
  let numel = 1;
  for (const s of shape) {
    numel *= s;
    if (numel > storage.numel) throw bad('has more elements than its storage');
  }
  if (numel === 0) return 0;
  let last = offset;
  for (let d = 0; d < shape.length; d++) last += (shape[d] - 1) * stride[d];
  if (!(last < storage.numel)) throw bad('reaches past the end of its storage');
  return numel;
}

function storageRef(pid: unknown): TorchStorageRef {
  if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length < 5) throw new IntegrityError(`unsupported persistent id ${JSON.stringify(String(pid))}`);
  const [, type, key, , numel] = pid as [string, unknown, unknown, unknown, unknown];
  const typeName = type instanceof PyGlobal ? type.name : String(type);
  const dtype = STORAGE_DTYPES[typeName];
  if (!dtype) throw new IntegrityError(`storage type ${typeName} is not supported`);
  const n = Number(numel);
  if (!Number.isSafeInteger(n) || n < 0) throw new IntegrityError(`storage ${String(key)}: impossible size ${String(numel)}`);
  return { key: String(key), dtype, numel: n };
}

function rebuildTensor(args: unknown[]): TorchTensorRef {
  const [storage, offset, size, stride] = args as [TorchStorageRef, number, number[], number[]];
  if (!storage || typeof storage !== 'object' || !('key' in storage)) throw new IntegrityError('tensor without a storage');
  return new TorchTensorRef(storage, Number(offset), (size ?? []).map(Number), (stride ?? []).map(Number));
}

/** torch._tensor._rebuild_from_type_v2(func, type, args, state): func(*args) with the subclass dropped. */
function rebuildFromType(args: unknown[]): unknown {
  const [func, , inner] = args as [unknown, unknown, unknown[]];
  if (func instanceof PyGlobal && func.qualified === 'torch._utils._rebuild_tensor_v2') return rebuildTensor(inner);
  if (func instanceof PyGlobal && func.qualified === 'torch._utils._rebuild_parameter') return inner[0];
  return inner[0];
}

function isContiguous(shape: number[], stride: number[]): boolean {
  let expect = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && stride[d] !== expect) return false;
    expect *= shape[d];
  }
  return true;
}

function decodeAny(bytes: Uint8Array, dtype: TorchDtype, byteOrder: 'little' | 'big'): Float32Array {
  if (dtype === 'float32' || dtype === 'float16' || dtype === 'bfloat16' || dtype === 'float64') return decodeFloats(bytes, dtype, byteOrder);
  const size = ELEMENT_BYTES[dtype];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = byteOrder === 'little';
  const out = new Float32Array(bytes.length / size);
  for (let i = 0; i < out.length; i++) {
    const at = i * size;
    out[i] =
      dtype === 'int64' ? Number(view.getBigInt64(at, le))
      : dtype === 'int32' ? view.getInt32(at, le)
      : dtype === 'int16' ? view.getInt16(at, le)
      : dtype === 'int8' ? view.getInt8(at)
      : view.getUint8(at);
  }
  return out;
}
