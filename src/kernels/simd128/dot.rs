//! The uint8 GEMM on the relaxed 8-bit dot product (`i32x4.relaxed_dot_i8x16_i7x16_add_s`),
//! used only where [`probe`] found the host computing it exactly, in one of two readings.
//!
//! The instruction multiplies 16 signed bytes `a` by 16 bytes `b` whose top bit the host may read
//! as signed or unsigned, and adds each group of 4 products to a 32-bit lane; its i16
//! intermediate may saturate (`pmaddubsw`: V8 on x86 without AVX-VNNI — Node 20 and Chromium
//! 156 on this project's AMD EPYC test machine, which has AVX512-VNNI but not AVX-VNNI). A tile
//! multiplies 4 k per instruction where `i32x4.dot_i16x8_s` multiplies 2. The weights go in `a`
//! as `w − 128` (every uint8 fits); the activations in `b`:
//!
//! - unsigned × signed (x86 AVX-VNNI, `vpdpbusd`): `b = x`, and
//!   `Σ (w − zw)(x − zx) = Σ (w − 128)·x + (128 − zw)·Σ x − zx·Σ (w − zw)`;
//! - signed × signed (ARM `sdot`): `b = x − 128` (the top bit flipped), and
//!   `Σ (w − 128)·x = Σ (w − 128)(x − 128) + 128·Σ (w − 128)`, the last term a per-channel
//!   constant the packer adds to the bias.
//!
//! `(128 − zw)·Σ x` is per pixel: computed while A is copied, stored at the end of its row.
//! `zx·Σ (w − zw)` is per channel: the packer keeps `Σ (w − zw)` beside the bias (the input zero
//! point is known only when the layer runs). All of it in wrapping int32, as every accumulator
//! here, so the result is the `i16` kernel's exactly.
//!
//! Packed layout (N8 = out_c rounded up to 8, K4 = ⌈K/4⌉): `u8` `[N8/8][K4][8][4]` — for each
//! block of 8 output channels and each group of 4 k, the 8 channels' four bytes `w − 128` (as
//! i8), zero-padded; `i32` the bias (signed × signed: plus `128·Σ (w − 128)`) `[N8]` then
//! `Σ_k (w − zw)` `[N8]`. A rows: `K4·4` bytes of `b` (taps in the padding `zx` before the flip;
//! the tail meets zero weights), then the i32 correction.
//!
//! The instruction is a parameter ([`DotOp`]): besides the relaxed instruction (relaxed-SIMD
//! builds) an exact emulation of each reading from SIMD128 operations, so the tests run every
//! other part of both kernels — packing, A, corrections, tiles — on any host.

use super::Requantized;
use super::gemm::{Microkernel, NR, gemm, im2col};
use super::requant::{Requantize, with_requant};
use crate::kernels::{ConvGeom, FilterShape, Packed, QuantParams, Scratch};
use core::arch::wasm32::*;
use core::marker::PhantomData;
#[cfg(target_feature = "relaxed-simd")]
use core::sync::atomic::{AtomicU8, Ordering};

/// The dot product a kernel runs: `c` plus, per 32-bit lane, the sum of 4 products of `a`'s
/// signed bytes and `b`'s bytes, read as signed when [`DotOp::SIGNED_B`].
pub trait DotOp {
    const SIGNED_B: bool;
    fn dot(a: v128, b: v128, c: v128) -> v128;
}

/// The relaxed instruction where the host reads `b` unsigned (AVX-VNNI).
#[cfg(target_feature = "relaxed-simd")]
pub struct RelaxedUnsigned;
/// The relaxed instruction where the host reads `b` signed (ARM dot product).
#[cfg(target_feature = "relaxed-simd")]
pub struct RelaxedSigned;

#[cfg(target_feature = "relaxed-simd")]
impl DotOp for RelaxedUnsigned {
    const SIGNED_B: bool = false;
    #[inline(always)]
    fn dot(a: v128, b: v128, c: v128) -> v128 {
        i32x4_relaxed_dot_i8x16_i7x16_add(a, b, c)
    }
}

#[cfg(target_feature = "relaxed-simd")]
impl DotOp for RelaxedSigned {
    const SIGNED_B: bool = true;
    #[inline(always)]
    fn dot(a: v128, b: v128, c: v128) -> v128 {
        i32x4_relaxed_dot_i8x16_i7x16_add(a, b, c)
    }
}

