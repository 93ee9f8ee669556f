/**
 * Replacement Slice / Unpack / SplitV / Identity / GatherV2 / Transpose kernels for the wasm backend of
 * TensorFlow.js 4.22.
 *
 * Why: the stock wasm Slice kernel copies the *whole* input out of the wasm heap (`readSync`) before it
 * takes its slice, and Unpack/SplitV call it once per output. Splitting [B·H, L, d] into B·H matrices
 * therefore copies the full tensor B·H times. Measured on the 2-core box, unstacking a [32, 197, 32]
 * tensor: 14.4 ms stock, 0.65 ms with these kernels (bit-identical output). Multi-head attention as a
 * loop of plain 2-D matMuls (lib/model/attention.ts) depends on cheap unstacking.
 *
 * The replacements read the input through a view on the wasm heap instead of a copy. The view is taken
 * after the output is allocated, because an allocation may grow (and so detach) the heap buffer.
 * String tensors keep the stock kernel.
 *
 * Three more, found by profiling a training step kernel by kernel (bench/train.ts --profile):
 *   Identity   the stock kernel copies the data. TensorFlow.js runs it for every tensor an op saves for its
 *              gradient (engine.clone), so a training step copied ~every activation once more and held both
 *              copies until backprop ended. Now it shares the buffer by reference count, as the cpu backend's
 *              Identity and wasm's own Reshape do (kernels never write into their inputs).
 *   GatherV2   the stock kernel gathers element by element (demo step: 7 ms per call for a [1568, 192]
 *              row gather); gathering whole rows along axis 0 is now one typed-array copy per row.
 *   Transpose  the stock 2-D kernel writes with a stride of R floats; when R is a multiple of a large power
 *              of two (weights [2048, 512], [3072, 768]) every write misses cache: 7 ns per element against
 *              ~1 ns. Such a transpose now runs in two cache-friendly passes through the stock kernel:
 *              [R/64, 64, C] -> [R/64, C, 64] (64-float write stride) -> [C, R/64, 64] (64-float rows).
 *              Measured on the 2-core box: [2048, 512] 6.9 -> 1.4 ns/element, [3072, 768] 6.8 -> 1.2.
 */
import * as tf from '@tensorflow/tfjs';
import { installSimdKernels } from './simd-kernels.js';

type KernelArgs = Parameters<tf.KernelFunc>[0];
type TypedArray = Float32Array | Int32Array | Uint8Array;

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): TypedArray;
  incRef(dataId: tf.DataId): void;
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
}

let installed = false;

/** Idempotent. Safe to call before or after other kernels ran; affects only backend 'wasm'. */
export function installWasmKernelFixes(): void {
  installSimdKernels();
  if (installed) return;
  const stockSlice = tf.getKernel('Slice', 'wasm');
  if (!stockSlice) return; // wasm backend not loaded: nothing to fix
  installed = true;

  const slice = (args: KernelArgs): tf.TensorInfo => {
    const x = args.inputs.x as tf.TensorInfo;
    if (x.dtype === 'string') return stockSlice.kernelFunc(args) as tf.TensorInfo;
    const { begin, size } = args.attrs as unknown as { begin: number | number[]; size?: number | number[] };
    const [b, s] = tf.slice_util.parseSliceParams(x, begin, size) as [number[], number[]];
    return sliceInto(args.backend as unknown as WasmBackendLike, x, b, s);
  };

  const unpack = (args: KernelArgs): tf.TensorInfo[] => {
    const value = args.inputs.value as tf.TensorInfo;
    const rank = value.shape.length;
    const axisAttr = (args.attrs as unknown as { axis: number }).axis;
    const axis = axisAttr < 0 ? axisAttr + rank : axisAttr;
    const outShape = value.shape.filter((_, i) => i !== axis);
    const begin = new Array<number>(rank).fill(0);
    const size = value.shape.slice();
    size[axis] = 1;
    const outs: tf.TensorInfo[] = [];
    for (let i = 0; i < value.shape[axis]; i++) {
      begin[axis] = i;
      const piece = sliceInto(args.backend as unknown as WasmBackendLike, value, begin, size);
      outs.push({ dataId: piece.dataId, dtype: piece.dtype, shape: outShape });
    }
    return outs;
  };

  const splitV = (args: KernelArgs): tf.TensorInfo[] => {
    const x = args.inputs.x as tf.TensorInfo;
    const { numOrSizeSplits, axis } = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
    const ax = tf.util.parseAxisParam(axis, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, ax);
    const begin = new Array<number>(x.shape.length).fill(0);
    const outs: tf.TensorInfo[] = [];
    for (const part of sizes) {
      const size = x.shape.slice();
      size[ax] = part;
      outs.push(sliceInto(args.backend as unknown as WasmBackendLike, x, begin, size));
      begin[ax] += part;
    }
    return outs;
  };

  const stockIdentity = tf.getKernel('Identity', 'wasm')!;
  const identity = (args: KernelArgs): tf.TensorInfo => {
    const x = args.inputs.x as tf.TensorInfo;
    if (x.dtype === 'string') return stockIdentity.kernelFunc(args) as tf.TensorInfo;
    (args.backend as unknown as WasmBackendLike).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape.slice(), dtype: x.dtype };
  };

  const stockGather = tf.getKernel('GatherV2', 'wasm')!;
  const gather = (args: KernelArgs): tf.TensorInfo => {
    const x = args.inputs.x as tf.TensorInfo;
    const indices = args.inputs.indices as tf.TensorInfo;
    const { axis, batchDims } = args.attrs as unknown as { axis: number; batchDims: number };
    const ax = tf.util.parseAxisParam(axis, x.shape)[0];
    if (ax !== 0 || (batchDims ?? 0) !== 0 || x.dtype === 'string' || indices.dtype !== 'int32' || x.shape.length === 0) {
      return stockGather.kernelFunc(args) as tf.TensorInfo;
    }
    return gatherRows(args.backend as unknown as WasmBackendLike, x, indices);
  };

  const stockTranspose = tf.getKernel('Transpose', 'wasm')!;
  const transpose = (args: KernelArgs): tf.TensorInfo => {
    const x = args.inputs.x as tf.TensorInfo;
    const perm = (args.attrs as unknown as { perm: number[] }).perm;
    const split = x.dtype === 'float32' ? blockedTransposePlan(x.shape, perm) : null;
    if (!split) return stockTranspose.kernelFunc(args) as tf.TensorInfo;
    const backend = args.backend as unknown as WasmBackendLike;
    const { lead, rows, cols } = split;
    const k = lead.length;
    const run = (input: tf.TensorInfo, p: number[]) =>
      stockTranspose.kernelFunc({ inputs: { x: input }, attrs: { perm: p } as unknown as tf.NamedAttrMap, backend: args.backend }) as tf.TensorInfo;
    const identityPerm = lead.map((_, i) => i);
    // [..., R/64, 64, C] -> [..., R/64, C, 64] -> [..., C, R/64, 64] = [..., C, R]
    const tmp = run({ dataId: x.dataId, shape: [...lead, rows / TILE, TILE, cols], dtype: x.dtype }, [...identityPerm, k, k + 2, k + 1]);
    const out = run(tmp, [...identityPerm, k + 1, k, k + 2]);
    backend.disposeData(tmp.dataId);
    return { dataId: out.dataId, shape: [...lead, cols, rows], dtype: x.dtype };
  };

  replace('Slice', slice as tf.KernelFunc);
  replace('Unpack', unpack as unknown as tf.KernelFunc);
  if (tf.getKernel('SplitV', 'wasm')) replace('SplitV', splitV as unknown as tf.KernelFunc);
  replace('Identity', identity as tf.KernelFunc);
  replace('GatherV2', gather as tf.KernelFunc);
  replace('Transpose', transpose as tf.KernelFunc);
}

