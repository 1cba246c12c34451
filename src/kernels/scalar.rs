//! Portable kernels: the fast path on any target, native or wasm.
//!
//! Same signatures and results as [`super::reference`] (uint8 bit-exact; float within rounding
//! of the summation order), with loops arranged so the compiler can keep bounds checks out of the
//! inner loops and vectorize them:
//! - 1×1 stride-1 convolutions (pointwise and logits) are a matrix product: for each pixel, one
//!   contiguous dot product per output channel.
//! - Depthwise and general convolutions iterate over the taps that fall inside the input, with
//!   the channel loop innermost over contiguous memory.

use super::{ConvGeom, FloatRange, KernelSet, Packed, QuantParams, Scratch, requantize_u8};

/// The portable implementation of every kernel.
pub const KERNELS: KernelSet = KernelSet {
    name: "scalar",
    pack_conv2d_u8: super::pack_file_layout_u8,
    pack_conv2d_f32: super::pack_file_layout_f32,
    pack_depthwise_u8: super::pack_file_layout_u8,
    pack_depthwise_f32: super::pack_file_layout_f32,
    conv2d_u8,
    conv2d_f32,
    depthwise_u8,
    depthwise_f32,
    avg_pool_u8: super::reference::avg_pool_u8,
    avg_pool_f32: super::reference::avg_pool_f32,
    softmax_u8: super::softmax_u8_common,
    softmax_f32: super::softmax_f32_common,
};

/// Range of taps `k` in `0..kernel` whose input coordinate `o·stride + k − pad` is in `0..size`.
#[inline(always)]
fn tap_range(o: usize, stride: usize, pad: usize, kernel: usize, size: usize) -> (usize, usize) {
    let start = o * stride;
    let first = pad.saturating_sub(start);
    let last = (size + pad).saturating_sub(start).min(kernel);
    (first, last.max(first))
}

fn is_pointwise(g: &ConvGeom) -> bool {
    g.kh == 1 && g.kw == 1 && g.stride_h == 1 && g.stride_w == 1 && g.pad_top == 0 && g.pad_left == 0
}

pub fn conv2d_u8(
    g: &ConvGeom,
    q: &QuantParams,
    input: &[u8],
    packed: &Packed,
    output: &mut [u8],
    _: Scratch<'_>,
) {
    let (filter, bias) = (&packed.u8[..], &packed.i32[..]);
    let zx = q.input_zero_point;
    let zw = q.filter_zero_point;
    if is_pointwise(g) {
        let ic = g.in_c;
        let pixels = &input[g.band_start * ic..g.band_end * ic];
        for (x, out) in pixels.chunks_exact(ic).zip(output.chunks_exact_mut(g.out_c)) {
            for ((o, w), &b) in out.iter_mut().zip(filter.chunks_exact(ic)).zip(bias) {
                let mut acc = 0i32;
                for (&xv, &wv) in x.iter().zip(w) {
                    acc = acc.wrapping_add((i32::from(xv) - zx) * (i32::from(wv) - zw));
                }
                *o = requantize_u8(b.wrapping_add(acc), q);
            }
        }
        return;
    }
    let (oc_n, ic) = (g.out_c, g.in_c);
    for (i, p) in g.band().enumerate() {
        let (oy, ox) = (p / g.out_w, p % g.out_w);
        let (ky0, ky1) = tap_range(oy, g.stride_h, g.pad_top, g.kh, g.in_h);
        {
            let (kx0, kx1) = tap_range(ox, g.stride_w, g.pad_left, g.kw, g.in_w);
            let out = &mut output[i * oc_n..][..oc_n];
            for (oc, o) in out.iter_mut().enumerate() {
                let mut acc = bias[oc];
                for ky in ky0..ky1 {
                    let iy = oy * g.stride_h + ky - g.pad_top;
                    let row = &input[iy * g.in_w * ic..];
                    let frow = &filter[(oc * g.kh + ky) * g.kw * ic..];
                    for kx in kx0..kx1 {
                        let ix = ox * g.stride_w + kx - g.pad_left;
                        let x = &row[ix * ic..][..ic];
                        let w = &frow[kx * ic..][..ic];
                        for (&xv, &wv) in x.iter().zip(w) {
                            acc = acc.wrapping_add((i32::from(xv) - zx) * (i32::from(wv) - zw));
                        }
                    }
                }
                *o = requantize_u8(acc, q);
            }
        }
    }
}

