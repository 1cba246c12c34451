//! CONV_2D as a matrix product: `out[p][n] = bias[n] + Σ_k A[p][k] · W[n][k]`, where a row of A
//! is one output pixel's receptive field (`[kh][kw][in_c]`, the filter's own row layout).
//!
//! Packed layouts (N8 = out_c rounded up to 8):
//! - uint8: `i16` `[N8/8][K2][8][2]` — for each block of 8 output channels and each pair of k,
//!   the 8 channels' two values `w − zp_w` side by side (K2 = ⌈K/2⌉, zero-padded), so one vector
//!   of 8 lanes feeds `i32x4.dot_i16x8_s` for 4 channels; `i32` bias `[N8]`.
//! - float32: `f32` `[N8/8][K][8]`, then the bias `[N8]`.
//!
//! A, uint8: `i16` in panels of 4 pixels, `[⌈M/4⌉][K2][4][2]` — for each pair of k the 4 pixels'
//! two values `x − zp_x` side by side (the last panel padded with zero rows), so a tile's 4
//! broadcasts per pair lie at constant offsets from one address. With a row per pixel they took
//! an address each: V8's code for a pair of k was 28 instructions, 6 of them address arithmetic,
//! and Zen 4 dispatches 6 a cycle — 4.7 cycles for the 8 `pmaddwd` that its two multipliers run
//! in 4. A, float32: a row per pixel (the input itself for a 1×1 convolution; the float tile is
//! bound by its multiply-adds).
//!
//! One driver loop ([`gemm`]) serves both types: pixels are processed in chunks sized so the
//! chunk's rows of A stay in cache while every weight block passes over them, in tiles of 4
//! pixels × 8 channels (8 accumulator vectors) and then one pixel at a time for the band's
//! remainder. Each type's [`Microkernel`] supplies the tile's arithmetic and its output stage.

use super::requant::{Requantize, with_requant};
use super::{Clamped, OutputStage, Requantized};
use crate::kernels::{ConvGeom, FilterShape, FloatRange, Packed, QuantParams, Scratch};
use core::arch::wasm32::*;
use core::ops::Range;

/// Output channels per tile.
pub(super) const NR: usize = 8;
/// Pixels per tile.
const MR: usize = 4;
/// Bytes of A a pixel chunk may occupy.
const CHUNK_BYTES: usize = 64 * 1024;

/// Pixels per chunk: a multiple of [`MR`], at least one tile.
fn chunk_rows(row_bytes: usize) -> usize {
    (CHUNK_BYTES / row_bytes.max(1)).max(MR) / MR * MR
}

/// What differs between the uint8 and the float GEMM: the arithmetic of a tile (the output
/// stage is an [`OutputStage`]).
pub(super) trait Microkernel {
    /// An element of A: `x − zp_x` as i16, or f32.
    type A;
    /// Where pixel `p`'s values start in A, of rows of `row` elements: a row per pixel, or
    /// panels (see the module's doc).
    #[inline(always)]
    fn at(p: usize, row: usize) -> usize {
        p * row
    }
    /// `R` pixels × the 8 channels of block `nb`, from `a`: A at [`Microkernel::at`] of the
    /// first of them.
    ///
    /// # Safety
    /// A holds the `R` pixels from there (in panels: `p mod 4 + R ≤ 4`), `nb` is a block of the
    /// packed weights.
    unsafe fn tile<const R: usize>(&self, a: *const Self::A, nb: usize) -> [[v128; 2]; R];
}

