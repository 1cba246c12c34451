//! Naive reference kernels: one loop per kernel, generic over the element type
//! ([`Arith`]: uint8 with TFLite's integer arithmetic, or float32).
//!
//! Straight loops over output position, output channel and filter tap, written to be obviously
//! equal to TFLite's reference kernels rather than fast. Padded taps are skipped: for uint8 a
//! padded tap contributes `(zp_x − zp_x)·w = 0`, so skipping is exact. `tests/kernels.rs`
//! checks these against oracles of its own; every other kernel set is checked against them on
//! real models (`tests/golden.rs`).

use super::arith::{Arith, Portable, portable_set};
use super::{ConvGeom, KernelSet, Packed};

/// The reference implementation of every kernel.
pub const KERNELS: KernelSet = portable_set::<Reference>("reference");

/// The reference kernels' loops.
struct Reference;

impl Portable for Reference {
    /// CONV_2D over the output pixels `g.band()`: filter `[out_c][kh][kw][in_c]`.
    fn conv2d<T: Arith>(g: &ConvGeom, p: &T::Params, input: &[T], packed: &Packed, output: &mut [T]) {
        let (filter, bias) = T::file_layout(packed, g.out_c);
        for (i, px) in g.band().enumerate() {
            let (oy, ox) = (px / g.out_w, px % g.out_w);
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
                            let x = input[(iy * g.in_w + ix) * g.in_c + ic];
                            let w = filter[((oc * g.kh + ky) * g.kw + kx) * g.in_c + ic];
                            acc = T::mac(acc, x, w, p);
                        }
                    }
                }
                output[i * g.out_c + oc] = T::output(acc, p);
            }
        }
    }

    /// DEPTHWISE_CONV_2D (multiplier 1) over the output pixels `g.band()`: filter `[kh][kw][c]`.
    fn depthwise<T: Arith>(g: &ConvGeom, p: &T::Params, input: &[T], packed: &Packed, output: &mut [T]) {
        let (filter, bias) = T::file_layout(packed, g.out_c);
        for (i, px) in g.band().enumerate() {
            let (oy, ox) = (px / g.out_w, px % g.out_w);
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
                        let x = input[(iy * g.in_w + ix) * g.in_c + c];
                        let w = filter[(ky * g.kw + kx) * g.out_c + c];
                        acc = T::mac(acc, x, w, p);
                    }
                }
                output[i * g.out_c + c] = T::output(acc, p);
            }
        }
    }

    /// AVERAGE_POOL_2D: the mean of each window's taps inside the input (TFLite's count excludes
    /// the padding).
    fn avg_pool<T: Arith>(g: &ConvGeom, clamp: &T::PoolClamp, input: &[T], output: &mut [T]) {
        for oy in 0..g.out_h {
            for ox in 0..g.out_w {
                for c in 0..g.in_c {
                    let mut sum = T::ZERO;
                    let mut n = 0;
                    for ky in 0..g.kh {
                        let Some(iy) = source(oy, g.stride_h, ky, g.pad_top, g.in_h) else {
                            continue;
                        };
                        for kx in 0..g.kw {
                            let Some(ix) = source(ox, g.stride_w, kx, g.pad_left, g.in_w) else {
                                continue;
                            };
                            sum = T::add(sum, input[(iy * g.in_w + ix) * g.in_c + c]);
                            n += 1;
                        }
                    }
                    // The planner never makes a window without a tap inside the input.
                    output[(oy * g.out_w + ox) * g.in_c + c] = T::average(sum, n.max(1), clamp);
                }
            }
        }
    }
}

/// Input coordinate of output coordinate `o` at tap `k`, or `None` when it falls in the padding.
#[inline]
fn source(o: usize, stride: usize, k: usize, pad: usize, size: usize) -> Option<usize> {
    let pos = (o * stride + k).checked_sub(pad)?;
    (pos < size).then_some(pos)
}
