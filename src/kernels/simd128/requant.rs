//! TFLite's uint8 requantization on 4 int32 lanes, bit-identical to
//! [`crate::kernels::requantize::multiply_by_quantized_multiplier`] followed by the zero point
//! and the activation clamp.

use crate::kernels::QuantParams;
use core::arch::wasm32::*;

/// Loop-invariant vectors of one layer's requantization.
#[derive(Clone, Copy)]
pub struct Requant {
    multiplier: v128,
    left: u32,
    right: u32,
    /// `2^(right − 1)` (0 when right = 0).
    half: v128,
    /// All ones when right ≥ 1: selects the `[h < 0]` term of the rounding.
    sign_mask: v128,
    zero_point: v128,
    min: v128,
    max: v128,
}

impl Requant {
    #[inline(always)]
    pub fn new(q: &QuantParams) -> Requant {
        let left = q.shift.max(0) as u32;
        let right = (-q.shift).max(0) as u32;
        Requant {
            multiplier: i32x4_splat(q.multiplier),
            left,
            right,
            half: i32x4_splat(if right > 0 { 1 << (right - 1) } else { 0 }),
            sign_mask: i32x4_splat(if right > 0 { -1 } else { 0 }),
            zero_point: i32x4_splat(q.output_zero_point),
            min: i32x4_splat(q.act_min),
            max: i32x4_splat(q.act_max),
        }
    }

    /// `clamp(MultiplyByQuantizedMultiplier(acc) + zp, min, max)` on 4 lanes. Branch-free: the
    /// inner loops stay straight-line code.
    #[inline(always)]
    pub fn apply(&self, acc: v128) -> v128 {
        let x = i32x4_shl(acc, self.left);
        // SaturatingRoundingDoublingHighMul(x, multiplier): the multiplier is positive, so the
        // INT32_MIN·INT32_MIN saturation case cannot occur.
        let lo = rounding_high(i64x2_extmul_low_i32x4(x, self.multiplier));
        let hi = rounding_high(i64x2_extmul_high_i32x4(x, self.multiplier));
        let h = i32x4_shuffle::<0, 2, 4, 6>(lo, hi);
        // RoundingDivideByPOT(h, right) = (h + 2^(right−1) − [h < 0]) >> right for right ≥ 1
        // (round half away from zero; |h| < 2^(31−right) keeps the sum in range), and h itself
        // for right = 0, where half and sign_mask are zero.
        let sign = v128_and(i32x4_shr(h, 31), self.sign_mask);
        let r = i32x4_shr(i32x4_add(i32x4_add(h, self.half), sign), self.right);
        let v = i32x4_add(r, self.zero_point);
        i32x4_min(i32x4_max(v, self.min), self.max)
    }
}

/// TFLite's `(p + nudge) / 2^31` truncated toward zero, with `nudge = p ≥ 0 ? 2^30 : 1 − 2^30`,
/// on two int64 lanes (the low 32 bits of each lane hold the result).
///
/// Both branches equal `⌊(p + 2^30) / 2^31⌋`: for p ≥ 0 directly; for p < 0 the sum
/// `q = p + 1 − 2^30` is negative and truncating it equals `⌊(q + 2^31 − 1) / 2^31⌋`, and
/// `q + 2^31 − 1 = p + 2^30`. Only the low 32 bits of the shifted lane are kept, and those are
/// bits 31..62 of the sum whether the shift is arithmetic or logical; the logical shift is one
/// SSE instruction where the arithmetic one on 64-bit lanes is emulated.
#[inline(always)]
fn rounding_high(p: v128) -> v128 {
    u64x2_shr(i64x2_add(p, i64x2_splat(1 << 30)), 31)
}

/// Narrows two vectors of 4 int32 lanes (already in 0..=255) to 8 bytes in the low half.
#[inline(always)]
pub fn narrow_u8(lo: v128, hi: v128) -> v128 {
    let w = i16x8_narrow_i32x4(lo, hi);
    u8x16_narrow_i16x8(w, w)
}
