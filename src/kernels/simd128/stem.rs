//! The stem: CONV_2D with a 3×3 window, stride 2 and 3 input channels (MobileNet's first layer),
//! without an im2col matrix.
//!
//! With 3 channels a kernel row's 9 values (3 columns × 3 channels) are contiguous in the input
//! row, and the next output column's start 6 values (2 columns) later. So input rows are copied,
//! as they are first needed, into a ring of 3 zero-bordered rows in scratch memory (uint8 as
//! `x − zp_x` in i16, float as is; the border is exactly TFLite's SAME padding, plus one column
//! for the uint8 pairs below), and each output pixel's receptive field is read in place: the
//! A "matrix" of the GEMM is three overlapping strided views of the ring, one per kernel row.
//! Tiles are 4 pixels × 8 output channels, as in [`super::gemm`], whose packed weights these
//! kernels read unchanged (`[N8/8][K…]` with k = ky·9 + kx·3 + ic).
//!
//! uint8 pairs k = (2j, 2j+1) for `i32x4.dot_i16x8_s`: a pair inside one kernel row is one
//! 32-bit load; the pair (8, 9) straddles rows 0 and 1 and is put together from two values; the
//! last pair's second value (k = 27) is padding with weight 0 and reads one value past the
//! window (hence the ring's extra column).

use super::depthwise::Ring;
use super::gemm::madd;
use super::requant::with_requant;
use super::{Clamped, OutputStage, Requantized};
use crate::kernels::{ConvGeom, FloatRange, Packed, QuantParams, Scratch};
use core::arch::wasm32::*;

/// Output channels per tile.
const NR: usize = 8;
/// Pixels per tile.
const MR: usize = 4;
/// Input channels, window size, stride.
const IC: usize = 3;
const K: usize = 3;
const STRIDE: usize = 2;
/// Values of a receptive field (27) and its pairs (14).
const KK: usize = K * K * IC;
const K2: usize = KK.div_ceil(2);
/// Values from one output column's window to the next (2 columns × 3 channels).
const STEP: usize = STRIDE * IC;

/// Whether a convolution is one this kernel computes.
pub fn applies(g: &ConvGeom) -> bool {
    g.kh == K && g.kw == K && g.stride_h == STRIDE && g.stride_w == STRIDE && g.in_c == IC
}

/// Whether the uint8 stem is faster than the GEMM for this convolution: with more than two
/// channel blocks the GEMM's im2col matrix, gathered once and read by every block, wins (Node
/// 20, 2026-12-06: 32 output channels 15.4 vs 13.7 GMAC/s, 24: 14.3 vs 13.0; 8: 4.4 vs 10.7, 16:
/// 12.0 vs 13.5). The float stem is faster at every width measured (8–32).
pub fn faster_u8(g: &ConvGeom) -> bool {
    applies(g) && g.out_c <= 2 * NR
}

/// Columns of a ring row: every tap of every output column, the input with its left padding,
/// and one more (read by the last uint8 pair, times a zero weight).
fn cols(g: &ConvGeom) -> usize {
    ((g.out_w - 1) * STRIDE + K).max(g.pad_left + g.in_w) + 1
}

/// Scratch elements the ring needs.
fn ring_len(g: &ConvGeom) -> usize {
    K * cols(g) * IC
}

/// What differs between the uint8 and the float stem: the ring's elements and the arithmetic of
/// a tile.
trait Tile {
    /// An input element.
    type In: Copy;
    /// An element of the ring (`x − zp_x` as i16, or f32) and of its zero border.
    type Ring: Copy;
    const ZERO: Self::Ring;
    /// Converts input values into the ring.
    fn convert(&self, src: &[Self::In], dst: &mut [Self::Ring]);
    /// `R` pixels (consecutive output columns) × the 8 channels of block `nb`; `rows[ky]` is the
    /// first pixel's window start in the ring row of kernel row `ky`.
    ///
    /// # Safety
    /// Every window lies inside the ring (with its extra column), `nb` is a block of the packed
    /// weights.
    unsafe fn tile<const R: usize>(&self, rows: [*const Self::Ring; K], nb: usize) -> [[v128; 2]; R];
}