/// The GEMM over the `m` pixels of A (`row` elements each, laid out as [`Microkernel::at`]
/// says) and `n` output channels into `out`, through the output stage `stage`.
///
/// # Safety
/// `a` holds A (uint8: [`a_len_u8`] elements), `k` the weights of `n` channels (rounded up to
/// 8), `out` points to `m × n` outputs.
#[inline(always)]
pub(super) unsafe fn gemm<K: Microkernel, S: OutputStage>(
    k: &K,
    stage: &S,
    a: &[K::A],
    row: usize,
    m: usize,
    n: usize,
    out: *mut S::Out,
) {
    let chunk = chunk_rows(row * size_of::<K::A>());
    for start in (0..m).step_by(chunk) {
        let end = (start + chunk).min(m);
        for nb in 0..n.div_ceil(NR) {
            // SAFETY: guaranteed by the caller.
            unsafe {
                // Chunks start at multiples of MR: each whole tile is a whole panel.
                let mut p = start;
                while p + MR <= end {
                    let acc = k.tile::<MR>(a.as_ptr().add(K::at(p, row)), nb);
                    store(stage, &acc, out, p, n, nb);
                    p += MR;
                }
                while p < end {
                    let acc = k.tile::<1>(a.as_ptr().add(K::at(p, row)), nb);
                    store(stage, &acc, out, p, n, nb);
                    p += 1;
                }
            }
        }
    }
}

/// Stores a tile's valid channels through the output stage.
///
/// # Safety
/// `out` points to an `m × n` output (the band's pixels) with `p + R ≤ m` and `nb · 8 < n`.
#[inline(always)]
unsafe fn store<S: OutputStage, const R: usize>(
    stage: &S,
    acc: &[[v128; 2]; R],
    out: *mut S::Out,
    p: usize,
    n: usize,
    nb: usize,
) {
    let c0 = nb * NR;
    let valid = (n - c0).min(NR);
    for (r, acc) in acc.iter().enumerate() {
        // SAFETY: guaranteed by the caller.
        unsafe { stage.store(*acc, out.add((p + r) * n + c0), valid) };
    }
}

// ------------------------------------------------------------------------------------ uint8

pub fn pack_u8(s: &FilterShape, filter: &[u8], zero_point: i32, bias: &[i32]) -> Packed {
    let (n, k) = (s.out_c, s.kh * s.kw * s.in_c);
    let (n8, k2) = (n.next_multiple_of(NR), k.div_ceil(2));
    let mut w = vec![0i16; n8 * k2 * 2];
    let z = i16x8_splat(zero_point as i16);
    // 8 values of a row (4 pairs of k) per step; the tail one value at a time, into its pair.
    pack_blocks(
        filter,
        (n, k),
        (&mut w, k2 * NR * 2),
        8,
        // SAFETY: `src` holds the 8 bytes read.
        |src| i16x8_sub(unsafe { u16x8_load_extend_u8x8(src.as_ptr()) }, z),
        |block, kk, j, v| block[((kk / 2) * NR + j) * 2 + kk % 2] = (i32::from(v) - zero_point) as i16,
    );
    let mut b = bias.to_vec();
    b.resize(n8, 0);
    Packed { i16: w, i32: b, ..Packed::default() }
}

/// The packers' walk: the weights `w` in blocks of `block_len` elements, one per 8 output
/// channels (rows of `filter`, `k` values each, `n` rows). For a full block, `step` values of
/// each of its 8 rows are read at a time (`load`: 4 32-bit lanes) and stored transposed, so
/// that column `kk` starts at element `kk · 8` of the block; the rest — the tail of a full
/// block, every value of a partial one — goes one value at a time through `put(block, kk, row,
/// value)`. (Inlined into each packer: out of line, the baseline build was 0.7 KB larger
/// gzipped.)
#[inline(always)]
fn pack_blocks<S: Copy, D>(
    filter: &[S],
    (n, k): (usize, usize),
    (w, block_len): (&mut [D], usize),
    step: usize,
    load: impl Fn(&[S]) -> v128,
    put: impl Fn(&mut [D], usize, usize, S),
) {
    for (nb, block) in w.chunks_exact_mut(block_len.max(1)).enumerate() {
        let rows = &filter[nb * NR * k..(nb * NR + NR).min(n) * k];
        let mut kk = 0;
        if rows.len() == NR * k {
            while kk + step <= k {
                let r: [v128; NR] = core::array::from_fn(|j| load(&rows[j * k + kk..][..step]));
                let dst = &mut block[kk * NR..][..128 / size_of::<D>()];
                // SAFETY: `dst` holds 128 bytes.
                unsafe { store_transposed(&r, dst.as_mut_ptr().cast()) };
                kk += step;
            }
        }
        for (j, row) in rows.chunks_exact(k.max(1)).enumerate() {
            for (kk, &v) in row.iter().enumerate().skip(kk) {
                put(block, kk, j, v);
            }
        }
    }
}