pub fn conv2d_f32(
    g: &ConvGeom,
    act: FloatRange,
    input: &[f32],
    packed: &Packed,
    output: &mut [f32],
    _: Scratch<'_>,
) {
    let (filter, bias) = super::file_layout_f32(packed, g.out_c);
    if is_pointwise(g) {
        let ic = g.in_c;
        let pixels = &input[g.band_start * ic..g.band_end * ic];
        for (x, out) in pixels.chunks_exact(ic).zip(output.chunks_exact_mut(g.out_c)) {
            for ((o, w), &b) in out.iter_mut().zip(filter.chunks_exact(ic)).zip(bias) {
                // Four partial sums let the compiler vectorize without reassociating floats itself.
                let mut part = [0f32; 4];
                let (xh, xt) = x.split_at(ic - ic % 4);
                let (wh, wt) = w.split_at(ic - ic % 4);
                for (xc, wc) in xh.chunks_exact(4).zip(wh.chunks_exact(4)) {
                    for l in 0..4 {
                        part[l] += xc[l] * wc[l];
                    }
                }
                let mut acc = b + (part[0] + part[1]) + (part[2] + part[3]);
                for (&xv, &wv) in xt.iter().zip(wt) {
                    acc += xv * wv;
                }
                *o = acc.clamp(act.min, act.max);
            }
        }
        return;
    }
    let (oc_n, ic) = (g.out_c, g.in_c);
    for (i, p) in g.band().enumerate() {
        let (oy, ox) = (p / g.out_w, p % g.out_w);
        let (ky0, ky1) = tap_range(oy, g.stride_h, g.pad_top, g.kh, g.in_h);
        {
            let (kx0, kx1) = tap_range(ox, g.stride_w, g.pad_left, g.kw, g.in_w);
            let out = &mut output[i * oc_n..][..oc_n];
            for (oc, o) in out.iter_mut().enumerate() {
                let mut acc = bias[oc];
                for ky in ky0..ky1 {
                    let iy = oy * g.stride_h + ky - g.pad_top;
                    for kx in kx0..kx1 {
                        let ix = ox * g.stride_w + kx - g.pad_left;
                        let x = &input[(iy * g.in_w + ix) * ic..][..ic];
                        let w = &filter[((oc * g.kh + ky) * g.kw + kx) * ic..][..ic];
                        for (&xv, &wv) in x.iter().zip(w) {
                            acc += xv * wv;
                        }
                    }
                }
                *o = acc.clamp(act.min, act.max);
            }
        }
    }
}

pub fn depthwise_u8(
    g: &ConvGeom,
    q: &QuantParams,
    input: &[u8],
    packed: &Packed,
    output: &mut [u8],
    _: Scratch<'_>,
) {
    let (filter, bias) = (&packed.u8[..], &packed.i32[..]);
    let c_n = g.out_c;
    let zx = q.input_zero_point;
    let zw = q.filter_zero_point;
    for (i, p) in g.band().enumerate() {
        let (oy, ox) = (p / g.out_w, p % g.out_w);
        let (ky0, ky1) = tap_range(oy, g.stride_h, g.pad_top, g.kh, g.in_h);
        {
            let (kx0, kx1) = tap_range(ox, g.stride_w, g.pad_left, g.kw, g.in_w);
            let out = &mut output[i * c_n..][..c_n];
            for (c, o) in out.iter_mut().enumerate() {
                let mut acc = bias[c];
                for ky in ky0..ky1 {
                    let iy = oy * g.stride_h + ky - g.pad_top;
                    for kx in kx0..kx1 {
                        let ix = ox * g.stride_w + kx - g.pad_left;
                        let x = i32::from(input[(iy * g.in_w + ix) * c_n + c]);
                        let w = i32::from(filter[(ky * g.kw + kx) * c_n + c]);
                        acc = acc.wrapping_add((x - zx) * (w - zw));
                    }
                }
                *o = requantize_u8(acc, q);
            }
        }
    }
}

pub fn depthwise_f32(
    g: &ConvGeom,
    act: FloatRange,
    input: &[f32],
    packed: &Packed,
    output: &mut [f32],
    _: Scratch<'_>,
) {
    let (filter, bias) = super::file_layout_f32(packed, g.out_c);
    let c_n = g.out_c;
    for (i, p) in g.band().enumerate() {
        let (oy, ox) = (p / g.out_w, p % g.out_w);
        let (ky0, ky1) = tap_range(oy, g.stride_h, g.pad_top, g.kh, g.in_h);
        {
            let (kx0, kx1) = tap_range(ox, g.stride_w, g.pad_left, g.kw, g.in_w);
            let out = &mut output[i * c_n..][..c_n];
            // The output row doubles as the accumulator: no scratch memory needed.
            out.copy_from_slice(&bias[..c_n]);
            for ky in ky0..ky1 {
                let iy = oy * g.stride_h + ky - g.pad_top;
                for kx in kx0..kx1 {
                    let ix = ox * g.stride_w + kx - g.pad_left;
                    let x = &input[(iy * g.in_w + ix) * c_n..][..c_n];
                    let w = &filter[(ky * g.kw + kx) * c_n..][..c_n];
                    for ((o, &xv), &wv) in out.iter_mut().zip(x).zip(w) {
                        *o += xv * wv;
                    }
                }
            }
            for o in out.iter_mut() {
                *o = o.clamp(act.min, act.max);
            }
        }
    }
}
