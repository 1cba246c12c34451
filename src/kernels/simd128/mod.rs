//! WebAssembly SIMD128 kernels (`core::arch::wasm32`), compiled only for wasm32 with
//! `+simd128`.
//!
//! - CONV_2D is one GEMM microkernel ([`gemm`]): float 1×1 stride-1 convolutions read the input
//!   as the A matrix directly; other convolutions, and every uint8 one (into i16 panels of 4
//!   pixels), first gather an im2col matrix in scratch memory.
//!   Tiles are 4 pixels × 8 output channels. The stem (3×3, stride 2, 3 input channels) has its
//!   own kernel ([`stem`]) that reads each pixel's window in place from a ring of input rows,
//!   with the GEMM's packed weights.
//!   - uint8: A holds `x − zp_x` and the packed weights `w − zp_w` as i16 (|v| ≤ 255), so
//!     `i32x4.dot_i16x8_s` multiplies 8 pairs and adds them into 4 exact int32 lanes.
//!   - float32: a broadcast A value times two 4-lane weight vectors (fused multiply-add in the
//!     relaxed-SIMD build).
//! - DEPTHWISE_CONV_2D ([`depthwise`]) copies its input rows into a ring of zero-bordered rows
//!   in scratch memory (the border is exactly TFLite's padding: `x − zp_x = 0`), then runs 8
//!   channels per step, a 3×3 block's weights held in registers across an output row.
//! - Requantization ([`requant`]) is, per layer, the cheapest formulation the planner proved
//!   bit-identical to TFLite's double-rounding fixed-point arithmetic ([`super::requantize`]):
//!   float32 where the proof holds, one integer rounding elsewhere.
//!
//! Every kernel checks the slice lengths its geometry implies before touching memory, so the
//! `unsafe` vector loads and stores below are always in bounds.

mod depthwise;
pub mod dot;
mod gemm;
mod pool;
pub mod requant;
mod stem;

use super::{ConvGeom, FloatRange, KernelSet, Kernels, Packed, QuantParams, Scratch};
use core::arch::wasm32::*;
use requant::Requantize;

/// `dst[i] = src[i] − zp` widened to i16 (the uint8 kernels' operand form): 16 values per step,
/// then 8, then one at a time.
#[inline(always)]
fn widen_sub(src: &[u8], zp: i32, dst: &mut [i16]) {
    let n = src.len().min(dst.len());
    let z = i16x8_splat(zp as i16);
    let mut i = 0;
    while i + 16 <= n {
        // SAFETY: i + 16 ≤ n ≤ both lengths.
        unsafe {
            let v = v128_load(src.as_ptr().add(i) as *const v128);
            v128_store(dst.as_mut_ptr().add(i) as *mut v128, i16x8_sub(u16x8_extend_low_u8x16(v), z));
            v128_store(dst.as_mut_ptr().add(i + 8) as *mut v128, i16x8_sub(u16x8_extend_high_u8x16(v), z));
        }
        i += 16;
    }
    if i + 8 <= n {
        // SAFETY: i + 8 ≤ n ≤ both lengths.
        unsafe {
            let v = u16x8_load_extend_u8x8(src.as_ptr().add(i));
            v128_store(dst.as_mut_ptr().add(i) as *mut v128, i16x8_sub(v, z));
        }
        i += 8;
    }
    for j in i..n {
        dst[j] = (i32::from(src[j]) - zp) as i16;
    }
}

/// The output stage of the convolutions: 8 channels' accumulators (two vectors) into outputs,
/// of which the first `valid` are stored.
trait OutputStage {
    /// An output element.
    type Out;
    /// # Safety
    /// `dst` is valid for `valid` (≤ 8) writes, and for 8 when `valid == 8`.
    unsafe fn store(&self, acc: [v128; 2], dst: *mut Self::Out, valid: usize);
}

/// uint8: int32 accumulators requantized by the layer's formulation.
struct Requantized<'a, R>(&'a R);