/// Writes 8 rows of 4 32-bit lanes to `dst` as 4 columns of 8 lanes, one after another (each
/// column rows 0–3, then rows 4–7): the weight packers' step. Out of line: one copy for both.
///
/// # Safety
/// `dst` is valid for 128 bytes of writes.
#[inline(never)]
unsafe fn store_transposed(r: &[v128; NR], dst: *mut v128) {
    let (lo, hi) = (transpose4(r[0], r[1], r[2], r[3]), transpose4(r[4], r[5], r[6], r[7]));
    for t in 0..4 {
        // SAFETY: column `t` is bytes 32t to 32t + 32 of the 128 the caller guarantees.
        unsafe {
            v128_store(dst.add(2 * t), lo[t]);
            v128_store(dst.add(2 * t + 1), hi[t]);
        }
    }
}

/// The 4 × 4 transpose of 32-bit lanes: lane `j` of rows `a`–`d` becomes vector `j`.
#[inline(always)]
fn transpose4(a: v128, b: v128, c: v128, d: v128) -> [v128; 4] {
    let (ab_lo, cd_lo) = (i32x4_shuffle::<0, 4, 1, 5>(a, b), i32x4_shuffle::<0, 4, 1, 5>(c, d));
    let (ab_hi, cd_hi) = (i32x4_shuffle::<2, 6, 3, 7>(a, b), i32x4_shuffle::<2, 6, 3, 7>(c, d));
    [
        i32x4_shuffle::<0, 1, 4, 5>(ab_lo, cd_lo),
        i32x4_shuffle::<2, 3, 6, 7>(ab_lo, cd_lo),
        i32x4_shuffle::<0, 1, 4, 5>(ab_hi, cd_hi),
        i32x4_shuffle::<2, 3, 6, 7>(ab_hi, cd_hi),
    ]
}

/// i16 elements of the uint8 A matrix of `m` pixels with rows of `row` elements: its panels
/// and one more, where each panel's rows are gathered before [`to_panel`] interleaves them.
fn a_len_u8(m: usize, row: usize) -> usize {
    (m.div_ceil(MR) + 1) * MR * row
}

/// Fills the uint8 A matrix of the output pixels `pixels` (`row` i16 per pixel: k values then
/// zero padding) in panels of [`MR`] pixels, see the module's doc; `a` holds [`a_len_u8`]
/// elements. Each panel's rows are gathered in the spare panel at the end, then interleaved.
fn im2col_u8(g: &ConvGeom, zp: i32, input: &[u8], pixels: Range<usize>, a: &mut [i16], row: usize) {
    let k = g.kh * g.kw * g.in_c;
    let panel = MR * row;
    let (panels, spare) = a.split_at_mut(pixels.len().div_ceil(MR) * panel);
    let spare = &mut spare[..panel];
    let pointwise = g.is_pointwise();
    for (t, dst) in panels.chunks_exact_mut(panel.max(1)).enumerate() {
        let p0 = pixels.start + t * MR;
        let rows = MR.min(pixels.end - p0);
        if pointwise {
            for (src, d) in input[p0 * k..(p0 + rows) * k].chunks_exact(k).zip(spare.chunks_exact_mut(row)) {
                super::widen_sub(src, zp, &mut d[..k]);
                d[k..].fill(0);
            }
        } else {
            im2col(g, input, p0..p0 + rows, spare, row, 0i16, |src, dst| super::widen_sub(src, zp, dst));
        }
        spare[rows * row..].fill(0);
        to_panel(spare, dst, row);
    }
}