/// An exact emulation of one reading, from SIMD128 operations (for the tests).
pub struct Emulated<const SIGNED_B: bool>;

impl<const S: bool> DotOp for Emulated<S> {
    const SIGNED_B: bool = S;
    #[inline(always)]
    fn dot(a: v128, b: v128, c: v128) -> v128 {
        let widen = |v: v128, high: bool| match (S, high) {
            (true, false) => i16x8_extend_low_i8x16(v),
            (true, true) => i16x8_extend_high_i8x16(v),
            (false, false) => u16x8_extend_low_u8x16(v),
            (false, true) => u16x8_extend_high_u8x16(v),
        };
        // Sums of pairs of products (exact: |sum| ≤ 2 · 128 · 255), then of pairs of pairs.
        let lo = i32x4_dot_i16x8(i16x8_extend_low_i8x16(a), widen(b, false));
        let hi = i32x4_dot_i16x8(i16x8_extend_high_i8x16(a), widen(b, true));
        let even = i32x4_shuffle::<0, 2, 4, 6>(lo, hi);
        let odd = i32x4_shuffle::<1, 3, 5, 7>(lo, hi);
        i32x4_add(c, i32x4_add(even, odd))
    }
}

/// How the host computes the relaxed dot product, found by [`probe`].
#[cfg(target_feature = "relaxed-simd")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DotBehaviour {
    /// `b` unsigned, `a` signed, no saturation (x86 AVX-VNNI `vpdpbusd`): the kernel here.
    UnsignedSigned,
    /// Both signed, no saturation (ARM `sdot`).
    SignedSigned,
    /// Anything else (the saturating `pmaddubsw` lowering, or an unknown one).
    Other,
}

/// The instruction's result on `a`, `b`, `c = 0` under each exact reading (4 lanes).
#[cfg(target_feature = "relaxed-simd")]
fn emulate(a: &[i8; 16], b: &[u8; 16], unsigned_b: bool) -> [i32; 4] {
    core::array::from_fn(|lane| {
        (0..4)
            .map(|t| {
                let i = lane * 4 + t;
                let bv = if unsigned_b { i32::from(b[i]) } else { i32::from(b[i] as i8) };
                i32::from(a[i]) * bv
            })
            .sum()
    })
}

/// Crafted operands: all at the extremes (−128 × 255, where `pmaddubsw` saturates and the
/// signed reading changes sign), mixed extremes, and a spread of values.
#[cfg(target_feature = "relaxed-simd")]
fn probe_vectors() -> [([i8; 16], [u8; 16]); 3] {
    let spread_a: [i8; 16] = core::array::from_fn(|i| (i as i32 * 37 - 128) as i8);
    let spread_b: [u8; 16] = core::array::from_fn(|i| (255 - i * 29) as u8);
    let mixed_a: [i8; 16] = core::array::from_fn(|i| if i % 3 == 0 { 127 } else { -128 });
    let mixed_b: [u8; 16] = core::array::from_fn(|i| if i % 2 == 0 { 255 } else { 128 });
    [([-128; 16], [255; 16]), (mixed_a, mixed_b), (spread_a, spread_b)]
}

/// Runs the instruction on the crafted operands and says which reading every result matches.
#[cfg(target_feature = "relaxed-simd")]
fn measure() -> DotBehaviour {
    let mut unsigned = true;
    let mut signed = true;
    for (a, b) in probe_vectors() {
        // black_box: computed by the host at run time, never folded by the compiler.
        let (va, vb) = core::hint::black_box((
            i8x16(
                a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13],
                a[14], a[15],
            ),
            u8x16(
                b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
                b[14], b[15],
            ),
        ));
        let r = i32x4_relaxed_dot_i8x16_i7x16_add(va, vb, core::hint::black_box(i32x4_splat(0)));
        let got = [
            i32x4_extract_lane::<0>(r),
            i32x4_extract_lane::<1>(r),
            i32x4_extract_lane::<2>(r),
            i32x4_extract_lane::<3>(r),
        ];
        unsigned &= got == emulate(&a, &b, true);
        signed &= got == emulate(&a, &b, false);
    }
    match (unsigned, signed) {
        (true, false) => DotBehaviour::UnsignedSigned,
        (false, true) => DotBehaviour::SignedSigned,
        _ => DotBehaviour::Other,
    }
}