impl<R: Requantize> OutputStage for Requantized<'_, R> {
    type Out = u8;

    #[inline(always)]
    unsafe fn store(&self, acc: [v128; 2], dst: *mut u8, valid: usize) {
        let bytes = self.0.bytes(acc[0], acc[1]);
        // SAFETY: guaranteed by the caller.
        unsafe {
            if valid == 8 {
                v128_store64_lane::<0>(bytes, dst as *mut u64);
            } else {
                store_bytes(bytes, dst, valid);
            }
        }
    }
}

/// Stores the first `len` (< 16) bytes of `v` at `dst` with lane stores. Not
/// `copy_nonoverlapping` of a variable length, a `memory.copy`, which SpiderMonkey compiles to a
/// call: its register allocator then keeps every vector still live across the call (a tile's
/// accumulators, a depthwise block's weights) in memory for the whole loop around it, and
/// Firefox ran the GEMM at half its speed in Chromium (README, Firefox; the wasm-ops test
/// keeps the convolution kernels free of calls).
///
/// # Safety
/// `dst` is valid for `len` writes.
#[inline(always)]
unsafe fn store_bytes(v: v128, dst: *mut u8, len: usize) {
    debug_assert!(len < 16);
    let (mut v, mut at) = (v, 0);
    // SAFETY: each store writes below `len` (guaranteed by the caller).
    unsafe {
        if len & 8 != 0 {
            v128_store64_lane::<0>(v, dst as *mut u64);
            v = u64x2_shuffle::<1, 1>(v, v);
            at = 8;
        }
        if len & 4 != 0 {
            v128_store32_lane::<0>(v, dst.add(at) as *mut u32);
            v = u64x2_shr(v, 32);
            at += 4;
        }
        if len & 2 != 0 {
            v128_store16_lane::<0>(v, dst.add(at) as *mut u16);
            v = u64x2_shr(v, 16);
            at += 2;
        }
        if len & 1 != 0 {
            v128_store8_lane::<0>(v, dst.add(at));
        }
    }
}

/// float: accumulators clamped to the activation range.
struct Clamped {
    lo: v128,
    hi: v128,
}

impl Clamped {
    fn new(act: &FloatRange) -> Clamped {
        Clamped { lo: f32x4_splat(act.min), hi: f32x4_splat(act.max) }
    }

    /// Clamps 4 lanes. The pseudo-minimum and -maximum are one instruction each on x64, where
    /// `f32x4.min` and `.max` (their NaN and −0 rules) take about eight; they differ only on NaN,
    /// which the engine rejects at the input, and on the sign of a zero.
    #[inline(always)]
    fn clamp(&self, v: v128) -> v128 {
        f32x4_pmin(f32x4_pmax(v, self.lo), self.hi)
    }

    /// Stores the first `valid` (all 4 if `valid ≥ 4`) of 4 clamped lanes.
    ///
    /// # Safety
    /// `dst` is valid for `valid.min(4)` writes.
    #[inline(always)]
    unsafe fn store4(&self, acc: v128, dst: *mut f32, valid: usize) {
        let v = self.clamp(acc);
        // SAFETY: guaranteed by the caller.
        unsafe {
            if valid >= 4 {
                v128_store(dst as *mut v128, v);
            } else {
                store_bytes(v, dst as *mut u8, valid * 4);
            }
        }
    }
}

impl OutputStage for Clamped {
    type Out = f32;

    #[inline(always)]
    unsafe fn store(&self, acc: [v128; 2], dst: *mut f32, valid: usize) {
        // SAFETY: guaranteed by the caller.
        unsafe {
            self.store4(acc[0], dst, valid);
            if valid > 4 {
                self.store4(acc[1], dst.add(4), valid - 4);
            }
        }
    }
}