/// Interleaves [`MR`] rows of `row` i16 (`rows`, one after another) into a panel of A: pair `kp`
/// of row `r` at `kp · 8 + r · 2`.
fn to_panel(rows: &[i16], panel: &mut [i16], row: usize) {
    assert!(rows.len() >= MR * row && panel.len() >= MR * row && row % 2 == 0);
    let mut kp = 0;
    // 4 pairs of each row at a time.
    while 2 * kp + 8 <= row {
        // SAFETY: each row's 8 elements from 2·kp are inside `rows`; the 4 × 8 written inside
        // `panel` (2·kp + 8 ≤ row, checked above).
        unsafe {
            let r: [v128; MR] =
                core::array::from_fn(|r| v128_load(rows.as_ptr().add(r * row + 2 * kp).cast()));
            let cols = transpose4(r[0], r[1], r[2], r[3]);
            for (j, col) in cols.into_iter().enumerate() {
                v128_store(panel.as_mut_ptr().add((kp + j) * 8).cast(), col);
            }
        }
        kp += 4;
    }
    for kp in kp..row / 2 {
        for r in 0..MR {
            panel[kp * 8 + r * 2..][..2].copy_from_slice(&rows[r * row + 2 * kp..][..2]);
        }
    }
}

/// Gathers the receptive field (`[kh][kw][in_c]`) of each output pixel in `pixels` into a row of
/// `a` (`row` elements, the tail zero; `a` starts at the first pixel of the range), converting
/// with `convert`; taps in the padding get `zero`. Where a whole kernel row lies inside the input
/// its `kw · in_c` values are contiguous and copied at once.
pub(super) fn im2col<S: Copy, D: Copy>(
    g: &ConvGeom,
    input: &[S],
    pixels: Range<usize>,
    a: &mut [D],
    row: usize,
    zero: D,
    convert: impl Fn(&[S], &mut [D]),
) {
    let (ic, k) = (g.in_c, g.kh * g.kw * g.in_c);
    let run = g.kw * ic;
    for (i, p) in pixels.enumerate() {
        let (oy, ox) = (p / g.out_w, p % g.out_w);
        {
            let dst = &mut a[i * row..][..row];
            dst[k..].fill(zero);
            let x0 = (ox * g.stride_w).wrapping_sub(g.pad_left);
            let inside_x = ox * g.stride_w >= g.pad_left && x0 + g.kw <= g.in_w;
            for ky in 0..g.kh {
                let iy = (oy * g.stride_h + ky).wrapping_sub(g.pad_top);
                let d = &mut dst[ky * run..][..run];
                if iy >= g.in_h {
                    d.fill(zero);
                } else if inside_x {
                    convert(&input[(iy * g.in_w + x0) * ic..][..run], d);
                } else {
                    for kx in 0..g.kw {
                        let ix = x0.wrapping_add(kx);
                        let dd = &mut d[kx * ic..][..ic];
                        if ix < g.in_w {
                            convert(&input[(iy * g.in_w + ix) * ic..][..ic], dd);
                        } else {
                            dd.fill(zero);
                        }
                    }
                }
            }
        }
    }
}

// Not inlined into `simd128::conv2d_u8`, which picks it or the stem.
#[inline(never)]
pub fn conv2d_u8(
    g: &ConvGeom,
    q: &QuantParams,
    input: &[u8],
    packed: &Packed,
    output: &mut [u8],
    scratch: Scratch<'_>,
) {
    let (m, n, k) = (g.band_end - g.band_start, g.out_c, g.kh * g.kw * g.in_c);
    let (n8, k2) = (n.next_multiple_of(NR), k.div_ceil(2));
    let row = k2 * 2;
    assert!(
        g.band_end <= g.out_h * g.out_w
            && input.len() >= g.in_h * g.in_w * g.in_c
            && output.len() >= m * n
            && packed.i16.len() >= n8 * row
            && packed.i32.len() >= n8
            && scratch.i16.len() >= a_len_u8(m, row),
        "conv2d_u8: buffers do not match the geometry"
    );
    let a = &mut scratch.i16[..a_len_u8(m, row)];
    im2col_u8(g, q.input_zero_point, input, g.band(), a, row);
    let out = output.as_mut_ptr();
    // SAFETY: the lengths checked above cover every offset the tiles use.
    with_requant!(q, |rq| unsafe { gemm_u8(&U8 { packed, k2 }, &rq, a, row, m, n, out) })
}

