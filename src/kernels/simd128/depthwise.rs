//! DEPTHWISE_CONV_2D (multiplier 1), 8 channels per block (float 3×3: two passes of 4).
//!
//! Input rows are copied, as they are first needed, into a ring of `kh` zero-bordered rows in
//! scratch memory, channel block by channel block: `[C8/8 blocks][kh rows][columns][8]` (C8:
//! the channels rounded up to 8), uint8 as `x − zp_x` in i16, float as is. A block's window is
//! then 3 row pointers and taps 8 elements apart, constant offsets the wasm loads carry, so a
//! 3×3 pixel costs its loads and multiply-adds and three pointer steps: with the channels
//! interleaved (`[rows][columns][C8]`) each tap's offset was a run-time value, nine more adds a
//! pixel and, in V8's x64 code, more live values than registers (spilled and reloaded every
//! pixel). The border is exactly TFLite's SAME padding, so the inner loop has no bounds checks,
//! and the ring stays in cache where a padded copy of the whole image would not.
//!
//! uint8 multiplies taps two at a time with `i32x4.dot_i16x8_s`: the inputs of taps a and b are
//! interleaved channel by channel (`[x_a,c0, x_b,c0, x_a,c1, …]`) against weights packed the same
//! way — one multiply-add instruction per 8 products, where widening multiplies need three.
//!
//! One driver loop ([`depthwise`]) serves both types: for each output row of the band it fills
//! the ring, then runs every 8-channel block over the row's pixels; each type's [`Channels`]
//! supplies the conversion into the ring, the taps' arithmetic and the output stage. For 3×3
//! windows (every depthwise layer of MobileNet) a block's weights are loaded once per row and
//! held in registers across its pixels, so a pixel loads only its inputs: uint8 holds 10
//! vectors; float runs the row twice, 4 channels at a time, to hold 9 (18 would not fit in the
//! 16 registers V8 has on x64, and the spills cost more than the second pass). Other windows read
//! the weights per pixel.
//!
//! Packed layouts (P = ⌈kh·kw / 2⌉ tap pairs; the second tap of an odd last pair has weight 0):
//! - uint8: `i16` `[C8/8][P][2 halves][4 channels][2 taps]` (`w − zp_w`), `i32` bias `[C8]`.
//! - float: `f32` `[kh·kw][C8]`, then bias `[C8]`.

use super::gemm::madd;
use super::requant::Requantize;
use super::requant::with_requant;
use super::{Clamped, OutputStage, Requantized};
use crate::kernels::{ConvGeom, FilterShape, FloatRange, Packed, QuantParams, Scratch};
use core::arch::wasm32::*;

const LANES: usize = 8;

/// Padded row length in columns: covers every tap of every output column.
fn padded_cols(g: &ConvGeom) -> usize {
    ((g.out_w - 1) * g.stride_w + g.kw).max(g.pad_left + g.in_w)
}

/// A ring of `kh` zero-bordered rows in scratch memory, each input row copied into it as it is
/// first needed, in groups of channels: group `j` (channels `j·group…`) of every row, column by
/// column, then group `j + 1` (here groups of 8; the stem, [`super::stem`], has its 3 channels
/// in one group): which padded row each slot holds, and how to fill one.
pub(super) struct Ring {
    kh: usize,
    /// Elements per ring row of one group (columns × `group`).
    pub(super) row_len: usize,
    /// Channels per group (a last group's lanes past the input's channels are zero: the
    /// conversion writes them).
    group: usize,
    held: [usize; 64],
}

/// Converts an input row into a ring row: `(src, dst, group_len)`, `src` the row's values
/// (pixel by pixel), `dst` the ring from its first input pixel in the first group on, each next
/// group `group_len` elements further. It writes every lane of every group at the row's input
/// columns (a last group's lanes past the input's channels zero); the ring's borders are
/// [`Ring::fill`]'s.
pub(super) type Convert<'a, S, D> = &'a dyn Fn(&[S], &mut [D], usize);