/// The stem over the output pixels `g.band()`, with the ring in `ring`, through `stage`.
///
/// # Safety
/// `input`, `output` and `ring` hold what the geometry implies (the entry points check it); the
/// packed weights hold every channel block.
// Out of line: one function per element type and requantization formulation, so that a
// model's first inference waits for V8 to optimise only the ones it uses (see `gemm::gemm_u8`).
#[inline(never)]
unsafe fn stem<T: Tile, S: OutputStage>(
    t: &T,
    stage: &S,
    g: &ConvGeom,
    input: &[T::In],
    output: &mut [S::Out],
    ring: &mut [T::Ring],
) {
    let n = g.out_c;
    // (One group of 3 channels: the row's values stay consecutive.)
    let convert = |s: &[T::In], d: &mut [T::Ring], _: usize| t.convert(s, &mut d[..s.len()]);
    let mut slots = Ring::new(K, cols(g) * IC, IC);
    let row_len = slots.row_len;
    let out = output.as_mut_ptr();
    for oy in g.band_start / g.out_w..g.band_end.div_ceil(g.out_w) {
        let x0 = g.band_start.saturating_sub(oy * g.out_w).min(g.out_w);
        let x1 = (g.band_end - oy * g.out_w).min(g.out_w);
        for ky in 0..K {
            slots.fill(g, oy * STRIDE + ky, input, ring, T::ZERO, &convert);
        }
        let base = ring.as_ptr();
        // SAFETY: the ring holds 3 rows of `cols` columns, every window (and the extra column)
        // lies inside them; outputs are inside `output` (guaranteed by the caller).
        unsafe {
            let rows = |ox: usize| {
                core::array::from_fn(|ky| base.add(((oy * STRIDE + ky) % K) * row_len + ox * STEP))
            };
            let dst = |ox: usize| out.add((oy * g.out_w + ox - g.band_start) * n);
            for nb in 0..n.div_ceil(NR) {
                let (c0, valid) = (nb * NR, (n - nb * NR).min(NR));
                let mut ox = x0;
                while ox + MR <= x1 {
                    let acc = t.tile::<MR>(rows(ox), nb);
                    for (r, acc) in acc.iter().enumerate() {
                        stage.store(*acc, dst(ox + r).add(c0), valid);
                    }
                    ox += MR;
                }
                while ox < x1 {
                    let [acc] = t.tile::<1>(rows(ox), nb);
                    stage.store(acc, dst(ox).add(c0), valid);
                    ox += 1;
                }
            }
        }
    }
}

// ------------------------------------------------------------------------------------ uint8

#[inline(never)]
pub fn conv2d_u8(
    g: &ConvGeom,
    q: &QuantParams,
    input: &[u8],
    packed: &Packed,
    output: &mut [u8],
    scratch: Scratch<'_>,
) {
    let n8 = g.out_c.next_multiple_of(NR);
    assert!(
        applies(g)
            && g.band_end <= g.out_h * g.out_w
            && input.len() >= g.in_h * g.in_w * IC
            && output.len() >= (g.band_end - g.band_start) * g.out_c
            && packed.i16.len() >= n8 * K2 * 2
            && packed.i32.len() >= n8
            && scratch.i16.len() >= ring_len(g),
        "stem conv2d_u8: buffers do not match the geometry"
    );
    let ring = &mut scratch.i16[..ring_len(g)];
    let zp = q.input_zero_point;
    // SAFETY: the lengths checked above.
    with_requant!(q, |rq| unsafe { stem(&U8 { packed, zp }, &Requantized(&rq), g, input, output, ring) })
}

/// The uint8 stem tile: `i32x4.dot_i16x8_s` over pairs of k, in [`super::gemm`]'s packed layout
/// (`i16` `[N8/8][14][8][2]`, `i32` bias `[N8]`).
struct U8<'a> {
    packed: &'a Packed,
    /// The input zero point.
    zp: i32,
}

impl Tile for U8<'_> {
    type In = u8;
    type Ring = i16;
    const ZERO: i16 = 0;

    #[inline(always)]
    fn convert(&self, src: &[u8], dst: &mut [i16]) {
        super::widen_sub(src, self.zp, dst)
    }

    #[inline(always)]
    unsafe fn tile<const R: usize>(&self, rows: [*const i16; K], nb: usize) -> [[v128; 2]; R] {
        // SAFETY: guaranteed by the caller.
        unsafe {
            let w = self.packed.i16.as_ptr().add(nb * K2 * 2 * NR);
            let bias = self.packed.i32.as_ptr().add(nb * NR);
            let mut acc = [[v128_load(bias as *const v128), v128_load(bias.add(4) as *const v128)]; R];
            let mut pair = |kp: usize, x: [v128; R]| pair_step(&mut acc, w.add(kp * 16), x);
            // Two consecutive values of kernel row `ky` from offset `at` of a window.
            let inside = |ky: usize, at: usize| -> [v128; R] {
                core::array::from_fn(|r| v128_load32_splat(rows[ky].add(r * STEP + at) as *const u32))
            };
            // The last value of kernel row `ky` and the first of the next.
            let across = |ky: usize| -> [v128; R] {
                core::array::from_fn(|r| {
                    let (a, b) = (*rows[ky].add(r * STEP + K * IC - 1), *rows[ky + 1].add(r * STEP));
                    i32x4_splat(i32::from(a as u16) | (i32::from(b) << 16))
                })
            };
            // Kernel rows are k 0–8, 9–17, 18–26: pairs 0–3 in row 0, (8, 9) across rows 0 and
            // 1, 5–8 in row 1 (from its second value), 9–13 in row 2 (the last with k = 27,
            // padding).
            for kp in 0..4 {
                pair(kp, inside(0, 2 * kp));
            }
            pair(4, across(0));
            for kp in 5..9 {
                pair(kp, inside(1, 2 * kp - 9));
            }
            for kp in 9..K2 {
                pair(kp, inside(2, 2 * kp - 18));
            }
            acc
        }
    }
}

