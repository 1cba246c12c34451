//! The arithmetic of an element type: all the reference and portable kernels need to know, so
//! that each of their loops is written once (as tract's linalg does) — how a tap accumulates,
//! how an accumulator becomes an output (the per-dtype output stage), how a pool averages, and
//! where the file-layout weights sit in a [`Packed`].

use super::{
    ConvGeom, Element, FloatRange, KernelSet, Kernels, Pack, Packed, QuantParams, Softmax, requantize_u8,
};

/// The kernels of a portable set ([`super::reference`], [`super::scalar`]): each one loop
/// generic over the element type. [`portable_set`] makes the set's table.
pub(crate) trait Portable {
    fn conv2d<T: Arith>(g: &ConvGeom, p: &T::Params, input: &[T], packed: &Packed, output: &mut [T]);
    fn depthwise<T: Arith>(g: &ConvGeom, p: &T::Params, input: &[T], packed: &Packed, output: &mut [T]);
    fn avg_pool<T: Arith>(g: &ConvGeom, clamp: &T::PoolClamp, input: &[T], output: &mut [T]);
}

/// The table of a portable set: its generic kernels at both element types, with the file-layout
/// packers and the shared softmax.
pub(crate) const fn portable_set<S: Portable>(name: &'static str) -> KernelSet {
    const fn kernels<S: Portable, T: Arith>() -> Kernels<T> {
        Kernels {
            pack_conv2d: T::PACK_FILE_LAYOUT,
            pack_depthwise: T::PACK_FILE_LAYOUT,
            // They use no scratch memory.
            conv2d: |g, p, x, w, out, _| S::conv2d::<T>(g, p, x, w, out),
            depthwise: |g, p, x, w, out, _| S::depthwise::<T>(g, p, x, w, out),
            avg_pool: S::avg_pool::<T>,
            softmax: T::SOFTMAX,
        }
    }
    KernelSet { name, u8: kernels::<S, u8>(), f32: kernels::<S, f32>() }
}

/// An activation element type: uint8 (TFLite's integer arithmetic) or float32.
pub(crate) trait Arith: Element {
    /// Packing that keeps the file layout (what [`Arith::file_layout`] reads back).
    const PACK_FILE_LAYOUT: Pack<Self>;
    /// The softmax every set shares.
    const SOFTMAX: Softmax<Self>;

    /// The filter and bias of a file-layout pack ([`super::pack_file_layout_u8`] /
    /// [`super::pack_file_layout_f32`]) with `out_c` output channels.
    fn file_layout(p: &Packed, out_c: usize) -> (&[Self], &[Self::Acc]);

    /// `acc + (x − zp_x)·(w − zp_w)` (uint8, wrapping) or `acc + x·w` (float).
    fn mac(acc: Self::Acc, x: Self, w: Self, p: &Self::Params) -> Self::Acc;

    /// Dot product of `x` and `w` added to `acc`. The float version keeps four partial sums so
    /// the compiler can vectorize it without reassociating floats itself.
    #[inline(always)]
    fn dot(acc: Self::Acc, x: &[Self], w: &[Self], p: &Self::Params) -> Self::Acc {
        x.iter().zip(w).fold(acc, |a, (&xv, &wv)| Self::mac(a, xv, wv, p))
    }

    /// The output stage: requantize and clamp, or clamp.
    fn output(acc: Self::Acc, p: &Self::Params) -> Self;

    /// The zero of a window sum.
    const ZERO: Self::Acc;

    /// `sum + x` (raw values: pooling sees no zero points).
    fn add(sum: Self::Acc, x: Self) -> Self::Acc;

    /// The average of `n` (≥ 1) values summing to `sum`, clamped: TFLite's rounded integer
    /// division `(sum + n/2) / n` for uint8, a float division for float.
    fn average(sum: Self::Acc, n: usize, clamp: &Self::PoolClamp) -> Self;
}

impl Arith for u8 {
    const PACK_FILE_LAYOUT: Pack<u8> = super::pack_file_layout_u8;
    const SOFTMAX: Softmax<u8> = super::softmax_u8_common;

    #[inline(always)]
    fn file_layout(p: &Packed, _: usize) -> (&[u8], &[i32]) {
        (&p.u8, &p.i32)
    }

    #[inline(always)]
    fn mac(acc: i32, x: u8, w: u8, q: &QuantParams) -> i32 {
        acc.wrapping_add((i32::from(x) - q.input_zero_point) * (i32::from(w) - q.filter_zero_point))
    }

    #[inline(always)]
    fn output(acc: i32, q: &QuantParams) -> u8 {
        requantize_u8(acc, q)
    }

    const ZERO: i32 = 0;

    #[inline(always)]
    fn add(sum: i32, x: u8) -> i32 {
        sum + i32::from(x)
    }

    #[inline(always)]
    fn average(sum: i32, n: usize, &(min, max): &(i32, i32)) -> u8 {
        let n = n as i32;
        ((sum + n / 2) / n).clamp(min, max) as u8
    }
}

impl Arith for f32 {
    const PACK_FILE_LAYOUT: Pack<f32> = super::pack_file_layout_f32;
    const SOFTMAX: Softmax<f32> = super::softmax_f32_common;

    #[inline(always)]
    fn file_layout(p: &Packed, out_c: usize) -> (&[f32], &[f32]) {
        p.f32.split_at(p.f32.len() - out_c)
    }

    #[inline(always)]
    fn mac(acc: f32, x: f32, w: f32, _: &FloatRange) -> f32 {
        acc + x * w
    }

    #[inline(always)]
    fn dot(acc: f32, x: &[f32], w: &[f32], _: &FloatRange) -> f32 {
        let n = x.len().min(w.len());
        let (xh, xt) = x[..n].split_at(n - n % 4);
        let (wh, wt) = w[..n].split_at(n - n % 4);
        let mut part = [0f32; 4];
        for (xc, wc) in xh.chunks_exact(4).zip(wh.chunks_exact(4)) {
            for l in 0..4 {
                part[l] += xc[l] * wc[l];
            }
        }
        let mut acc = acc + (part[0] + part[1]) + (part[2] + part[3]);
        for (&xv, &wv) in xt.iter().zip(wt) {
            acc += xv * wv;
        }
        acc
    }

    #[inline(always)]
    fn output(acc: f32, act: &FloatRange) -> f32 {
        act.clamp(acc)
    }

    const ZERO: f32 = 0.0;

    #[inline(always)]
    fn add(sum: f32, x: f32) -> f32 {
        sum + x
    }

    #[inline(always)]
    fn average(sum: f32, n: usize, act: &FloatRange) -> f32 {
        act.clamp(sum / n as f32)
    }
}