/// CONV_2D: the stem kernel where it applies (3×3, stride 2, 3 input channels) and is faster
/// (at most 16 output channels, [`stem::faster_u8`]), else the GEMM.
fn conv2d_u8(
    g: &ConvGeom,
    q: &QuantParams,
    input: &[u8],
    packed: &Packed,
    output: &mut [u8],
    scratch: Scratch<'_>,
) {
    if stem::faster_u8(g) {
        stem::conv2d_u8(g, q, input, packed, output, scratch)
    } else {
        gemm::conv2d_u8(g, q, input, packed, output, scratch)
    }
}

/// CONV_2D, float: the stem kernel wherever it applies, else the GEMM.
fn conv2d_f32(
    g: &ConvGeom,
    act: &FloatRange,
    input: &[f32],
    packed: &Packed,
    output: &mut [f32],
    scratch: Scratch<'_>,
) {
    if stem::applies(g) {
        stem::conv2d_f32(g, act, input, packed, output, scratch)
    } else {
        gemm::conv2d_f32(g, act, input, packed, output, scratch)
    }
}

/// The SIMD128 implementation of every kernel.
pub const KERNELS: KernelSet = KernelSet {
    name: if cfg!(target_feature = "relaxed-simd") { "relaxed-simd" } else { "simd128" },
    u8: Kernels {
        pack_conv2d: gemm::pack_u8,
        pack_depthwise: depthwise::pack_u8,
        conv2d: conv2d_u8,
        depthwise: depthwise::depthwise_u8,
        avg_pool: pool::avg_pool_u8,
        softmax: super::softmax_u8_common,
    },
    f32: Kernels {
        pack_conv2d: gemm::pack_f32,
        pack_depthwise: depthwise::pack_f32,
        conv2d: conv2d_f32,
        depthwise: depthwise::depthwise_f32,
        avg_pool: pool::avg_pool_f32,
        softmax: super::softmax_f32_common,
    },
};

/// [`KERNELS`] with the uint8 GEMM on the relaxed 8-bit dot product ([`dot`]) read unsigned ×
/// signed (x86 AVX-VNNI): correct only where [`dot::probe`] finds the host computing it so
/// (see [`crate::kernels::dot_set`]).
#[cfg(target_feature = "relaxed-simd")]
pub const KERNELS_DOT_VNNI: KernelSet = KernelSet {
    name: "relaxed-simd+dot-vnni",
    u8: Kernels {
        pack_conv2d: dot::pack_u8::<dot::RelaxedUnsigned>,
        conv2d: dot::conv2d_u8::<dot::RelaxedUnsigned>,
        ..KERNELS.u8
    },
    ..KERNELS
};

/// As [`KERNELS_DOT_VNNI`], the instruction read signed × signed (ARM dot product).
#[cfg(target_feature = "relaxed-simd")]
pub const KERNELS_DOT_SDOT: KernelSet = KernelSet {
    name: "relaxed-simd+dot-sdot",
    u8: Kernels {
        pack_conv2d: dot::pack_u8::<dot::RelaxedSigned>,
        conv2d: dot::conv2d_u8::<dot::RelaxedSigned>,
        ..KERNELS.u8
    },
    ..KERNELS
};

/// For the tests, on any host: the dot-product kernels with the instruction replaced by an
/// exact SIMD128 emulation of each reading (unsigned × signed, signed × signed) — everything
/// but the instruction itself, whose reading [`dot::probe`] checks.
pub const EMULATED_DOT: [KernelSet; 2] = [
    KernelSet {
        name: "dot-emulated-vnni",
        u8: Kernels {
            pack_conv2d: dot::pack_u8::<dot::Emulated<false>>,
            conv2d: dot::conv2d_u8::<dot::Emulated<false>>,
            ..KERNELS.u8
        },
        ..KERNELS
    },
    KernelSet {
        name: "dot-emulated-sdot",
        u8: Kernels {
            pack_conv2d: dot::pack_u8::<dot::Emulated<true>>,
            conv2d: dot::conv2d_u8::<dot::Emulated<true>>,
            ..KERNELS.u8
        },
        ..KERNELS
    },
];