/// The host's behaviour, measured once (a race measures twice and stores the same answer).
#[cfg(target_feature = "relaxed-simd")]
pub fn probe() -> DotBehaviour {
    static SEEN: AtomicU8 = AtomicU8::new(0);
    let b = match SEEN.load(Ordering::Relaxed) {
        1 => return DotBehaviour::UnsignedSigned,
        2 => return DotBehaviour::SignedSigned,
        3 => return DotBehaviour::Other,
        _ => measure(),
    };
    SEEN.store(
        match b {
            DotBehaviour::UnsignedSigned => 1,
            DotBehaviour::SignedSigned => 2,
            DotBehaviour::Other => 3,
        },
        Ordering::Relaxed,
    );
    b
}

pub fn pack_u8<O: DotOp>(s: &FilterShape, filter: &[u8], zero_point: i32, bias: &[i32]) -> Packed {
    let (n, k) = (s.out_c, s.kh * s.kw * s.in_c);
    let (n8, k4) = (n.next_multiple_of(NR), k.div_ceil(4));
    let mut w = vec![0u8; n8 * k4 * 4];
    let mut i32s = vec![0i32; 2 * n8];
    for oc in 0..n {
        let (nb, j) = (oc / NR, oc % NR);
        let row = &filter[oc * k..(oc + 1) * k];
        for (kk, &v) in row.iter().enumerate() {
            let (kq, t) = (kk / 4, kk % 4);
            w[((nb * k4 + kq) * NR + j) * 4 + t] = v ^ 0x80; // w − 128 as i8
        }
        let flip_term = if O::SIGNED_B { row.iter().map(|&v| 128 * (i32::from(v) - 128)).sum() } else { 0 };
        i32s[oc] = bias[oc].wrapping_add(flip_term);
        i32s[n8 + oc] = row.iter().map(|&v| i32::from(v) - zero_point).sum();
    }
    Packed { u8: w, i32: i32s, ..Packed::default() }
}

/// Sum of `v`'s bytes (`v.len()` ≤ 2^23).
#[inline(always)]
fn byte_sum(v: &[u8]) -> i32 {
    let mut acc = i32x4_splat(0);
    let chunks = v.chunks_exact(16);
    let tail: i32 = chunks.remainder().iter().map(|&b| i32::from(b)).sum();
    for c in chunks {
        // SAFETY: `c` holds 16 bytes.
        let x = unsafe { v128_load(c.as_ptr() as *const v128) };
        acc = i32x4_add(acc, i32x4_extadd_pairwise_u16x8(u16x8_extadd_pairwise_u8x16(x)));
    }
    tail + i32x4_extract_lane::<0>(acc)
        + i32x4_extract_lane::<1>(acc)
        + i32x4_extract_lane::<2>(acc)
        + i32x4_extract_lane::<3>(acc)
}

/// Fills the A rows of the band (`row` bytes each: `k` activations — top bit flipped when
/// `flip` —, padding to `row − 4`, the correction `(128 − zw)·Σ x` as little-endian i32).
fn im2col_dot(g: &ConvGeom, q: &QuantParams, input: &[u8], a: &mut [u8], row: usize, flip: bool) {
    let k = g.kh * g.kw * g.in_c;
    if g.is_pointwise() {
        for (src, dst) in input[g.band_start * k..g.band_end * k].chunks_exact(k).zip(a.chunks_exact_mut(row))
        {
            dst[..k].copy_from_slice(src);
            dst[k..row - 4].fill(0);
        }
    } else {
        im2col(g, input, g.band(), a, row, q.input_zero_point as u8, |src, dst| dst.copy_from_slice(src));
    }
    let scale = 128 - q.filter_zero_point;
    for dst in a.chunks_exact_mut(row) {
        let corr = scale.wrapping_mul(byte_sum(&dst[..k]));
        dst[row - 4..].copy_from_slice(&corr.to_le_bytes());
        if flip {
            dst[..k].iter_mut().for_each(|v| *v ^= 0x80);
        }
    }
}