impl Ring {
    /// A ring of `kh` rows of `row_len` elements per group of `group` channels.
    pub(super) fn new(kh: usize, row_len: usize, group: usize) -> Ring {
        Ring { kh, row_len, group, held: [usize::MAX; 64] }
    }

    /// Elements of one group's `kh` rows.
    pub(super) fn group_len(&self) -> usize {
        self.kh * self.row_len
    }

    /// Makes slot `r % kh` hold padded row `r`, converting the input row with `convert`.
    /// (Once per row: out of line and with a `dyn` conversion it is one function per element
    /// type for the depthwise kernels and the stem alike.)
    #[inline(never)]
    pub(super) fn fill<S: Copy, D: Copy>(
        &mut self,
        g: &ConvGeom,
        r: usize,
        input: &[S],
        ring: &mut [D],
        zero: D,
        convert: Convert<'_, S, D>,
    ) {
        let slot = r % self.kh;
        if self.kh <= self.held.len() && self.held[slot] == r {
            return;
        }
        if slot < self.held.len() {
            self.held[slot] = r;
        }
        let (c, group, group_len) = (g.in_c, self.group, self.group_len());
        let iy = r.wrapping_sub(g.pad_top);
        let row = &mut ring[slot * self.row_len..];
        for j in 0..c.div_ceil(group) {
            let dst = &mut row[j * group_len..][..self.row_len];
            if iy >= g.in_h {
                dst.fill(zero);
            } else {
                dst[..g.pad_left * group].fill(zero);
                dst[(g.pad_left + g.in_w) * group..].fill(zero);
            }
        }
        if iy < g.in_h {
            convert(&input[iy * g.in_w * c..][..g.in_w * c], &mut row[g.pad_left * group..], group_len);
        }
    }
}

/// Converts an input row of `c` channels a pixel into a ring row of blocks of [`LANES`]
/// channels, `block_len` elements apart (see [`Convert`]), through `run` (a conversion of
/// consecutive values), block by block; a partial last block's other channels are zero.
#[inline(always)]
fn by_block<S: Copy, D: Copy>(
    c: usize,
    src: &[S],
    dst: &mut [D],
    block_len: usize,
    zero: D,
    run: impl Fn(&[S], &mut [D]),
) {
    let w = src.len() / c;
    for (j, c0) in (0..c).step_by(LANES).enumerate() {
        let d = &mut dst[j * block_len..][..w * LANES];
        if c == LANES {
            run(src, d);
        } else if c - c0 >= LANES {
            // (A constant length makes each pixel's conversion straight-line code.)
            for (x, d) in d.chunks_exact_mut(LANES).enumerate() {
                run(&src[x * c + c0..][..LANES], d);
            }
        } else {
            for (x, d) in d.chunks_exact_mut(LANES).enumerate() {
                run(&src[x * c + c0..][..c - c0], &mut d[..c - c0]);
                d[c - c0..].fill(zero);
            }
        }
    }
}

/// Scratch elements the ring needs.
fn ring_len(g: &ConvGeom) -> usize {
    g.kh * padded_cols(g) * g.in_c.next_multiple_of(LANES)
}

/// Tap `t` (kernel row `t / 3`, column `t % 3`) of a 3×3 window whose kernel rows start at
/// `rows` in a block of the ring, whose columns are [`LANES`] elements apart.
///
/// # Safety
/// The window lies inside the ring.
#[inline(always)]
unsafe fn tap3<T>(rows: &[*const T; 3], t: usize) -> *const T {
    // SAFETY: guaranteed by the caller.
    unsafe { rows[t / 3].add(t % 3 * LANES) }
}

