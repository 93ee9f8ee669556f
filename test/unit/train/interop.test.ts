import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { IntegrityError, InvalidConfig } from '../../../lib/errors.js';
import { FsfmModel } from '../../../lib/model/model.js';
import { sinCosPosEmbed2d } from '../../../lib/model/pos-embed.js';
import { PyObject, unpickle } from '../../../lib/train/interop/pickle.js';
import { decodeSafetensors, encodeSafetensors } from '../../../lib/train/interop/safetensors.js';
import { openTorchCheckpoint, torchCheckpointArch, TorchTensorRef } from '../../../lib/train/interop/torch.js';
import { referenceEncoderArch } from '../../../lib/model/presets.js';
import { exportEncoderSafetensors, importEncoderSafetensors, importTorchCheckpoint, isEncoderParam, torchStateDict } from '../../../lib/train/interop/weights.js';
import { bufferAccess, ZipReader } from '../../../lib/train/interop/zip.js';
import { TEST_ARCH, useTestBackend } from '../model/backend-for-tests.js';
import { floatToHalf, PickleWriter, type PickleValue, type TensorSpec, torchArchive, writeZip } from './torch-fixture.js';

const weightsOf = (m: FsfmModel, which: 'online' | 'target') => new Map(m.namedWeights()[which].map(([n, v]) => [n, v.dataSync().slice()]));

describe('safetensors', () => {
  beforeAll(async () => {
    await useTestBackend();
  });

  it('encoder export then import is lossless, under timm names and PyTorch layouts', () => {
    const a = new FsfmModel({ preset: 'demo', arch: TEST_ARCH, seed: 1 });
    const b = new FsfmModel({ preset: 'demo', arch: TEST_ARCH, seed: 2 });
    const file = exportEncoderSafetensors(a.online, { run: 'test' });
    const { tensors, metadata } = decodeSafetensors(file);
    expect(metadata).toMatchObject({ format: 'pt', run: 'test' });
    // timm ViT names and shapes (embed 32, 8 px patches, 16 patches).
    expect(tensors.get('patch_embed.proj.weight')!.shape).toEqual([32, 3, 8, 8]);
    expect(tensors.get('cls_token')!.shape).toEqual([1, 1, 32]);
    expect(tensors.get('pos_embed')!.shape).toEqual([1, 17, 32]);
    expect(tensors.get('pos_embed')!.values).toEqual(sinCosPosEmbed2d(32, 4, true));
    expect(tensors.get('blocks.0.attn.qkv.weight')!.shape).toEqual([96, 32]);
    expect([...tensors.keys()].slice(0, 4)).toEqual(['patch_embed.proj.weight', 'patch_embed.proj.bias', 'cls_token', 'pos_embed']);
    expect([...tensors.keys()].some((n) => n.startsWith('decoder') || n.startsWith('projector'))).toBe(false);
    // nn.Linear stores [out, in]: torch[o][i] = ours[i][o].
    const ours = a.online.params.get('blocks.0.attn.qkv.weight').dataSync();
    const torch = tensors.get('blocks.0.attn.qkv.weight')!.values;
    expect(torch[5 * 32 + 7]).toBe(ours[7 * 96 + 5]);

    const before = weightsOf(b, 'online');
    const report = importEncoderSafetensors(b.online, file);
    expect(report.missing).toEqual([]);
    expect(report.recomputed).toEqual(['pos_embed']);
    const wa = weightsOf(a, 'online');
    const wb = weightsOf(b, 'online');
    for (const [name, values] of wb) {
      if (isEncoderParam(name)) expect(values, name).toEqual(wa.get(name));
      else expect(values, name).toEqual(before.get(name));
    }
    expect(report.loaded.length).toBe([...wa.keys()].filter(isEncoderParam).length);
    a.dispose();
    b.dispose();
  });

  it('records the architecture in the metadata, and refuses weights of another one even when every shape fits', () => {
    const a = new FsfmModel({ preset: 'demo', arch: TEST_ARCH, seed: 1 });
    // 4 heads instead of 2 over the same 32 channels: identical weight shapes, a different computation.
    const b = new FsfmModel({ preset: 'demo', arch: { ...TEST_ARCH, numHeads: 4 }, seed: 2 });
    const file = exportEncoderSafetensors(a.online);
    expect(JSON.parse(decodeSafetensors(file).metadata.fsfm_arch)).toEqual(a.arch);
    expect(() => importEncoderSafetensors(b.online, file)).toThrow(InvalidConfig);
    expect(() => importEncoderSafetensors(b.online, file)).toThrow(/holds a ViT 32 wide, 2 blocks, 2 heads.*is a ViT 32 wide, 2 blocks, 4 heads.*numHeads 2 vs 4/);
    // Without the record (timm's own files) the shapes are all there is to check.
    const { tensors } = decodeSafetensors(file);
    expect(importEncoderSafetensors(b.online, encodeSafetensors(tensors)).missing).toEqual([]);
    a.dispose();
    b.dispose();
  });

  it('reads half and bfloat16 tensors and rejects shape mismatches', () => {
    const f16 = Buffer.alloc(4);
    f16.writeUInt16LE(0x3c00, 0); // 1.0
    f16.writeUInt16LE(0xc100, 2); // -2.5
    const header = JSON.stringify({ h: { dtype: 'F16', shape: [2], data_offsets: [0, 4] }, b: { dtype: 'BF16', shape: [1], data_offsets: [4, 6] } });
    const bf = Buffer.alloc(2);
    bf.writeUInt16LE(0x4049, 0); // bfloat16 of ≈ 3.140625
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(header.length));
    const { tensors } = decodeSafetensors(Buffer.concat([len, Buffer.from(header), f16, bf]));
    expect(Array.from(tensors.get('h')!.values)).toEqual([1, -2.5]);
    expect(tensors.get('b')!.values[0]).toBe(3.140625);
    const model = new FsfmModel({ preset: 'demo', arch: TEST_ARCH });
    const wrong = encodeSafetensors([['cls_token', { shape: [1, 1, 16], values: new Float32Array(16) }]]);
    expect(() => importEncoderSafetensors(model.online, wrong, { strict: false })).toThrow(InvalidConfig);
    model.dispose();
  });
});