pub fn conv2d_u8<O: DotOp>(
    g: &ConvGeom,
    q: &QuantParams,
    input: &[u8],
    packed: &Packed,
    output: &mut [u8],
    scratch: Scratch<'_>,
) {
    let (m, n, k) = (g.band_end - g.band_start, g.out_c, g.kh * g.kw * g.in_c);
    let (n8, k4) = (n.next_multiple_of(NR), k.div_ceil(4));
    let row = k4 * 4 + 4;
    // The A matrix in the i16 scratch, as bytes.
    // SAFETY: any byte pattern is a valid u8 and u8 needs no alignment: `bytes` covers exactly
    // the scratch's memory, which it borrows exclusively.
    let bytes = unsafe {
        core::slice::from_raw_parts_mut(scratch.i16.as_mut_ptr() as *mut u8, scratch.i16.len() * 2)
    };
    assert!(
        g.band_end <= g.out_h * g.out_w
            && input.len() >= g.in_h * g.in_w * g.in_c
            && output.len() >= m * n
            && packed.u8.len() >= n8 * k4 * 4
            && packed.i32.len() >= 2 * n8
            && bytes.len() >= m * row,
        "conv2d_u8 (dot): buffers do not match the geometry"
    );
    let a = &mut bytes[..m * row];
    im2col_dot(g, q, input, a, row, O::SIGNED_B);
    let out = output.as_mut_ptr();
    let kernel = Dot::<O> { packed, k4, n8, zx: q.input_zero_point, op: PhantomData };
    // SAFETY: the lengths checked above cover every offset the tiles use.
    with_requant!(q, |rq| unsafe { gemm_dot(&kernel, &rq, a, row, m, n, out) })
}

/// The dot-product GEMM through one requantization formulation: out of line, one function per
/// formulation (see `gemm::gemm_u8`).
///
/// # Safety
/// As [`gemm`].
#[inline(never)]
unsafe fn gemm_dot<O: DotOp, R: Requantize>(
    k: &Dot<'_, O>,
    rq: &R,
    a: &[u8],
    row: usize,
    m: usize,
    n: usize,
    out: *mut u8,
) {
    // SAFETY: guaranteed by the caller.
    unsafe { gemm(k, &Requantized(rq), a, row, m, n, out) }
}

/// The dot-product microkernel.
struct Dot<'a, O> {
    packed: &'a Packed,
    /// Groups of 4 k.
    k4: usize,
    /// Output channels rounded up to 8 (the column sums follow the bias).
    n8: usize,
    /// The input zero point.
    zx: i32,
    op: PhantomData<O>,
}

impl<O: DotOp> Microkernel for Dot<'_, O> {
    type A = u8;

    #[inline(always)]
    unsafe fn tile<const T: usize>(&self, a: *const u8, nb: usize) -> [[v128; 2]; T] {
        let (k4, row) = (self.k4, self.k4 * 4 + 4);
        // SAFETY: A's rows hold `row` bytes, block nb of the weights k4 · 32 bytes, of the bias
        // and of the column sums 8 i32 each (guaranteed by the caller).
        unsafe {
            let w = self.packed.u8.as_ptr().add(nb * k4 * 4 * NR);
            let bias = self.packed.i32.as_ptr().add(nb * NR);
            let sums = bias.add(self.n8);
            let zx = i32x4_splat(self.zx);
            let b0 = i32x4_sub(v128_load(bias as *const v128), i32x4_mul(zx, v128_load(sums as *const v128)));
            let b1 = i32x4_sub(
                v128_load(bias.add(4) as *const v128),
                i32x4_mul(zx, v128_load(sums.add(4) as *const v128)),
            );
            let mut acc: [[v128; 2]; T] = core::array::from_fn(|r| {
                let c = v128_load32_splat(a.add(r * row + k4 * 4) as *const u32);
                [i32x4_add(b0, c), i32x4_add(b1, c)]
            });
            for kq in 0..k4 {
                let w0 = v128_load(w.add(kq * 32) as *const v128);
                let w1 = v128_load(w.add(kq * 32 + 16) as *const v128);
                for (r, acc) in acc.iter_mut().enumerate() {
                    let x = v128_load32_splat(a.add(r * row + kq * 4) as *const u32);
                    acc[0] = O::dot(w0, x, acc[0]);
                    acc[1] = O::dot(w1, x, acc[1]);
                }
            }
            acc
        }
    }
}