/// What differs between the uint8 and the float depthwise convolution.
trait Channels {
    /// An input element.
    type In: Copy;
    /// An element of the ring (`x − zp_x` as i16, or f32) and of its zero border.
    type Ring: Copy;
    const ZERO: Self::Ring;
    /// An element of the packed weights.
    type W;
    /// An output element.
    type Out;
    /// Converts an input row of `c` channels a pixel into the ring (see [`Convert`]).
    fn convert_row(&self, c: usize, src: &[Self::In], dst: &mut [Self::Ring], block_len: usize);
    /// The weights and the bias (the accumulators' start) of channel block `cb`.
    ///
    /// # Safety
    /// `cb` is a block of the packed weights.
    unsafe fn block(&self, cb: usize) -> (*const Self::W, [v128; 2]);
    /// Runs channel block `cb` of a 3×3 filter over `n` consecutive pixels of an output row and
    /// stores their first `valid` channels: the first pixel's window starts at `rows[ky]` in the
    /// ring rows of kernel rows `ky` (its taps [`LANES`] elements apart) and its output at
    /// `dst`; each next pixel's are `step.0` and `step.1` elements further (pointers moved on,
    /// not multiplied: the builds have no loop strength reduction, see build.sh).
    ///
    /// # Safety
    /// The filter is 3×3, `cb` one of its blocks; every window lies inside the ring and every
    /// output inside the output.
    unsafe fn row3(
        &self,
        cb: usize,
        n: usize,
        rows: [*const Self::Ring; 3],
        dst: *mut Self::Out,
        step: (usize, usize),
        valid: usize,
    );
    /// Adds the window's taps (at `tap(t)` from `origin`) times the block's weights `w` to `acc`
    /// (any window size).
    ///
    /// # Safety
    /// Every tap of the window lies inside the ring; `w` is from [`Channels::block`].
    unsafe fn window(
        &self,
        acc: &mut [v128; 2],
        origin: *const Self::Ring,
        w: *const Self::W,
        tap: &impl Fn(usize) -> usize,
    );
    /// Stores the first `valid` of 8 channels' accumulators through the output stage.
    ///
    /// # Safety
    /// As [`OutputStage::store`].
    unsafe fn store(&self, acc: [v128; 2], dst: *mut Self::Out, valid: usize);
}

/// The depthwise convolution of the output pixels `g.band()`, with the ring in `buf`.
///
/// # Safety
/// `input`, `output` and `buf` hold what the geometry implies (the entry points check it), the
/// packed weights hold every channel block.
// Out of line: one function per element type and requantization formulation, so that a
// model's first inference waits for V8 to optimise only the ones it uses (see `gemm::gemm_u8`).
#[inline(never)]
unsafe fn depthwise<K: Channels>(
    k: &K,
    g: &ConvGeom,
    input: &[K::In],
    output: &mut [K::Out],
    buf: &mut [K::Ring],
) {
    let (c, c8) = (g.out_c, g.out_c.next_multiple_of(LANES));
    if c == 0 {
        return;
    }
    let convert = |s: &[K::In], d: &mut [K::Ring], block_len: usize| k.convert_row(g.in_c, s, d, block_len);
    let out_base = output.as_mut_ptr();
    let mut ring = Ring::new(g.kh, padded_cols(g) * LANES, LANES);
    let (row_len, block_len) = (ring.row_len, ring.group_len());
    let first_row = g.band_start / g.out_w;
    let last_row = g.band_end.div_ceil(g.out_w);
    for oy in first_row..last_row {
        // The band's columns in this row.
        let x0 = g.band_start.saturating_sub(oy * g.out_w).min(g.out_w);
        let x1 = (g.band_end - oy * g.out_w).min(g.out_w);
        for ky in 0..g.kh {
            ring.fill(g, oy * g.stride_h + ky, input, buf, K::ZERO, &convert);
        }
        let ring_ptr = buf.as_ptr();
        // Offset of kernel row ky's ring row in a block, and of tap t (row ky, column kx) from
        // a window's origin.
        let row = |ky: usize| ((oy * g.stride_h + ky) % g.kh) * row_len;
        let tap = |t: usize| row(t / g.kw) + (t % g.kw) * LANES;
        let step = g.stride_w * LANES;
        for cb in 0..c8 / LANES {
            let c0 = cb * LANES;
            let valid = (c - c0).min(LANES);
            // SAFETY: each block of the ring holds kh rows of padded_cols columns and every
            // window lies inside them; the weights hold every channel block; outputs are inside
            // `output`.
            unsafe {
                let origin = ring_ptr.add(cb * block_len + x0 * step);
                let dst = out_base.add((oy * g.out_w + x0 - g.band_start) * c + c0);
                if g.kh == 3 && g.kw == 3 {
                    let rows = [0, 1, 2].map(|ky| origin.add(row(ky)));
                    k.row3(cb, x1 - x0, rows, dst, (step, c), valid);
                } else {
                    let (w, bias) = k.block(cb);
                    for i in 0..x1 - x0 {
                        let mut acc = bias;
                        k.window(&mut acc, origin.add(i * step), w, &tap);
                        k.store(acc, dst.add(i * c), valid);
                    }
                }
            }
        }
    }
}