describe("the reference's .pth checkpoints", () => {
  beforeAll(async () => {
    await useTestBackend();
  });

  /** The online state dict of `model` as torch.save would write it, plus views the reader must handle. */
  function referenceCheckpoint(model: FsfmModel, modelName = 'fsfm_vit_test_patch8'): { file: Buffer; extras: Record<string, number[]> } {
    const storages = new Map<string, Buffer>();
    const dict: [string, PickleValue][] = [];
    const f32 = (values: Float32Array) => Buffer.from(Float32Array.from(values).buffer);
    const tensor = (key: string, numel: number, offset: number, shape: number[], stride: number[], dtype: 'float32' | 'float16' = 'float32'): TensorSpec => ({
      $tensor: { key, dtype, numel, offset, shape, stride },
    });
    const contiguous = (shape: number[]) => shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
    let key = 0;
    for (const [name, t] of torchStateDict(model.online)) {
      const k = String(key++);
      storages.set(k, f32(t.values));
      dict.push([name, tensor(k, t.values.length, 0, t.shape, contiguous(t.shape))]);
      if (name === 'cls_token') {
        // The reference's fixed buffers ride along in its state_dict.
        const pos = sinCosPosEmbed2d(32, 4, true);
        storages.set('pos', f32(pos));
        dict.push(['pos_embed', tensor('pos', pos.length, 0, [1, 17, 32], [544, 32, 1])]);
      }
    }
    // Two views into one storage (offsets), a transposed view (strides) and a half-precision tensor.
    storages.set('shared', f32(Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8])));
    dict.push(['extra.first', tensor('shared', 8, 0, [2, 2], [2, 1])]);
    dict.push(['extra.second', tensor('shared', 8, 4, [4], [1])]);
    storages.set('t', f32(Float32Array.from([1, 2, 3, 4, 5, 6])));
    dict.push(['extra.transposed', tensor('t', 6, 0, [3, 2], [1, 3])]);
    const half = Buffer.alloc(6);
    [0.5, -1.25, 1024].forEach((x, i) => half.writeUInt16LE(floatToHalf(x), i * 2));
    storages.set('h', half);
    dict.push(['extra.half', tensor('h', 3, 0, [3], [1], 'float16')]);
    const root: PickleValue = {
      model: { $ordered: dict },
      optimizer: { state: {}, param_groups: [[{ lr: 0.0006, weight_decay: 0.05, params: [0, 1, 2, 3] }]] },
      epoch: 399,
      scaler: { scale: 65536.0, growth_factor: 2.0, _growth_tracker: 1234567 },
      args: { $namespace: { model: modelName, input_size: 32, blr: 0.00015, mask_ratio: 0.75, seed: -1, big: 2 ** 40, norm_pix_loss: true, resume: null } },
    };
    return {
      file: torchArchive('checkpoint-399', root, storages),
      extras: { 'extra.first': [1, 2, 3, 4], 'extra.second': [5, 6, 7, 8], 'extra.transposed': [1, 4, 2, 5, 3, 6], 'extra.half': [0.5, -1.25, 1024] },
    };
  }

  it('a torch.save archive written from known tensors loads with the right names, shapes and values', async () => {
    const source = new FsfmModel({ preset: 'demo', arch: TEST_ARCH, seed: 5 });
    const { file, extras } = referenceCheckpoint(source);
    const dir = await mkdtemp(path.join(tmpdir(), 'fsfm-pth-'));
    try {
      const pth = path.join(dir, 'checkpoint-399.pth');
      await writeFile(pth, file);
      const ckpt = await openTorchCheckpoint(pth);
      const root = ckpt.root as Map<string, unknown>;
      expect(root.get('epoch')).toBe(399);
      expect((root.get('scaler') as Map<string, unknown>).get('_growth_tracker')).toBe(1234567);
      const args = root.get('args') as PyObject;
      expect(args).toBeInstanceOf(PyObject);
      expect(args.cls.qualified).toBe('argparse.Namespace');
      const state = args.state as Map<string, unknown>;
      expect([state.get('blr'), state.get('seed'), state.get('big'), state.get('norm_pix_loss'), state.get('resume')]).toEqual([0.00015, -1, 2 ** 40, true, null]);
      const dict = await ckpt.stateDict('model');
      for (const [name, values] of Object.entries(extras)) expect(Array.from(dict.get(name)!.values), name).toEqual(values);
      expect(dict.get('extra.transposed')!.shape).toEqual([3, 2]);
      expect(dict.get('patch_embed.proj.weight')!.shape).toEqual([32, 3, 8, 8]);
      expect((root.get('model') as Map<string, unknown>).get('cls_token')).toBeInstanceOf(TorchTensorRef);
      await ckpt.close();

      const target = new FsfmModel({ preset: 'demo', arch: TEST_ARCH, seed: 6 });
      const report = await importTorchCheckpoint(target.online, pth);
      expect(report.missing).toEqual([]);
      expect(report.recomputed).toEqual(['pos_embed']);
      expect(report.unexpected).toEqual(Object.keys(extras));
      const want = weightsOf(source, 'online');
      for (const [name, values] of weightsOf(target, 'online')) expect(values, name).toEqual(want.get(name));

      // encoderOnly into a network that lacks the heads' values elsewhere; a missing key is reported, not loaded.
      const other = new FsfmModel({ preset: 'demo', arch: TEST_ARCH, seed: 7 });
      const enc = await importTorchCheckpoint(other.target, file, { encoderOnly: true });
      expect(enc.loaded.every(isEncoderParam)).toBe(true);
      expect(weightsOf(other, 'target').get('blocks.1.mlp.fc2.weight')).toEqual(want.get('blocks.1.mlp.fc2.weight'));
      await expect(importTorchCheckpoint(other.online, file, { key: 'nope' })).rejects.toThrow(/no state dict under 'nope'.*model, optimizer/);
      for (const m of [source, target, other]) m.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("reads the architecture from the checkpoint's args and refuses to load it into another one", async () => {
    const source = new FsfmModel({ preset: 'demo', arch: TEST_ARCH, seed: 5 });
    const { file } = referenceCheckpoint(source, 'fsfm_vit_small_patch16');
    const ckpt = await openTorchCheckpoint(file);
    // models_fsfm.fsfm_vit_small_patch16: 384 wide, 12 blocks, 12 heads; input_size from args.
    expect(torchCheckpointArch(ckpt.root)).toEqual({ embedDim: 384, depth: 12, numHeads: 12, patchSizePx: 16, mlpRatio: 4, imageSizePx: 32 });
    await ckpt.close();
    expect(referenceEncoderArch('vit_large_patch16')).toEqual({ embedDim: 1024, depth: 24, numHeads: 16, patchSizePx: 16, mlpRatio: 4 });
    expect(referenceEncoderArch('resnet50')).toBeNull();
    await expect(importTorchCheckpoint(source.online, file)).rejects.toThrow(/\(args\.model\) holds a ViT 384 wide, 12 blocks, 12 heads.*is a ViT 32 wide, 2 blocks, 2 heads/);
    source.dispose();
  });

  it('refuses a missing parameter unless told not to be strict', async () => {
    const model = new FsfmModel({ preset: 'demo', arch: TEST_ARCH });
    const storages = new Map([['0', Buffer.from(new Float32Array(32).buffer)]]);
    const file = torchArchive('archive', { model: { $ordered: [['cls_token', { $tensor: { key: '0', dtype: 'float32', numel: 32, offset: 0, shape: [1, 1, 32], stride: [32, 32, 1] } }]] } }, storages);
    await expect(importTorchCheckpoint(model.online, file)).rejects.toThrow(/missing/);
    const report = await importTorchCheckpoint(model.online, file, { strict: false });
    expect(report.loaded).toEqual(['cls_token']);
    expect(model.online.params.get('cls_token').dataSync().every((x) => x === 0)).toBe(true);
    model.dispose();
  });
});

describe('zip and pickle readers', () => {
  it('read deflated entries and catch corruption by CRC-32', async () => {
    const data = Buffer.from('hello torch '.repeat(100));
    const zip = writeZip([{ name: 'a/deflated', data, deflate: true }, { name: 'a/stored', data }]);
    const reader = await ZipReader.open(bufferAccess(zip));
    expect(reader.names()).toEqual(['a/deflated', 'a/stored']);
    expect((await reader.read('a/deflated')).equals(data)).toBe(true);
    expect((await reader.read('a/stored')).equals(data)).toBe(true);
    const corrupt = Buffer.from(zip);
    corrupt[corrupt.indexOf('hello torch hello', 200) + 3] ^= 1;
    await expect((await ZipReader.open(bufferAccess(corrupt))).read('a/stored')).rejects.toThrow(IntegrityError);
    await expect(ZipReader.open(bufferAccess(Buffer.from('not a zip at all, not at all')))).rejects.toThrow(/not a zip/);
  });

  it('unpickles ints of every width, floats, memo references and nested containers', () => {
    const w = new PickleWriter();
    const bytes = w.dumps({ ints: [0, 255, 256, 65536, -1, -(2 ** 31), 2 ** 31, -(2 ** 40), 2 ** 53 - 1], f: -0.125, nested: [[1, 'x'], { k: null }] } as PickleValue);
    const v = unpickle(bytes) as Map<string, unknown>;
    expect(v.get('ints')).toEqual([0, 255, 256, 65536, -1, -(2 ** 31), 2 ** 31, -(2 ** 40), 2 ** 53 - 1]);
    expect(v.get('f')).toBe(-0.125);
    expect(v.get('nested')).toEqual([[1, 'x'], new Map([['k', null]])]);
    expect(() => unpickle(Buffer.from([0x80, 0x02, 0x69]))).toThrow(/opcode 0x69/);
  });
});
