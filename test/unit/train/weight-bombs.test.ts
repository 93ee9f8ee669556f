/**
 * Weight files from users cannot take the worker's memory: sizes are checked before anything is allocated.
 * Each bomb is generated here, a few KB to a few hundred KB on disk, and must be refused with a clear error while
 * the process grows by far less than what the file asks for.
 */
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors } from '../../../lib/train/interop/safetensors.js';
import { openTorchCheckpoint } from '../../../lib/train/interop/torch.js';
import { weightLimits, WeightFileTooLarge } from '../../../lib/train/interop/limits.js';
import { PickleWriter, type PickleValue, writeZip } from './torch-fixture.js';

const MiB = 1024 ** 2;

/** Raw deflate of `total` zero bytes, built from 1 MiB chunks so the test itself never holds the inflated data. */
async function zeroDeflate(total: number): Promise<Buffer> {
  const d = zlib.createDeflateRaw({ level: 1, memLevel: 9 });
  const out: Buffer[] = [];
  d.on('data', (c: Buffer) => out.push(c));
  const done = new Promise((r) => d.on('end', r));
  const chunk = Buffer.alloc(MiB);
  for (let i = 0; i < total / MiB; i++) if (!d.write(chunk)) await new Promise((r) => d.once('drain', r));
  d.end();
  await done;
  return Buffer.concat(out);
}

function archive(tensor: { numel: number; shape: number[]; stride: number[]; offset?: number }, storage: { data: Buffer; deflated?: Buffer; declaredSize?: number }): Buffer {
  const pickled: PickleValue = { model: { $ordered: [['w', { $tensor: { key: '0', dtype: 'float32', offset: 0, ...tensor } }]] } };
  return writeZip([
    { name: 'archive/data.pkl', data: new PickleWriter().dumps(pickled) },
    { name: 'archive/byteorder', data: Buffer.from('little') },
    { name: 'archive/data/0', ...storage },
    { name: 'archive/version', data: Buffer.from('3\n') },
  ]);
}

async function refusal(file: Buffer, limits = {}): Promise<{ err: unknown; grewBytes: number }> {
  global.gc?.();
  const before = process.memoryUsage().rss;
  const err = await openTorchCheckpoint(file, limits)
    .then(async (ckpt) => {
      try {
        await ckpt.stateDict();
      } finally {
        await ckpt.close();
      }
    })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  return { err, grewBytes: process.memoryUsage().rss - before };
}

describe('torch.save archives are read within bounds', () => {
  it('a deflate bomb (declares 16 bytes, inflates to 256 MiB) is refused at its declared size', async () => {
    const bomb = archive({ numel: 4, shape: [4], stride: [1] }, { data: Buffer.alloc(16), deflated: await zeroDeflate(256 * MiB), declaredSize: 16 });
    expect(bomb.length).toBeLessThan(2 * MiB);
    const { err, grewBytes } = await refusal(bomb);
    expect(err).toBeInstanceOf(WeightFileTooLarge);
    expect((err as Error).message).toMatch(/zip entry archive\/data\/0 inflates past its declared 16 bytes/);
    expect(grewBytes).toBeLessThan(64 * MiB);
  });

  it('an entry that honestly declares 3.5 GiB is refused by the per-tensor cap before a byte is inflated', async () => {
    const numel = (3.5 * 1024 ** 3) / 4;
    const big = archive({ numel, shape: [numel], stride: [1] }, { data: Buffer.alloc(0), deflated: await zeroDeflate(MiB), declaredSize: 3.5 * 1024 ** 3 });
    const { err, grewBytes } = await refusal(big);
    expect(err).toBeInstanceOf(WeightFileTooLarge);
    expect((err as Error).message).toMatch(/3\.50 GiB, above the per-tensor cap of 2\.00 GiB \(FSFM_WEIGHTS_MAX_TENSOR_BYTES\)/);
    expect(grewBytes).toBeLessThan(64 * MiB);
  });

  it('a strided-view bomb (16 bytes of storage viewed as 8192 x 8192 with stride 0) is refused before allocating', async () => {
    const view = archive({ numel: 4, shape: [8192, 8192], stride: [0, 0] }, { data: Buffer.alloc(16) });
    expect(view.length).toBeLessThan(1024);
    const { err, grewBytes } = await refusal(view);
    expect(err).toBeInstanceOf(WeightFileTooLarge);
    expect((err as Error).message).toMatch(/tensor view \[8192,8192\] stride \[0,0\] .* has more elements than its storage; refused/);
    expect(grewBytes).toBeLessThan(64 * MiB);
    // A view reaching past its storage, and a negative stride, are refused the same way.
    expect((await refusal(archive({ numel: 4, shape: [4], stride: [1000] }, { data: Buffer.alloc(16) }))).err).toBeInstanceOf(WeightFileTooLarge);
    expect((await refusal(archive({ numel: 4, shape: [2], stride: [-1], offset: 3 }, { data: Buffer.alloc(16) }))).err).toBeInstanceOf(WeightFileTooLarge);
  });

  it('the caps are configurable (options, then FSFM_WEIGHTS_MAX_*), and an ordinary file within them reads', async () => {
    const ok = archive({ numel: 1024, shape: [32, 32], stride: [32, 1] }, { data: Buffer.alloc(4096) });
    expect((await refusal(ok)).err).toBeUndefined();
    const { err } = await refusal(ok, { maxTensorBytes: 1024 });
    expect((err as Error).message).toMatch(/above the per-tensor cap/);
    expect((await refusal(ok, { maxFileBytes: 2048 })).err).toBeInstanceOf(WeightFileTooLarge);
    expect(weightLimits({}, { FSFM_WEIGHTS_MAX_TENSOR_BYTES: '5000', FSFM_WEIGHTS_MAX_FILE_BYTES: '9000' })).toEqual({ maxTensorBytes: 5000, maxFileBytes: 9000 });
    expect(() => weightLimits({}, { FSFM_WEIGHTS_MAX_FILE_BYTES: '-1' })).toThrow(/FSFM_WEIGHTS_MAX_FILE_BYTES=-1 must be a positive whole number/);
  });
});

describe('safetensors are read within bounds', () => {
  it('a shape that does not match its byte range, or a tensor above the cap, is refused', () => {
    const file = encodeSafetensors([['w', { shape: [16, 16], values: new Float32Array(256) }]]);
    expect(decodeSafetensors(file).tensors.get('w')?.shape).toEqual([16, 16]);
    expect(() => decodeSafetensors(file, { maxTensorBytes: 512 })).toThrow(WeightFileTooLarge);
    const header = JSON.stringify({ w: { dtype: 'F32', shape: [65536, 65536], data_offsets: [0, 1024] } });
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(header.length));
    expect(() => decodeSafetensors(Buffer.concat([len, Buffer.from(header), Buffer.alloc(1024)]))).toThrow(/shape \[65536,65536\] of F32 needs 17179869184 bytes, its range holds 1024/);
  });
});