// ------------------------------------------------------------------------------------ uint8

pub fn pack_u8(s: &FilterShape, filter: &[u8], zero_point: i32, bias: &[i32]) -> Packed {
    let (c, taps) = (s.out_c, s.kh * s.kw);
    let (c8, pairs) = (c.next_multiple_of(LANES), taps.div_ceil(2));
    let mut w = vec![0i16; c8 * pairs * 2];
    for ch in 0..c {
        let (cb, half, j) = (ch / 8, (ch % 8) / 4, ch % 4);
        for t in 0..taps {
            let (p, k) = (t / 2, t % 2);
            w[(((cb * pairs + p) * 2 + half) * 4 + j) * 2 + k] =
                (i32::from(filter[t * c + ch]) - zero_point) as i16;
        }
    }
    let mut b = bias.to_vec();
    b.resize(c8, 0);
    Packed { i16: w, i32: b, ..Packed::default() }
}

/// Adds taps `a` and `b` (8 channels each) times their interleaved weights (channels 0–3 in
/// `w[0]`, 4–7 in `w[1]`) to the accumulators.
///
/// # Safety
/// `xa`, `xb` point to 8 readable i16.
#[inline(always)]
unsafe fn pair(acc: &mut [v128; 2], xa: *const i16, xb: *const i16, w: [v128; 2]) {
    // SAFETY: guaranteed by the caller.
    unsafe {
        let a = v128_load(xa as *const v128);
        let b = v128_load(xb as *const v128);
        let lo = i16x8_shuffle::<0, 8, 1, 9, 2, 10, 3, 11>(a, b);
        let hi = i16x8_shuffle::<4, 12, 5, 13, 6, 14, 7, 15>(a, b);
        acc[0] = i32x4_add(acc[0], i32x4_dot_i16x8(lo, w[0]));
        acc[1] = i32x4_add(acc[1], i32x4_dot_i16x8(hi, w[1]));
    }
}

/// The two weight vectors of tap pair `p` of a block (`w` from [`Channels::block`]).
///
/// # Safety
/// `w` holds at least `p + 1` pairs.
#[inline(always)]
unsafe fn pair_weights(w: *const i16, p: usize) -> [v128; 2] {
    // SAFETY: guaranteed by the caller.
    unsafe { [v128_load(w.add(p * 16) as *const v128), v128_load(w.add(p * 16 + 8) as *const v128)] }
}

