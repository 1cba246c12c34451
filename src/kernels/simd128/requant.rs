//! uint8 requantization on 8 int32 lanes, bit-identical to
//! [`crate::kernels::requantize::exact_requant`] (TFLite's `MultiplyByQuantizedMultiplier`, the
//! zero point and the activation clamp) for every accumulator, in the formulation the planner
//! proved for the layer ([`Formulation`]):
//!
//! - [`FloatRq`]: `f32(acc)·m + c` truncated — convert, multiply, add, truncate: 4 instructions
//!   per 4 outputs; the planner proved it exact for every int32 accumulator.
//! - [`SingleRq`]: one rounding of the 64-bit product (two widening multiplies, an add and a
//!   logical shift per two lanes), with or without the sign term.
//!
//! All three end with the saturating narrow int32 → int16, a clamp to the activation range (within
//! [0, 255]) on the 8 int16 lanes, and a byte shuffle that keeps each lane's low byte. (The
//! unsigned narrow int16 → uint8 would do that last step, but LLVM lowers it with a clamp to
//! [0, 255] of its own in front — two more instructions, each reading its bound from memory in
//! V8's code, on every 8 outputs.)
//! Kernels are generic over [`Requantize`] and instantiated once per formulation by
//! [`with_requant!`], so the inner loops carry no branch on it.

use crate::kernels::QuantParams;
use crate::kernels::requantize::{Formulation, sign_threshold, single_constants};
use core::arch::wasm32::*;

/// A requantization: 8 accumulators (two vectors of 4 lanes) to 8 bytes (the low half).
pub trait Requantize: Copy {
    fn bytes(&self, lo: v128, hi: v128) -> v128;
}

/// Clamp bounds on 8 int16 lanes: the activation range, within [0, 255].
#[derive(Clone, Copy)]
struct Clamp {
    min: v128,
    max: v128,
}

impl Clamp {
    fn new(q: &QuantParams) -> Clamp {
        let min = q.act_min.clamp(0, 255);
        Clamp { min: i16x8_splat(min as i16), max: i16x8_splat(q.act_max.clamp(min, 255) as i16) }
    }

    /// Narrows 8 int32 lanes with saturation to int16, clamps them to the activation range and
    /// returns their low bytes (the lanes are then in [0, 255]: the bytes are the values).
    #[inline(always)]
    fn narrow(&self, lo: v128, hi: v128) -> v128 {
        let w = i16x8_min(i16x8_max(i16x8_narrow_i32x4(lo, hi), self.min), self.max);
        i8x16_shuffle::<0, 2, 4, 6, 8, 10, 12, 14, 0, 2, 4, 6, 8, 10, 12, 14>(w, w)
    }
}

/// [`Formulation::Float`]: `trunc(f32(acc) · m + c)`.
#[derive(Clone, Copy)]
pub struct FloatRq {
    m: v128,
    c: v128,
    clamp: Clamp,
}

impl FloatRq {
    #[inline(always)]
    fn lanes(&self, acc: v128) -> v128 {
        let y = f32x4_add(f32x4_mul(f32x4_convert_i32x4(acc), self.m), self.c);
        // The planner proved |y| < 2^31 for every accumulator: the relaxed truncation (one
        // instruction) is then defined and equal to the saturating one.
        #[cfg(target_feature = "relaxed-simd")]
        {
            i32x4_relaxed_trunc_f32x4(y)
        }
        #[cfg(not(target_feature = "relaxed-simd"))]
        {
            i32x4_trunc_sat_f32x4(y)
        }
    }
}

impl Requantize for FloatRq {
    #[inline(always)]
    fn bytes(&self, lo: v128, hi: v128) -> v128 {
        self.clamp.narrow(self.lanes(lo), self.lanes(hi))
    }
}

/// [`Formulation::Single`] (`SIGNED = false`) and [`Formulation::SingleSigned`].
#[derive(Clone, Copy)]
pub struct SingleRq<const SIGNED: bool> {
    left: u32,
    /// `31 + e`.
    right: u32,
    q: v128,
    /// The 64-bit addend: rounding terms and the 2^62 offset.
    k: v128,
    /// The zero point minus the offset's share of the result.
    zp: v128,
    /// `x < threshold` ⟺ `x·q < −2^30`.
    threshold: v128,
    /// `2^31` on 64-bit lanes where the sign term applies (`e ≥ 1`), else 0.
    sign: v128,
    clamp: Clamp,
}

