//! WebAssembly SIMD128 kernels.
