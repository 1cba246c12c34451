//! Naive reference kernels: the test oracle.
//!
//! Straight loops over output position, output channel and filter tap, written to be obviously
//! equal to TFLite's reference kernels rather than fast. Padded taps are skipped: for uint8 a
//! padded tap contributes `(zp_x − zp_x)·w = 0`, so skipping is exact.

use super::{ConvGeom, FloatRange, KernelSet, Packed, PoolGeom, QuantParams, Scratch, requantize_u8};

/// The reference implementation of every kernel.
pub const KERNELS: KernelSet = KernelSet {
    name: "reference",
    pack_conv2d_u8: super::pack_file_layout_u8,
    pack_conv2d_f32: super::pack_file_layout_f32,
    pack_depthwise_u8: super::pack_file_layout_u8,
    pack_depthwise_f32: super::pack_file_layout_f32,
    conv2d_u8,
    conv2d_f32,
    depthwise_u8,
    depthwise_f32,
    avg_pool_u8,
    avg_pool_f32,
    softmax_u8: super::softmax_u8_common,
    softmax_f32: super::softmax_f32_common,
};

/// Input coordinate of output coordinate `o` at tap `k`, or `None` when it falls in the padding.
#[inline]
fn source(o: usize, stride: usize, k: usize, pad: usize, size: usize) -> Option<usize> {
    let pos = (o * stride + k).checked_sub(pad)?;
    (pos < size).then_some(pos)
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
    for (i, p) in g.band().enumerate() {
        let (oy, ox) = (p / g.out_w, p % g.out_w);
        {
            for oc in 0..g.out_c {
                let mut acc = bias[oc];
                for ky in 0..g.kh {
                    let Some(iy) = source(oy, g.stride_h, ky, g.pad_top, g.in_h) else {
                        continue;
                    };
                    for kx in 0..g.kw {
                        let Some(ix) = source(ox, g.stride_w, kx, g.pad_left, g.in_w) else {
                            continue;
                        };
                        for ic in 0..g.in_c {
                            let x = i32::from(input[(iy * g.in_w + ix) * g.in_c + ic]);
                            let w = i32::from(filter[((oc * g.kh + ky) * g.kw + kx) * g.in_c + ic]);
                            acc = acc.wrapping_add((x - q.input_zero_point) * (w - q.filter_zero_point));
                        }
                    }
                }
                output[i * g.out_c + oc] = requantize_u8(acc, q);
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
    for (i, p) in g.band().enumerate() {
        let (oy, ox) = (p / g.out_w, p % g.out_w);
        {
            for oc in 0..g.out_c {
                let mut acc = bias[oc];
                for ky in 0..g.kh {
                    let Some(iy) = source(oy, g.stride_h, ky, g.pad_top, g.in_h) else {
                        continue;
                    };
                    for kx in 0..g.kw {
                        let Some(ix) = source(ox, g.stride_w, kx, g.pad_left, g.in_w) else {
                            continue;
                        };
                        for ic in 0..g.in_c {
                            acc += input[(iy * g.in_w + ix) * g.in_c + ic]
                                * filter[((oc * g.kh + ky) * g.kw + kx) * g.in_c + ic];
                        }
                    }
                }
                output[i * g.out_c + oc] = acc.clamp(act.min, act.max);
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
    for (i, p) in g.band().enumerate() {
        let (oy, ox) = (p / g.out_w, p % g.out_w);
        {
            for c in 0..g.out_c {
                let mut acc = bias[c];
                for ky in 0..g.kh {
                    let Some(iy) = source(oy, g.stride_h, ky, g.pad_top, g.in_h) else {
                        continue;
                    };
                    for kx in 0..g.kw {
                        let Some(ix) = source(ox, g.stride_w, kx, g.pad_left, g.in_w) else {
                            continue;
                        };
                        let x = i32::from(input[(iy * g.in_w + ix) * g.in_c + c]);
                        let w = i32::from(filter[(ky * g.kw + kx) * g.out_c + c]);
                        acc = acc.wrapping_add((x - q.input_zero_point) * (w - q.filter_zero_point));
                    }
                }
                output[i * g.out_c + c] = requantize_u8(acc, q);
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
    for (i, p) in g.band().enumerate() {
        let (oy, ox) = (p / g.out_w, p % g.out_w);
        {
            for c in 0..g.out_c {
                let mut acc = bias[c];
                for ky in 0..g.kh {
                    let Some(iy) = source(oy, g.stride_h, ky, g.pad_top, g.in_h) else {
                        continue;
                    };
                    for kx in 0..g.kw {
                        let Some(ix) = source(ox, g.stride_w, kx, g.pad_left, g.in_w) else {
                            continue;
                        };
                        acc +=
                            input[(iy * g.in_w + ix) * g.in_c + c] * filter[(ky * g.kw + kx) * g.out_c + c];
                    }
                }
                output[i * g.out_c + c] = acc.clamp(act.min, act.max);
            }
        }
    }
}

pub fn avg_pool_u8(g: &PoolGeom, act_min: i32, act_max: i32, input: &[u8], output: &mut [u8]) {
    for oy in 0..g.out_h {
        for ox in 0..g.out_w {
            for c in 0..g.c {
                let mut acc = 0i32;
                let mut n = 0i32;
                for ky in 0..g.kh {
                    let Some(iy) = source(oy, g.stride_h, ky, g.pad_top, g.in_h) else {
                        continue;
                    };
                    for kx in 0..g.kw {
                        let Some(ix) = source(ox, g.stride_w, kx, g.pad_left, g.in_w) else {
                            continue;
                        };
                        acc += i32::from(input[(iy * g.in_w + ix) * g.c + c]);
                        n += 1;
                    }
                }
                let avg = if n == 0 { 0 } else { (acc + n / 2) / n };
                output[(oy * g.out_w + ox) * g.c + c] = avg.clamp(act_min, act_max) as u8;
            }
        }
    }
}

pub fn avg_pool_f32(g: &PoolGeom, act: FloatRange, input: &[f32], output: &mut [f32]) {
    for oy in 0..g.out_h {
        for ox in 0..g.out_w {
            for c in 0..g.c {
                let mut acc = 0f32;
                let mut n = 0u32;
                for ky in 0..g.kh {
                    let Some(iy) = source(oy, g.stride_h, ky, g.pad_top, g.in_h) else {
                        continue;
                    };
                    for kx in 0..g.kw {
                        let Some(ix) = source(ox, g.stride_w, kx, g.pad_left, g.in_w) else {
                            continue;
                        };
                        acc += input[(iy * g.in_w + ix) * g.c + c];
                        n += 1;
                    }
                }
                let avg = if n == 0 { 0.0 } else { acc / n as f32 };
                output[(oy * g.out_w + ox) * g.c + c] = avg.clamp(act.min, act.max);
            }
        }
    }
}
