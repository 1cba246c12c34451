//! The arithmetic of an element type: all the reference and portable kernels need to know, so
//! that each of their loops is written once (as tract's linalg does) — how a tap accumulates,
//! how an accumulator becomes an output (the per-dtype output stage), how a pool averages, and
//! where the file-layout weights sit in a [`Packed`].

use super::{FloatRange, Packed, QuantParams, requantize_u8};

/// An activation element type: uint8 (TFLite's integer arithmetic) or float32.
pub(crate) trait Arith: Copy + 'static {
    /// The accumulator: int32 (wrapping) or float32.
    type Acc: Copy;
    /// What the output stage needs: the requantization, or the activation clamp.
    type Params: Copy;

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

    /// The clamp of an average pool: `(act_min, act_max)` or the float range.
    type PoolClamp: Copy;

    /// The zero of a window sum.
    const ZERO: Self::Acc;

    /// `sum + x` (raw values: pooling sees no zero points).
    fn add(sum: Self::Acc, x: Self) -> Self::Acc;

    /// The average of `n` (≥ 1) values summing to `sum`, clamped: TFLite's rounded integer
    /// division `(sum + n/2) / n` for uint8, a float division for float.
    fn average(sum: Self::Acc, n: usize, clamp: &Self::PoolClamp) -> Self;
}

impl Arith for u8 {
    type Acc = i32;
    type Params = QuantParams;

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

    type PoolClamp = (i32, i32);
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
    type Acc = f32;
    type Params = FloatRange;

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
        acc.clamp(act.min, act.max)
    }

    type PoolClamp = FloatRange;
    const ZERO: f32 = 0.0;

    #[inline(always)]
    fn add(sum: f32, x: f32) -> f32 {
        sum + x
    }

    #[inline(always)]
    fn average(sum: f32, n: usize, act: &FloatRange) -> f32 {
        (sum / n as f32).clamp(act.min, act.max)
    }
}
