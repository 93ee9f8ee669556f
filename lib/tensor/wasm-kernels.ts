/**
 * Replacement Slice / Unpack / SplitV kernels for the wasm backend of TensorFlow.js 4.22.
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
 */
import * as tf from '@tensorflow/tfjs';

type KernelArgs = Parameters<tf.KernelFunc>[0];
type TypedArray = Float32Array | Int32Array | Uint8Array;

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): TypedArray;
}

let installed = false;

/** Idempotent. Safe to call before or after other kernels ran; affects only backend 'wasm'. */
export function installWasmKernelFixes(): void {
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

  replace('Slice', slice as tf.KernelFunc);
  replace('Unpack', unpack as unknown as tf.KernelFunc);
  if (tf.getKernel('SplitV', 'wasm')) replace('SplitV', splitV as unknown as tf.KernelFunc);
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
