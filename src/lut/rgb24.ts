// The rgb24 LUT kernel is WebAssembly SIMD (rgb24Wasm.ts), with the bytes of the JavaScript one
// that was here.
export { applyLutRgb24 } from './rgb24Wasm.js';