pub fn depthwise_u8(
    g: &ConvGeom,
    q: &QuantParams,
    input: &[u8],
    packed: &Packed,
    output: &mut [u8],
    scratch: Scratch<'_>,
) {
    let (c, c8, taps) = (g.out_c, g.out_c.next_multiple_of(LANES), g.kh * g.kw);
    let pairs = taps.div_ceil(2);
    assert!(
        g.in_c == c
            && input.len() >= g.in_h * g.in_w * c
            && g.band_end <= g.out_h * g.out_w
            && output.len() >= (g.band_end - g.band_start) * c
            && packed.i16.len() >= c8 * pairs * 2
            && packed.i32.len() >= c8
            && scratch.i16.len() >= ring_len(g),
        "depthwise_u8: buffers do not match the geometry"
    );
    let buf = &mut scratch.i16[..ring_len(g)];
    let zp = q.input_zero_point;
    // SAFETY: the lengths checked above.
    with_requant!(q, |rq| unsafe {
        depthwise(&U8 { packed, zp, taps, pairs, stage: Requantized(&rq) }, g, input, output, buf)
    })
}

/// The uint8 depthwise kernel: taps two at a time with `i32x4.dot_i16x8_s`.
struct U8<'a, R> {
    packed: &'a Packed,
    /// The input zero point.
    zp: i32,
    taps: usize,
    /// Tap pairs (⌈taps / 2⌉).
    pairs: usize,
    stage: Requantized<'a, R>,
}

impl<R: Requantize> Channels for U8<'_, R> {
    type In = u8;
    type Ring = i16;
    const ZERO: i16 = 0;
    type W = i16;
    type Out = u8;

    #[inline(always)]
    fn convert_row(&self, c: usize, src: &[u8], dst: &mut [i16], block_len: usize) {
        let w = src.len() / c;
        if c % 16 != 0 || dst.len() < (c / LANES - 1) * block_len + w * LANES {
            return by_block(c, src, dst, block_len, 0, |s, d| super::widen_sub(s, self.zp, d));
        }
        // Pixel by pixel, 16 channels (two blocks) a vector: as few instructions as converting
        // the row in place.
        let z = i16x8_splat(self.zp as i16);
        // SAFETY: pixel x's values are src[x·c..][..c]; its blocks' 8 elements are at
        // dst[x·8 + j·block_len..], inside dst (checked above).
        unsafe {
            for x in 0..w {
                let (mut s, mut d) = (src.as_ptr().add(x * c), dst.as_mut_ptr().add(x * LANES));
                let end = s.add(c);
                while s < end {
                    let v = v128_load(s as *const v128);
                    v128_store(d as *mut v128, i16x8_sub(u16x8_extend_low_u8x16(v), z));
                    v128_store(d.add(block_len) as *mut v128, i16x8_sub(u16x8_extend_high_u8x16(v), z));
                    s = s.add(16);
                    // (Past the last block the pointer is not used: not `add`, whose result
                    // must stay inside the buffer.)
                    d = d.wrapping_add(2 * block_len);
                }
            }
        }
    }

    #[inline(always)]
    unsafe fn block(&self, cb: usize) -> (*const i16, [v128; 2]) {
        let c0 = cb * LANES;
        // SAFETY: guaranteed by the caller.
        unsafe {
            let b0 = v128_load(self.packed.i32.as_ptr().add(c0) as *const v128);
            let b1 = v128_load(self.packed.i32.as_ptr().add(c0 + 4) as *const v128);
            (self.packed.i16.as_ptr().add(cb * self.pairs * 16), [b0, b1])
        }
    }

    #[inline(always)]
    unsafe fn row3(
        &self,
        cb: usize,
        n: usize,
        mut rows: [*const i16; 3],
        mut dst: *mut u8,
        step: (usize, usize),
        valid: usize,
    ) {
        // SAFETY: guaranteed by the caller; a 3×3 block holds 5 pairs.
        unsafe {
            let (w, bias) = self.block(cb);
            let w: [[v128; 2]; 5] = core::array::from_fn(|p| pair_weights(w, p));
            for _ in 0..n {
                let tap = |t: usize| tap3(&rows, t);
                let mut acc = bias;
                for (p, &wp) in w.iter().take(4).enumerate() {
                    pair(&mut acc, tap(2 * p), tap(2 * p + 1), wp);
                }
                pair(&mut acc, tap(8), tap(8), w[4]);
                self.stage.store(acc, dst, valid);
                rows = rows.map(|r| r.add(step.0));
                dst = dst.add(step.1);
            }
        }
    }

    #[inline(always)]
    unsafe fn window(
        &self,
        acc: &mut [v128; 2],
        origin: *const i16,
        w: *const i16,
        tap: &impl Fn(usize) -> usize,
    ) {
        // SAFETY: guaranteed by the caller.
        unsafe {
            for p in 0..self.pairs {
                let a = tap(2 * p);
                let b = if 2 * p + 1 < self.taps { tap(2 * p + 1) } else { a };
                pair(acc, origin.add(a), origin.add(b), pair_weights(w, p));
            }
        }
    }

    #[inline(always)]
    unsafe fn store(&self, acc: [v128; 2], dst: *mut u8, valid: usize) {
        // SAFETY: guaranteed by the caller.
        unsafe { self.stage.store(acc, dst, valid) }
    }
}