impl<const SIGNED: bool> SingleRq<SIGNED> {
    fn new(q: &QuantParams) -> Self {
        let (left, e) = (q.shift.max(0) as u32, (-q.shift).max(0) as u32);
        let (k, zp) = single_constants(e, q.output_zero_point);
        SingleRq {
            left,
            right: 31 + e,
            q: i32x4_splat(q.multiplier),
            k: u64x2_splat(k),
            zp: i32x4_splat(zp),
            threshold: i32x4_splat(sign_threshold(q.multiplier)),
            sign: i64x2_splat(if e >= 1 { 1 << 31 } else { 0 }),
            clamp: Clamp::new(q),
        }
    }

    #[inline(always)]
    fn lanes(&self, acc: v128) -> v128 {
        let x = i32x4_shl(acc, self.left);
        // LLVM would otherwise hoist the sign extension of the loop-invariant multiplier out of
        // the loop and turn each widening multiply into `i64x2.extend` + `i64x2.mul`, which V8
        // emulates with ~8 instructions; read through `black_box`, the multiplier is sign
        // extended next to its use and the pair stays one `i64x2.extmul_*_i32x4_s`.
        let q = core::hint::black_box(self.q);
        let mut lo = i64x2_add(i64x2_extmul_low_i32x4(x, q), self.k);
        let mut hi = i64x2_add(i64x2_extmul_high_i32x4(x, q), self.k);
        if SIGNED {
            let neg = i32x4_lt(x, self.threshold);
            lo = i64x2_sub(lo, v128_and(i64x2_extend_low_i32x4(neg), self.sign));
            hi = i64x2_sub(hi, v128_and(i64x2_extend_high_i32x4(neg), self.sign));
        }
        // The sums are non-negative as unsigned 64-bit values: the logical shift is their floor.
        let r = i32x4_shuffle::<0, 2, 4, 6>(u64x2_shr(lo, self.right), u64x2_shr(hi, self.right));
        i32x4_add(r, self.zp)
    }
}

impl<const SIGNED: bool> Requantize for SingleRq<SIGNED> {
    #[inline(always)]
    fn bytes(&self, lo: v128, hi: v128) -> v128 {
        self.clamp.narrow(self.lanes(lo), self.lanes(hi))
    }
}

/// One layer's requantization, in the formulation its plan chose.
pub enum Requant {
    Float(FloatRq),
    Single(SingleRq<false>),
    SingleSigned(SingleRq<true>),
}

impl Requant {
    pub fn new(q: &QuantParams) -> Requant {
        match q.formulation {
            Formulation::Float { m, c } => Requant::Float(FloatRq {
                m: f32x4_splat(f32::from_bits(m)),
                c: f32x4_splat(f32::from_bits(c)),
                clamp: Clamp::new(q),
            }),
            Formulation::Single => Requant::Single(SingleRq::new(q)),
            Formulation::SingleSigned => Requant::SingleSigned(SingleRq::new(q)),
        }
    }
}

/// Runs `$body` with `$rq` bound to the layer's requantization, instantiated once per
/// formulation.
macro_rules! with_requant {
    ($q:expr, |$rq:ident| $body:expr) => {
        match $crate::kernels::simd128::requant::Requant::new($q) {
            $crate::kernels::simd128::requant::Requant::Float($rq) => $body,
            $crate::kernels::simd128::requant::Requant::Single($rq) => $body,
            $crate::kernels::simd128::requant::Requant::SingleSigned($rq) => $body,
        }
    };
}
pub(crate) use with_requant;

/// Requantizes `acc` into `out` (equal lengths) as the kernels do: for tests.
pub fn requantize(q: &QuantParams, acc: &[i32], out: &mut [u8]) {
    with_requant!(q, |rq| run(&rq, acc, out))
}

fn run<R: Requantize>(rq: &R, acc: &[i32], out: &mut [u8]) {
    for (a, o) in acc.chunks(8).zip(out.chunks_mut(8)) {
        let mut lanes = [0i32; 8];
        lanes[..a.len()].copy_from_slice(a);
        // SAFETY: `lanes` holds 8 int32.
        let bytes = unsafe {
            rq.bytes(
                v128_load(lanes.as_ptr() as *const v128),
                v128_load(lanes.as_ptr().add(4) as *const v128),
            )
        };
        let b = u64x2_extract_lane::<0>(bytes).to_le_bytes();
        o.copy_from_slice(&b[..o.len()]);
    }
}