const TILE = 64;

/**
 * A transpose that swaps the last two axes of [...lead, R, C] (lead ≤ 2 axes) with R a multiple of 64 and
 * both sides large enough for the stock kernel's stride problem to matter; else null.
 */
function blockedTransposePlan(shape: number[], perm: number[]): { lead: number[]; rows: number; cols: number } | null {
  const rank = shape.length;
  if (rank < 2 || rank > 4) return null;
  for (let i = 0; i < rank - 2; i++) if (perm[i] !== i) return null;
  if (perm[rank - 2] !== rank - 1 || perm[rank - 1] !== rank - 2) return null;
  const rows = shape[rank - 2];
  const cols = shape[rank - 1];
  if (rows % TILE !== 0 || rows < 2 * TILE || cols < 16) return null;
  return { lead: shape.slice(0, rank - 2), rows, cols };
}

/** x[indices] along axis 0 as one copy per row. x: [R, ...], indices: int32 of any shape -> [...indices, ...]. */
function gatherRows(backend: WasmBackendLike, x: tf.TensorInfo, indices: tf.TensorInfo): tf.TensorInfo {
  const rowShape = x.shape.slice(1);
  const rowSize = tf.util.sizeFromShape(rowShape);
  const count = tf.util.sizeFromShape(indices.shape);
  const out = backend.makeOutput([...indices.shape, ...rowShape], x.dtype);
  if (count === 0 || rowSize === 0) return out;
  const idx = backend.typedArrayFromHeap(indices);
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  const numRows = x.shape[0];
  for (let i = 0; i < count; i++) {
    const r = idx[i];
    if (!(r >= 0 && r < numRows)) {
      backend.disposeData(out.dataId);
      throw new Error(`GatherV2: the index value ${r} is not in [0, ${numRows - 1}]`);
    }
    dst.set(src.subarray(r * rowSize, (r + 1) * rowSize), i * rowSize);
  }
  return out;
}

function replace(kernelName: string, kernelFunc: tf.KernelFunc): void {
  tf.unregisterKernel(kernelName, 'wasm');
  tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
}

function sliceInto(backend: WasmBackendLike, x: tf.TensorInfo, begin: number[], size: number[]): tf.TensorInfo {
  const out = backend.makeOutput(size, x.dtype);
  const count = tf.util.sizeFromShape(size);
  if (count === 0) return out;
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  const strides = tf.util.computeStrides(x.shape);
  if (tf.slice_util.isSliceContinous(x.shape, begin, size)) {
    const offset = tf.slice_util.computeFlatOffset(begin, strides);
    dst.set(src.subarray(offset, offset + count));
    return out;
  }
  // Copy innermost rows; an odometer walks the outer indices.
  const rank = x.shape.length;
  const inner = size[rank - 1];
  const rows = count / inner;
  const idx = new Array<number>(Math.max(rank - 1, 0)).fill(0);
  for (let row = 0; row < rows; row++) {
    let offset = begin[rank - 1];
    for (let d = 0; d < rank - 1; d++) offset += (begin[d] + idx[d]) * strides[d];
    dst.set(src.subarray(offset, offset + inner), row * inner);
    for (let d = rank - 2; d >= 0; d--) {
      if (++idx[d] < size[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}