// ---------------------------------------------------------------------------------- float32

pub fn pack_f32(s: &FilterShape, filter: &[f32], (): (), bias: &[f32]) -> Packed {
    let (c, taps) = (s.out_c, s.kh * s.kw);
    let c8 = c.next_multiple_of(LANES);
    let mut w = vec![0f32; taps * c8 + c8];
    for t in 0..taps {
        w[t * c8..t * c8 + c].copy_from_slice(&filter[t * c..(t + 1) * c]);
    }
    w[taps * c8..taps * c8 + c].copy_from_slice(bias);
    Packed { f32: w, ..Packed::default() }
}

pub fn depthwise_f32(
    g: &ConvGeom,
    act: &FloatRange,
    input: &[f32],
    packed: &Packed,
    output: &mut [f32],
    scratch: Scratch<'_>,
) {
    let (c, c8, taps) = (g.out_c, g.out_c.next_multiple_of(LANES), g.kh * g.kw);
    assert!(
        g.in_c == c
            && input.len() >= g.in_h * g.in_w * c
            && g.band_end <= g.out_h * g.out_w
            && output.len() >= (g.band_end - g.band_start) * c
            && packed.f32.len() >= taps * c8 + c8
            && scratch.f32.len() >= ring_len(g),
        "depthwise_f32: buffers do not match the geometry"
    );
    let buf = &mut scratch.f32[..ring_len(g)];
    // SAFETY: the lengths checked above.
    unsafe { depthwise(&F32 { packed, c8, taps, stage: Clamped::new(act) }, g, input, output, buf) }
}

/// The float depthwise kernel: one multiply-add per tap and 4 channels.
struct F32<'a> {
    packed: &'a Packed,
    /// Channels rounded up to 8.
    c8: usize,
    taps: usize,
    stage: Clamped,
}

impl F32<'_> {
    /// The 8 weights of tap `t` of a block (`w` from [`Channels::block`]).
    ///
    /// # Safety
    /// `t` is a tap of the filter.
    #[inline(always)]
    unsafe fn tap_weights(&self, w: *const f32, t: usize) -> [v128; 2] {
        // SAFETY: guaranteed by the caller.
        unsafe {
            let wv = w.add(t * self.c8);
            [v128_load(wv as *const v128), v128_load(wv.add(4) as *const v128)]
        }
    }
}

/// Adds one tap (8 channels at `x`) times its weights to the accumulators.
///
/// # Safety
/// `x` points to 8 readable floats.
#[inline(always)]
unsafe fn tap(acc: &mut [v128; 2], x: *const f32, w: [v128; 2]) {
    // SAFETY: guaranteed by the caller.
    unsafe {
        acc[0] = madd(v128_load(x as *const v128), w[0], acc[0]);
        acc[1] = madd(v128_load(x.add(4) as *const v128), w[1], acc[1]);
    }
}