/// The uint8 GEMM through one requantization formulation. Out of line, one function per
/// formulation: a fresh module runs in V8's baseline code and compiles a function optimised in
/// the background once it is hot, so a model's first inference waits for the formulations it
/// uses only, each a third of the size of all three in one function (the largest function of
/// the module took V8 28 ms to optimise).
///
/// # Safety
/// As [`gemm`].
#[inline(never)]
unsafe fn gemm_u8<R: Requantize>(
    k: &U8<'_>,
    rq: &R,
    a: &[i16],
    row: usize,
    m: usize,
    n: usize,
    out: *mut u8,
) {
    // SAFETY: guaranteed by the caller.
    unsafe { gemm(k, &Requantized(rq), a, row, m, n, out) }
}

/// The uint8 microkernel: `i32x4.dot_i16x8_s` over pairs of k.
struct U8<'a> {
    packed: &'a Packed,
    /// Pairs of k.
    k2: usize,
}

impl Microkernel for U8<'_> {
    type A = i16;

    /// Panels: pair `kp` of pixel `p` at `kp · 8 + (p mod 4) · 2` in panel `p / 4`.
    #[inline(always)]
    fn at(p: usize, row: usize) -> usize {
        p / MR * MR * row + p % MR * 2
    }

    #[inline(always)]
    unsafe fn tile<const T: usize>(&self, a: *const i16, nb: usize) -> [[v128; 2]; T] {
        // SAFETY: `a` is pixel p's place in a panel of k2 pairs of 4 pixels with p mod 4 + T ≤ 4
        // (the pointer moved on past the last pair stays inside A: the spare panel follows),
        // block nb of the weights holds k2 · 16 i16 and of the bias 8 i32 (guaranteed by the
        // caller).
        unsafe {
            let bias = self.packed.i32.as_ptr().add(nb * NR);
            let b0 = v128_load(bias as *const v128);
            let b1 = v128_load(bias.add(4) as *const v128);
            let mut acc = [[b0, b1]; T];
            // Pointers moved on by each pair of k, every load at a constant offset from them.
            let mut x = a as *const u32;
            let mut w = self.packed.i16.as_ptr().add(nb * self.k2 * 2 * NR) as *const v128;
            let end = w.add(2 * self.k2);
            while w != end {
                let (w0, w1) = (v128_load(w), v128_load(w.add(1)));
                for (r, acc) in acc.iter_mut().enumerate() {
                    let x = v128_load32_splat(x.add(r));
                    acc[0] = i32x4_add(acc[0], i32x4_dot_i16x8(x, w0));
                    acc[1] = i32x4_add(acc[1], i32x4_dot_i16x8(x, w1));
                }
                x = x.add(MR);
                w = w.add(2);
            }
            acc
        }
    }
}

// ---------------------------------------------------------------------------------- float32

pub fn pack_f32(s: &FilterShape, filter: &[f32], (): (), bias: &[f32]) -> Packed {
    let (n, k) = (s.out_c, s.kh * s.kw * s.in_c);
    let n8 = n.next_multiple_of(NR);
    let mut w = vec![0f32; n8 * k + n8];
    // 4 values of a row per step.
    pack_blocks(
        filter,
        (n, k),
        (&mut w[..n8 * k], k * NR),
        4,
        // SAFETY: `src` holds the 4 floats read.
        |src| unsafe { v128_load(src.as_ptr().cast::<v128>()) },
        |block, kk, j, v| block[kk * NR + j] = v,
    );
    w[n8 * k..n8 * k + n].copy_from_slice(bias);
    Packed { f32: w, ..Packed::default() }
}

