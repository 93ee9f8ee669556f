/**
 * Writes torch.save-style archives from known tensors, so the .pth reader is tested against bytes laid out the
 * way PyTorch lays them out: a protocol-2 pickle (GLOBAL, BINPUT/BINGET memo, BINPERSID storages, REDUCE of
 * torch._utils._rebuild_tensor_v2 and collections.OrderedDict, NEWOBJ + BUILD for argparse.Namespace) in
 * <root>/data.pkl, raw little-endian storages in <root>/data/<key> aligned to 64 bytes, and a zip around them.
 */
import zlib from 'node:zlib';

export type StorageDtype = 'float32' | 'float16';

/** A tensor to pickle: a view into storage `key`. */
export interface TensorSpec {
  $tensor: { key: string; dtype: StorageDtype; numel: number; offset: number; shape: number[]; stride: number[] };
}
export interface NamespaceSpec {
  $namespace: Record<string, PickleValue>;
}
export interface OrderedSpec {
  $ordered: [string, PickleValue][];
}
export type PickleValue = null | boolean | number | string | PickleValue[] | TensorSpec | NamespaceSpec | OrderedSpec | { [k: string]: PickleValue };

const STORAGE_CLASS: Record<StorageDtype, string> = { float32: 'FloatStorage', float16: 'HalfStorage' };

export class PickleWriter {
  private readonly out: number[] = [];
  private memoSize = 0;
  private readonly storageMemo = new Map<string, number>();

  op(...bytes: number[]): this {
    this.out.push(...bytes);
    return this;
  }

  private u32(n: number): number[] {
    return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
  }

  str(s: string): this {
    const b = Buffer.from(s, 'utf8');
    return this.op(0x58, ...this.u32(b.length), ...b); // BINUNICODE
  }

  int(n: number): this {
    if (n >= 0 && n < 256) return this.op(0x4b, n); // BININT1
    if (n >= 0 && n < 65536) return this.op(0x4d, n & 0xff, n >> 8); // BININT2
    if (n >= -(2 ** 31) && n < 2 ** 31) return this.op(0x4a, ...this.u32(n >>> 0)); // BININT
    // LONG1: minimal little-endian two's complement
    const bytes: number[] = [];
    let v = BigInt(n);
    for (;;) {
      const b = Number(v & 0xffn);
      bytes.push(b);
      v >>= 8n;
      if ((v === 0n && !(b & 0x80)) || (v === -1n && b & 0x80)) break;
    }
    return this.op(0x8a, bytes.length, ...bytes);
  }

  float(x: number): this {
    const b = Buffer.alloc(8);
    b.writeDoubleBE(x);
    return this.op(0x47, ...b); // BINFLOAT
  }

  global(module: string, name: string): this {
    return this.op(0x63, ...Buffer.from(`${module}\n${name}\n`, 'latin1'));
  }

  put(): this {
    return this.op(0x71, this.memoSize++); // BINPUT
  }

  value(v: PickleValue): this {
    if (v === null) return this.op(0x4e);
    if (v === true) return this.op(0x88);
    if (v === false) return this.op(0x89);
    if (typeof v === 'number') return Number.isInteger(v) ? this.int(v) : this.float(v);
    if (typeof v === 'string') return this.str(v).put();
    if (Array.isArray(v)) {
      // tuples, as torch pickles sizes and strides
      if (v.length === 0) return this.op(0x29);
      if (v.length <= 3) {
        for (const x of v) this.value(x);
        return this.op(0x84 + v.length).put(); // TUPLE1..3
      }
      this.op(0x28);
      for (const x of v) this.value(x);
      return this.op(0x74).put();
    }
    if ('$tensor' in v) return this.tensor((v as TensorSpec).$tensor);
    if ('$ordered' in v) {
      this.global('collections', 'OrderedDict').put().op(0x29, 0x52).put(); // OrderedDict()
      this.op(0x28);
      for (const [k, x] of (v as OrderedSpec).$ordered) this.str(k).value(x);
      return this.op(0x75); // SETITEMS
    }
    if ('$namespace' in v) {
      this.global('argparse', 'Namespace').put().op(0x29, 0x81).put(); // Namespace.__new__ via NEWOBJ
      this.op(0x7d).put().op(0x28);
      for (const [k, x] of Object.entries((v as NamespaceSpec).$namespace)) this.str(k).value(x);
      return this.op(0x75, 0x62); // SETITEMS, BUILD
    }
    this.op(0x7d).put().op(0x28); // EMPTY_DICT, MARK
    for (const [k, x] of Object.entries(v)) this.str(k).value(x);
    return this.op(0x75);
  }

