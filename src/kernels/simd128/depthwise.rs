//! DEPTHWISE_CONV_2D (multiplier 1), 8 channels per step.
//!
//! The input is first copied into a zero-bordered scratch image with channels rounded up to 8
//! (C8): uint8 as `x − zp_x` in i16, float as is. The border is exactly TFLite's SAME padding, so
//! the inner loop has no bounds checks.
//!
//! Packed layouts: uint8 `i16` `[kh·kw][C8]` (`w − zp_w`) with `i32` bias `[C8]`; float `f32`
//! `[kh·kw][C8]` then bias `[C8]`.

use super::gemm::madd;
use super::requant::{Requant, narrow_u8};
use crate::kernels::{ConvGeom, FilterShape, FloatRange, Packed, QuantParams, Scratch};
use core::arch::wasm32::*;

const LANES: usize = 8;

/// Size of the zero-bordered image: rows and columns covering every tap of every output.
fn padded_dims(g: &ConvGeom) -> (usize, usize) {
    let rows = ((g.out_h - 1) * g.stride_h + g.kh).max(g.pad_top + g.in_h);
    let cols = ((g.out_w - 1) * g.stride_w + g.kw).max(g.pad_left + g.in_w);
    (rows, cols)
}

/// Copies `input` (HWC, `c` channels) into the padded image `dst` (`rows × cols × c8`), converting
/// each value with `conv` and writing `zero` into the border and the padding channels.
fn pad_image<S: Copy, D: Copy>(
    g: &ConvGeom,
    input: &[S],
    dst: &mut [D],
    zero: D,
    convert: impl Fn(&[S], &mut [D]),
) {
    let (rows, cols) = padded_dims(g);
    let (c, c8) = (g.in_c, g.in_c.next_multiple_of(LANES));
    let row_len = cols * c8;
    for r in 0..rows {
        let dst_row = &mut dst[r * row_len..][..row_len];
        let iy = r.wrapping_sub(g.pad_top);
        if iy >= g.in_h {
            dst_row.fill(zero);
            continue;
        }
        dst_row[..g.pad_left * c8].fill(zero);
        dst_row[(g.pad_left + g.in_w) * c8..].fill(zero);
        let src_row = &input[iy * g.in_w * c..][..g.in_w * c];
        if c == c8 {
            convert(src_row, &mut dst_row[g.pad_left * c8..][..g.in_w * c8]);
        } else {
            for (x, px) in src_row.chunks_exact(c).enumerate() {
                let d = &mut dst_row[(g.pad_left + x) * c8..][..c8];
                convert(px, &mut d[..c]);
                d[c..].fill(zero);
            }
        }
    }
}

// ------------------------------------------------------------------------------------ uint8

pub fn pack_u8(s: &FilterShape, filter: &[u8], zero_point: i32, bias: &[i32]) -> Packed {
    let (c, taps) = (s.out_c, s.kh * s.kw);
    let c8 = c.next_multiple_of(LANES);
    let mut w = vec![0i16; taps * c8];
    for t in 0..taps {
        for ch in 0..c {
            w[t * c8 + ch] = (i32::from(filter[t * c + ch]) - zero_point) as i16;
        }
    }
    let mut b = bias.to_vec();
    b.resize(c8, 0);
    Packed { i16: w, i32: b, ..Packed::default() }
}

fn widen_sub(src: &[u8], zp: i32, dst: &mut [i16]) {
    for (d, &s) in dst.iter_mut().zip(src) {
        *d = (i32::from(s) - zp) as i16;
    }
}

