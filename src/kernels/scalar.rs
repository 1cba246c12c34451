//! Portable kernels: the fast path on any target, native or wasm. One loop per kernel, generic
//! over the element type ([`Arith`]), as the reference kernels.
//!
//! Same results as [`super::reference`] (uint8 bit-exact; float within rounding of the
//! summation order), with loops arranged so the compiler can keep bounds checks out of the
//! inner loops and vectorize them:
//! - 1×1 stride-1 convolutions (pointwise and logits) are a matrix product: for each pixel, one
//!   contiguous dot product per output channel.
//! - General convolutions iterate over the kernel rows that fall inside the input; the taps of
//!   a row that fall inside are contiguous in both the input and the filter: one dot product.
//! - Depthwise convolutions and average pools keep the channel loop innermost over contiguous
//!   memory, accumulating [`CHUNK`] channels at a time on the stack.

use super::arith::{Arith, Portable, portable_set};
use super::{ConvGeom, KernelSet, Packed, tap_range};

/// The portable implementation of every kernel.
pub const KERNELS: KernelSet = portable_set::<Scalar>("scalar");

/// The scalar kernels' loops.
struct Scalar;

impl Portable for Scalar {
    fn conv2d<T: Arith>(g: &ConvGeom, p: &T::Params, input: &[T], packed: &Packed, output: &mut [T]) {
        let (filter, bias) = T::file_layout(packed, g.out_c);
        let (oc_n, ic) = (g.out_c, g.in_c);
        if g.is_pointwise() {
            let pixels = &input[g.band_start * ic..g.band_end * ic];
            for (x, out) in pixels.chunks_exact(ic).zip(output.chunks_exact_mut(oc_n)) {
                for ((o, w), &b) in out.iter_mut().zip(filter.chunks_exact(ic)).zip(bias) {
                    *o = T::output(T::dot(b, x, w, p), p);
                }
            }
            return;
        }
        for (i, px) in g.band().enumerate() {
            let (oy, ox) = (px / g.out_w, px % g.out_w);
            let rows = tap_range(oy, g.stride_h, g.pad_top, g.kh, g.in_h);
            let cols = tap_range(ox, g.stride_w, g.pad_left, g.kw, g.in_w);
            // The taps of one kernel row that fall inside the input, as one contiguous run (none
            // when no column does: then no row is read either).
            let run = cols.len() * ic;
            let rows = if run == 0 { 0..0 } else { rows };
            let ix0 = (ox * g.stride_w + cols.start).saturating_sub(g.pad_left);
            let out = &mut output[i * oc_n..][..oc_n];
            for (oc, o) in out.iter_mut().enumerate() {
                let mut acc = bias[oc];
                for ky in rows.clone() {
                    let iy = oy * g.stride_h + ky - g.pad_top;
                    let x = &input[(iy * g.in_w + ix0) * ic..][..run];
                    let w = &filter[((oc * g.kh + ky) * g.kw + cols.start) * ic..][..run];
                    acc = T::dot(acc, x, w, p);
                }
                *o = T::output(acc, p);
            }
        }
    }

    fn depthwise<T: Arith>(g: &ConvGeom, p: &T::Params, input: &[T], packed: &Packed, output: &mut [T]) {
        let (filter, bias) = T::file_layout(packed, g.out_c);
        let c_n = g.out_c;
        for (i, px) in g.band().enumerate() {
            let (oy, ox) = (px / g.out_w, px % g.out_w);
            let rows = tap_range(oy, g.stride_h, g.pad_top, g.kh, g.in_h);
            let cols = tap_range(ox, g.stride_w, g.pad_left, g.kw, g.in_w);
            let out = &mut output[i * c_n..][..c_n];
            for c0 in (0..c_n).step_by(CHUNK) {
                let n = (c_n - c0).min(CHUNK);
                let mut acc = [T::ZERO; CHUNK];
                let acc = &mut acc[..n];
                acc.copy_from_slice(&bias[c0..c0 + n]);
                for ky in rows.clone() {
                    let iy = oy * g.stride_h + ky - g.pad_top;
                    for kx in cols.clone() {
                        let ix = ox * g.stride_w + kx - g.pad_left;
                        let x = &input[(iy * g.in_w + ix) * c_n + c0..][..n];
                        let w = &filter[(ky * g.kw + kx) * c_n + c0..][..n];
                        for ((a, &xv), &wv) in acc.iter_mut().zip(x).zip(w) {
                            *a = T::mac(*a, xv, wv, p);
                        }
                    }
                }
                for (o, &a) in out[c0..c0 + n].iter_mut().zip(acc.iter()) {
                    *o = T::output(a, p);
                }
            }
        }
    }

    fn avg_pool<T: Arith>(g: &ConvGeom, clamp: &T::PoolClamp, input: &[T], output: &mut [T]) {
        let c_n = g.in_c;
        for oy in 0..g.out_h {
            let rows = tap_range(oy, g.stride_h, g.pad_top, g.kh, g.in_h);
            for ox in 0..g.out_w {
                let cols = tap_range(ox, g.stride_w, g.pad_left, g.kw, g.in_w);
                // The planner never makes a window without a tap inside the input.
                let count = (rows.len() * cols.len()).max(1);
                let out = &mut output[(oy * g.out_w + ox) * c_n..][..c_n];
                for c0 in (0..c_n).step_by(CHUNK) {
                    let n = (c_n - c0).min(CHUNK);
                    let mut sum = [T::ZERO; CHUNK];
                    for ky in rows.clone() {
                        let iy = oy * g.stride_h + ky - g.pad_top;
                        for kx in cols.clone() {
                            let ix = ox * g.stride_w + kx - g.pad_left;
                            let x = &input[(iy * g.in_w + ix) * c_n + c0..][..n];
                            for (s, &v) in sum.iter_mut().zip(x) {
                                *s = T::add(*s, v);
                            }
                        }
                    }
                    for (o, &s) in out[c0..c0 + n].iter_mut().zip(&sum) {
                        *o = T::average(s, count, clamp);
                    }
                }
            }
        }
    }
}

/// Channels accumulated together by the depthwise and pooling loops.
const CHUNK: usize = 64;