#[inline(always)]
pub(super) fn madd(a: v128, b: v128, c: v128) -> v128 {
    #[cfg(target_feature = "relaxed-simd")]
    {
        f32x4_relaxed_madd(a, b, c)
    }
    #[cfg(not(target_feature = "relaxed-simd"))]
    {
        f32x4_add(c, f32x4_mul(a, b))
    }
}

// Not inlined into `simd128::conv2d_f32`, which picks it or the stem.
#[inline(never)]
pub fn conv2d_f32(
    g: &ConvGeom,
    act: &FloatRange,
    input: &[f32],
    packed: &Packed,
    output: &mut [f32],
    scratch: Scratch<'_>,
) {
    let (m, n, k) = (g.band_end - g.band_start, g.out_c, g.kh * g.kw * g.in_c);
    let n8 = n.next_multiple_of(NR);
    let pointwise = g.is_pointwise();
    assert!(
        g.band_end <= g.out_h * g.out_w
            && input.len() >= g.in_h * g.in_w * g.in_c
            && output.len() >= m * n
            && packed.f32.len() >= n8 * k + n8
            && (pointwise || scratch.f32.len() >= m * k),
        "conv2d_f32: buffers do not match the geometry"
    );
    // A is the band's rows of the input itself for 1×1 convolutions, else an im2col matrix.
    let a: &[f32] = if pointwise {
        &input[g.band_start * k..g.band_end * k]
    } else {
        let a = &mut scratch.f32[..m * k];
        im2col(g, input, g.band(), a, k, 0f32, |src, dst| dst.copy_from_slice(src));
        a
    };
    // SAFETY: the lengths checked above cover every offset the tiles use.
    unsafe { gemm_f32(&F32 { packed, k, n8 }, &Clamped::new(act), a, m, n, output.as_mut_ptr()) }
}

/// The float GEMM, out of line: apart from the im2col copy in front of it (a `memory.copy`: a
/// call in SpiderMonkey, see [`super::store_bytes`]), under its own name for
/// tests/node/wasm-ops.test.mjs.
///
/// # Safety
/// As [`gemm`].
#[inline(never)]
unsafe fn gemm_f32(k: &F32<'_>, stage: &Clamped, a: &[f32], m: usize, n: usize, out: *mut f32) {
    // SAFETY: guaranteed by the caller.
    unsafe { gemm(k, stage, a, k.k, m, n, out) }
}

/// The float microkernel: a broadcast A value times two 4-lane weight vectors.
struct F32<'a> {
    packed: &'a Packed,
    k: usize,
    /// Output channels rounded up to 8 (the bias follows the `n8 · k` weights).
    n8: usize,
}

impl Microkernel for F32<'_> {
    type A = f32;

    #[inline(always)]
    unsafe fn tile<const T: usize>(&self, a: *const f32, nb: usize) -> [[v128; 2]; T] {
        let k = self.k;
        // SAFETY: A's rows hold k floats, block nb of the weights k · 8 floats and of the bias 8
        // (guaranteed by the caller).
        unsafe {
            let w = self.packed.f32.as_ptr().add(nb * k * NR);
            let bias = self.packed.f32.as_ptr().add(self.n8 * k + nb * NR);
            let b0 = v128_load(bias as *const v128);
            let b1 = v128_load(bias.add(4) as *const v128);
            let mut acc = [[b0, b1]; T];
            // A pointer per row and one for the weights, each moved on by each k.
            let mut x: [*const f32; T] = core::array::from_fn(|r| a.add(r * k));
            let mut w = w as *const v128;
            let end = w.add(2 * k);
            while w != end {
                let (w0, w1) = (v128_load(w), v128_load(w.add(1)));
                for (x, acc) in x.iter_mut().zip(&mut acc) {
                    let v = v128_load32_splat(*x as *const u32);
                    acc[0] = madd(v, w0, acc[0]);
                    acc[1] = madd(v, w1, acc[1]);
                    *x = x.add(1);
                }
                w = w.add(2);
            }
            acc
        }
    }
}