pub fn depthwise_u8(
    g: &ConvGeom,
    q: &QuantParams,
    input: &[u8],
    packed: &Packed,
    output: &mut [u8],
    scratch: &mut Scratch,
) {
    let (rows, cols) = padded_dims(g);
    let (c, c8, taps) = (g.out_c, g.out_c.next_multiple_of(LANES), g.kh * g.kw);
    assert!(
        input.len() >= g.in_h * g.in_w * c
            && output.len() >= g.out_h * g.out_w * c
            && packed.i16.len() >= taps * c8
            && packed.i32.len() >= c8
            && scratch.i16.len() >= rows * cols * c8,
        "depthwise_u8: buffers do not match the geometry"
    );
    let zp = q.input_zero_point;
    let img = &mut scratch.i16[..rows * cols * c8];
    pad_image(g, input, img, 0i16, |s, d| widen_sub(s, zp, d));
    let rq = Requant::new(q);
    let row_len = cols * c8;
    let mut offsets = [0usize; 9];
    let taps3 = g.kh == 3 && g.kw == 3;
    if taps3 {
        for (t, o) in offsets.iter_mut().enumerate() {
            *o = (t / 3) * row_len + (t % 3) * c8;
        }
    }
    for oy in 0..g.out_h {
        for cb in 0..c8 / LANES {
            let c0 = cb * LANES;
            let valid = (c - c0).min(LANES);
            // SAFETY: every offset below is inside the lengths checked above: padded_dims covers
            // (out − 1)·stride + k rows and columns, and channel block cb is below c8.
            unsafe {
                let row = img.as_ptr().add(oy * g.stride_h * row_len + c0);
                let w = packed.i16.as_ptr().add(c0);
                let b0 = v128_load(packed.i32.as_ptr().add(c0) as *const v128);
                let b1 = v128_load(packed.i32.as_ptr().add(c0 + 4) as *const v128);
                let out = output.as_mut_ptr().add(oy * g.out_w * c + c0);
                let store = |ox: usize, lo: v128, hi: v128| {
                    let bytes = narrow_u8(rq.apply(lo), rq.apply(hi));
                    let dst = out.add(ox * c);
                    if valid == LANES {
                        v128_store64_lane::<0>(bytes, dst as *mut u64);
                    } else {
                        let all = u64x2_extract_lane::<0>(bytes).to_le_bytes();
                        core::ptr::copy_nonoverlapping(all.as_ptr(), dst, valid);
                    }
                };
                if taps3 {
                    // 3×3: the nine weight vectors stay in registers along the row.
                    let wv: [v128; 9] = core::array::from_fn(|t| v128_load(w.add(t * c8) as *const v128));
                    for ox in 0..g.out_w {
                        let base = row.add(ox * g.stride_w * c8);
                        let (mut lo, mut hi) = (b0, b1);
                        for t in 0..9 {
                            let x = v128_load(base.add(offsets[t]) as *const v128);
                            lo = i32x4_add(lo, i32x4_extmul_low_i16x8(x, wv[t]));
                            hi = i32x4_add(hi, i32x4_extmul_high_i16x8(x, wv[t]));
                        }
                        store(ox, lo, hi);
                    }
                } else {
                    for ox in 0..g.out_w {
                        let base = row.add(ox * g.stride_w * c8);
                        let (mut lo, mut hi) = (b0, b1);
                        for ky in 0..g.kh {
                            for kx in 0..g.kw {
                                let x = v128_load(base.add(ky * row_len + kx * c8) as *const v128);
                                let wv = v128_load(w.add((ky * g.kw + kx) * c8) as *const v128);
                                lo = i32x4_add(lo, i32x4_extmul_low_i16x8(x, wv));
                                hi = i32x4_add(hi, i32x4_extmul_high_i16x8(x, wv));
                            }
                        }
                        store(ox, lo, hi);
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------- float32

pub fn pack_f32(s: &FilterShape, filter: &[f32], bias: &[f32]) -> Packed {
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
    act: FloatRange,
    input: &[f32],
    packed: &Packed,
    output: &mut [f32],
    scratch: &mut Scratch,
) {
    let (rows, cols) = padded_dims(g);
    let (c, c8, taps) = (g.out_c, g.out_c.next_multiple_of(LANES), g.kh * g.kw);
    assert!(
        input.len() >= g.in_h * g.in_w * c
            && output.len() >= g.out_h * g.out_w * c
            && packed.f32.len() >= taps * c8 + c8
            && scratch.f32.len() >= rows * cols * c8,
        "depthwise_f32: buffers do not match the geometry"
    );
    let img = &mut scratch.f32[..rows * cols * c8];
    pad_image(g, input, img, 0f32, |s, d| d.copy_from_slice(s));
    let (lo_clamp, hi_clamp) = (f32x4_splat(act.min), f32x4_splat(act.max));
    let row_len = cols * c8;
    let taps = g.kh * g.kw;
    for oy in 0..g.out_h {
        for cb in 0..c8 / LANES {
            let c0 = cb * LANES;
            let valid = (c - c0).min(LANES);
            // SAFETY: as in depthwise_u8.
            unsafe {
                let row = img.as_ptr().add(oy * g.stride_h * row_len + c0);
                let w = packed.f32.as_ptr().add(c0);
                let b0 = v128_load(packed.f32.as_ptr().add(taps * c8 + c0) as *const v128);
                let b1 = v128_load(packed.f32.as_ptr().add(taps * c8 + c0 + 4) as *const v128);
                let out = output.as_mut_ptr().add(oy * g.out_w * c + c0);
                let store = |ox: usize, lo: v128, hi: v128| {
                    let lo = f32x4_min(f32x4_max(lo, lo_clamp), hi_clamp);
                    let hi = f32x4_min(f32x4_max(hi, lo_clamp), hi_clamp);
                    let dst = out.add(ox * c);
                    if valid == LANES {
                        v128_store(dst as *mut v128, lo);
                        v128_store(dst.add(4) as *mut v128, hi);
                    } else {
                        let mut all = [0f32; 8];
                        v128_store(all.as_mut_ptr() as *mut v128, lo);
                        v128_store(all.as_mut_ptr().add(4) as *mut v128, hi);
                        core::ptr::copy_nonoverlapping(all.as_ptr(), dst, valid);
                    }
                };
                for ox in 0..g.out_w {
                    let base = row.add(ox * g.stride_w * c8);
                    let (mut lo, mut hi) = (b0, b1);
                    for ky in 0..g.kh {
                        for kx in 0..g.kw {
                            let x = base.add(ky * row_len + kx * c8);
                            let wv = w.add((ky * g.kw + kx) * c8);
                            lo = madd(v128_load(x as *const v128), v128_load(wv as *const v128), lo);
                            hi = madd(v128_load(x.add(4) as *const v128), v128_load(wv.add(4) as *const v128), hi);
                        }
                    }
                    store(ox, lo, hi);
                }
            }
        }
    }
}