  private tensor(t: TensorSpec['$tensor']): this {
    this.global('torch._utils', '_rebuild_tensor_v2').put().op(0x28);
    const memo = this.storageMemo.get(t.key);
    if (memo !== undefined) this.op(0x68, memo); // BINGET: the same storage again
    else {
      this.op(0x28).str('storage').global('torch', STORAGE_CLASS[t.dtype]).put().str(t.key).str('cpu').int(t.numel).op(0x74).put();
      this.op(0x51).put(); // BINPERSID
      this.storageMemo.set(t.key, this.memoSize - 1);
    }
    this.int(t.offset).value(t.shape).value(t.stride).op(0x89); // requires_grad False
    this.global('collections', 'OrderedDict').put().op(0x29, 0x52).put(); // backward hooks
    return this.op(0x74).put().op(0x52).put(); // TUPLE, REDUCE
  }

  dumps(v: PickleValue): Buffer {
    this.op(0x80, 2); // PROTO 2
    this.value(v);
    this.op(0x2e); // STOP
    return Buffer.from(this.out);
  }
}

export interface ZipInput {
  name: string;
  data: Buffer;
  deflate?: boolean;
  /** Raw deflate bytes to store instead of deflating `data` (a hand-made stream, e.g. a bomb). */
  deflated?: Buffer;
  /** The uncompressed size to declare instead of data.length (a lie, or a size too big to build). */
  declaredSize?: number;
}

/** A zip of the given entries; stored entries' data aligned to 64 bytes with a padding extra field, as torch does. */
export function writeZip(entries: ZipInput[]): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const body = e.deflated ?? (e.deflate ? zlib.deflateRawSync(e.data) : e.data);
    const declared = e.declaredSize ?? e.data.length;
    const crc = zlib.crc32(e.data) >>> 0;
    let extra = Buffer.alloc(0);
    if (!e.deflate && !e.deflated) {
      const unpadded = offset + 30 + name.length + 4;
      const pad = (64 - (unpadded % 64)) % 64;
      extra = Buffer.alloc(4 + pad);
      extra.writeUInt16LE(0x4246, 0); // 'FB', torch's padding record
      extra.writeUInt16LE(pad, 2);
    }
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(e.deflate || e.deflated ? 8 : 0, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(declared, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(extra.length, 28);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(20, 4);
    cd.writeUInt16LE(20, 6);
    cd.writeUInt16LE(e.deflate || e.deflated ? 8 : 0, 10);
    cd.writeUInt32LE(crc, 16);
    cd.writeUInt32LE(body.length, 20);
    cd.writeUInt32LE(declared, 24);
    cd.writeUInt16LE(name.length, 28);
    cd.writeUInt32LE(offset, 42);
    central.push(cd, name);
    parts.push(local, name, extra, body);
    offset += local.length + name.length + extra.length + body.length;
  }
  const cdBytes = Buffer.concat(central);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(entries.length, 8);
  eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(cdBytes.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, cdBytes, eocd]);
}

/** float -> IEEE binary16 bits (round to nearest even), for HalfStorage fixtures. */
export function floatToHalf(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer)[0];
  const sign = (u >>> 16) & 0x8000;
  const exp = ((u >>> 23) & 0xff) - 127 + 15;
  let mant = u & 0x7fffff;
  if (exp <= 0) return sign; // tiny: flush to zero (fixtures avoid it)
  if (exp >= 31) return sign | 0x7c00;
  let h = sign | (exp << 10) | (mant >>> 13);
  mant &= 0x1fff;
  if (mant > 0x1000 || (mant === 0x1000 && h & 1)) h += 1;
  return h;
}

/** A torch.save archive: `pickled` in <root>/data.pkl, `storages` (little-endian bytes) under <root>/data/. */
export function torchArchive(root: string, pickled: PickleValue, storages: Map<string, Buffer>): Buffer {
  const pkl = new PickleWriter().dumps(pickled);
  return writeZip([
    { name: `${root}/data.pkl`, data: pkl },
    { name: `${root}/byteorder`, data: Buffer.from('little') },
    ...[...storages].map(([key, data]) => ({ name: `${root}/data/${key}`, data })),
    { name: `${root}/version`, data: Buffer.from('3\n') },
  ]);
}