impl Channels for F32<'_> {
    type In = f32;
    type Ring = f32;
    const ZERO: f32 = 0.0;
    type W = f32;
    type Out = f32;

    #[inline(always)]
    fn convert_row(&self, c: usize, src: &[f32], dst: &mut [f32], block_len: usize) {
        by_block(c, src, dst, block_len, 0.0, |s, d| d.copy_from_slice(s))
    }

    #[inline(always)]
    unsafe fn block(&self, cb: usize) -> (*const f32, [v128; 2]) {
        let (c0, bias) = (cb * LANES, self.taps * self.c8 + cb * LANES);
        // SAFETY: guaranteed by the caller.
        unsafe {
            let b0 = v128_load(self.packed.f32.as_ptr().add(bias) as *const v128);
            let b1 = v128_load(self.packed.f32.as_ptr().add(bias + 4) as *const v128);
            (self.packed.f32.as_ptr().add(c0), [b0, b1])
        }
    }

    #[inline(always)]
    unsafe fn row3(
        &self,
        cb: usize,
        n: usize,
        rows: [*const f32; 3],
        dst: *mut f32,
        step: (usize, usize),
        valid: usize,
    ) {
        // SAFETY: guaranteed by the caller; a 3×3 filter has 9 taps of c8 weights.
        unsafe {
            let (w, bias) = self.block(cb);
            // Channels 0–3 of the block, then 4–7 (if any is valid).
            for (half, bias) in bias.into_iter().enumerate().take(valid.div_ceil(4)) {
                let h = half * 4;
                let w: [v128; 9] = core::array::from_fn(|t| v128_load(w.add(t * self.c8 + h) as *const v128));
                let (mut rows, mut dst) = (rows.map(|r| r.add(h)), dst.add(h));
                for _ in 0..n {
                    // Relaxed SIMD's fused multiply-add takes the accumulator as its last
                    // operand, so one chain of 9 puts all 9 loads ahead of the arithmetic in the
                    // wasm, and V8 keeps them live (spilled): a sum per kernel row, added at the
                    // end, is three expressions of 3 loads each (Chromium, depthwise: ×0.72–0.87
                    // against the pointwise layers of the same pages). Multiply then add (the
                    // other builds) takes the accumulator first: the chain's loads already come
                    // one by one, and the two adds only cost (Node, WebKit: ×1.04–1.12).
                    #[cfg(target_feature = "relaxed-simd")]
                    let acc = {
                        let row = |ky: usize, acc: v128| {
                            let x = |kx: usize| v128_load(tap3(&rows, ky * 3 + kx) as *const v128);
                            madd(x(2), w[ky * 3 + 2], madd(x(1), w[ky * 3 + 1], madd(x(0), w[ky * 3], acc)))
                        };
                        let zero = f32x4_splat(0.0);
                        f32x4_add(f32x4_add(row(0, bias), row(1, zero)), row(2, zero))
                    };
                    #[cfg(not(target_feature = "relaxed-simd"))]
                    let acc = w
                        .iter()
                        .enumerate()
                        .fold(bias, |acc, (t, &wv)| madd(v128_load(tap3(&rows, t) as *const v128), wv, acc));
                    self.stage.store4(acc, dst, valid - h);
                    rows = rows.map(|r| r.add(step.0));
                    dst = dst.add(step.1);
                }
            }
        }
    }

    #[inline(always)]
    unsafe fn window(
        &self,
        acc: &mut [v128; 2],
        origin: *const f32,
        w: *const f32,
        offset: &impl Fn(usize) -> usize,
    ) {
        for t in 0..self.taps {
            // SAFETY: guaranteed by the caller.
            unsafe { tap(acc, origin.add(offset(t)), self.tap_weights(w, t)) };
        }
    }

    #[inline(always)]
    unsafe fn store(&self, acc: [v128; 2], dst: *mut f32, valid: usize) {
        // SAFETY: guaranteed by the caller.
        unsafe { self.stage.store(acc, dst, valid) }
    }
}
