export { initBackend, currentBackend, BACKEND_PREFERENCES, type BackendName, type BackendPreference, type BackendSelection, type InitBackendOptions } from './backend.js';
export { tensorOptionsSchema, type TensorOptions } from './options.js';
export { installWasmKernelFixes } from './wasm-kernels.js';
export { installSimdKernels, fusedAdamW, fusedLerp, freshCopy, type AdamWConstants } from './simd-kernels.js';