/// Adds one pair of k for `R` pixels (`x[r]`: pixel r's two values, in every 32-bit lane) times
/// its weights (`w`: 8 channels × 2) to the accumulators.
///
/// # Safety
/// `w` points to 16 readable i16.
#[inline(always)]
unsafe fn pair_step<const R: usize>(acc: &mut [[v128; 2]; R], w: *const i16, x: [v128; R]) {
    // SAFETY: guaranteed by the caller.
    let (w0, w1) = unsafe { (v128_load(w as *const v128), v128_load(w.add(8) as *const v128)) };
    for (acc, x) in acc.iter_mut().zip(x) {
        acc[0] = i32x4_add(acc[0], i32x4_dot_i16x8(x, w0));
        acc[1] = i32x4_add(acc[1], i32x4_dot_i16x8(x, w1));
    }
}

// ---------------------------------------------------------------------------------- float32

#[inline(never)]
pub fn conv2d_f32(
    g: &ConvGeom,
    act: &FloatRange,
    input: &[f32],
    packed: &Packed,
    output: &mut [f32],
    scratch: Scratch<'_>,
) {
    let n8 = g.out_c.next_multiple_of(NR);
    assert!(
        applies(g)
            && g.band_end <= g.out_h * g.out_w
            && input.len() >= g.in_h * g.in_w * IC
            && output.len() >= (g.band_end - g.band_start) * g.out_c
            && packed.f32.len() >= n8 * KK + n8
            && scratch.f32.len() >= ring_len(g),
        "stem conv2d_f32: buffers do not match the geometry"
    );
    let ring = &mut scratch.f32[..ring_len(g)];
    // SAFETY: the lengths checked above.
    unsafe { stem(&F32 { packed, n8 }, &Clamped::new(act), g, input, output, ring) }
}

/// The float stem tile: a broadcast input value times two 4-lane weight vectors, in
/// [`super::gemm`]'s packed layout (`f32` `[N8/8][27][8]`, then the bias `[N8]`).
struct F32<'a> {
    packed: &'a Packed,
    /// Output channels rounded up to 8 (the bias follows the `n8 · 27` weights).
    n8: usize,
}

impl Tile for F32<'_> {
    type In = f32;
    type Ring = f32;
    const ZERO: f32 = 0.0;

    #[inline(always)]
    fn convert(&self, src: &[f32], dst: &mut [f32]) {
        dst.copy_from_slice(src)
    }

    #[inline(always)]
    unsafe fn tile<const R: usize>(&self, rows: [*const f32; K], nb: usize) -> [[v128; 2]; R] {
        // SAFETY: guaranteed by the caller.
        unsafe {
            let w = self.packed.f32.as_ptr().add(nb * KK * NR);
            let bias = self.packed.f32.as_ptr().add(self.n8 * KK + nb * NR);
            let mut acc = [[v128_load(bias as *const v128), v128_load(bias.add(4) as *const v128)]; R];
            for (ky, row) in rows.iter().enumerate() {
                for j in 0..K * IC {
                    let wk = w.add((ky * K * IC + j) * NR);
                    let (w0, w1) = (v128_load(wk as *const v128), v128_load(wk.add(4) as *const v128));
                    for (r, acc) in acc.iter_mut().enumerate() {
                        let x = v128_load32_splat(row.add(r * STEP + j) as *const u32);
                        acc[0] = madd(x, w0, acc[0]);
                        acc[1] = madd(x, w1, acc[1]);
                    }
                }
            }
            acc
        }
    }
}
