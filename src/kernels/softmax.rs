//! uint8 SOFTMAX exactly as TFLite's reference kernel computes it: fixed-point arithmetic
//! (gemmlowp's `exp_on_negative_values` and Newton–Raphson reciprocal), no floating point after
//! the multiplier is chosen.
//!
//! The steps, for input `q` with scale `s` and `β`:
//! - the real multiplier `min(β·s·2^26, 2^31 − 1)` (double) becomes `(m, shift)` with
//!   `QuantizeMultiplier`; differences `q_i − max q` below `−⌊31·2^26 / 2^shift⌋` count as zero;
//! - each difference, times `2^shift` and `m` (`SaturatingRoundingDoublingHighMul`), is a Q5.26
//!   number `x ≤ 0`, and `exp(x)` is computed in Q0.31;
//! - the exponentials are summed in Q12.19 (each rounded by `RoundingDivideByPOT(·, 12)`), the sum
//!   is normalised into [1, 2) and inverted in Q0.31, and each output is
//!   `RoundingDivideByPOT(SRDHM(1/sum, exp_i), bits_over_unit + 23)` clamped to [0, 255].
//!
//! A float formula (`⌊256·p + ½⌋`) gives the same bytes almost always, but not where `256·p` falls
//! within rounding error of a half (found with few-class heads); this is the arithmetic itself.
//! Where TFLite's reference kernel aborts (a sum of exponentials of 512 or more, i.e. the output
//! shift above 31: hundreds of near-equal logits), this returns what the arithmetic gives with
//! the larger shift, zeros.

use super::requantize::{
    quantize_multiplier, rounding_divide_by_pot, saturating_rounding_doubling_high_mul as srdhm,
};

/// Integer bits of the scaled differences (Q5.26) and of the accumulator (Q12.19), as TFLite.
const DIFF_INTEGER_BITS: i32 = 5;
const ACCUM_INTEGER_BITS: i32 = 12;

/// `SaturatingRoundingMultiplyByPOT<e>` for a positive `e`: a left shift that saturates.
fn saturating_shl(x: i32, e: u32) -> i32 {
    let threshold = (1i32 << (31 - e)) - 1;
    if x > threshold {
        i32::MAX
    } else if x < -threshold {
        i32::MIN
    } else {
        x << e
    }
}

/// `exp(a)` for `a` in [−1/4, 0), both in Q0.31: a fourth-order Taylor expansion around −1/8.
fn exp_on_interval_between_negative_one_quarter_and_0_excl(a: i32) -> i32 {
    const EXP_MINUS_ONE_EIGHTH: i32 = 1_895_147_668; // exp(−1/8) in Q0.31
    const ONE_THIRD: i32 = 715_827_883;
    let x = a.wrapping_add(1 << 28); // a + 1/8
    let x2 = srdhm(x, x);
    let x3 = srdhm(x2, x);
    let x4 = srdhm(x2, x2);
    let x4_over_4 = rounding_divide_by_pot(x4, 2);
    let poly = rounding_divide_by_pot(srdhm(x4_over_4.wrapping_add(x3), ONE_THIRD).wrapping_add(x2), 1);
    EXP_MINUS_ONE_EIGHTH.wrapping_add(srdhm(EXP_MINUS_ONE_EIGHTH, x.wrapping_add(poly)))
}

/// `exp(a)` for `a ≤ 0` in Q5.26, result in Q0.31 (gemmlowp's `exp_on_negative_values`).
fn exp_on_negative_values(a: i32) -> i32 {
    const FRACTIONAL_BITS: i32 = 31 - DIFF_INTEGER_BITS;
    let one_quarter = 1i32 << (FRACTIONAL_BITS - 2);
    let a_mod_quarter_minus_one_quarter = (a & (one_quarter - 1)) - one_quarter;
    let mut result = exp_on_interval_between_negative_one_quarter_and_0_excl(saturating_shl(
        a_mod_quarter_minus_one_quarter,
        DIFF_INTEGER_BITS as u32,
    ));
    let remainder = a_mod_quarter_minus_one_quarter.wrapping_sub(a);
    // exp(−2^k) in Q0.31 for k = −2 … 4: multiply in each power the remainder holds.
    const BARREL: [(i32, i32); 7] = [
        (-2, 1_672_461_947),
        (-1, 1_302_514_674),
        (0, 790_015_084),
        (1, 290_630_308),
        (2, 39_332_535),
        (3, 720_401),
        (4, 242),
    ];
    for (exponent, multiplier) in BARREL {
        if exponent < DIFF_INTEGER_BITS && remainder & (1 << (FRACTIONAL_BITS + exponent)) != 0 {
            result = srdhm(result, multiplier);
        }
    }
    if a == 0 { i32::MAX } else { result }
}

/// `1 / (1 + a)` for `a` in [0, 1) in Q0.31, result in Q0.31 (three Newton–Raphson steps).
fn one_over_one_plus_x_for_x_in_0_1(a: i32) -> i32 {
    // RoundingHalfSum(a, 1): (a + 1) / 2 in Q0.31.
    let sum = i64::from(a) + i64::from(i32::MAX);
    let half_denominator = ((sum + if sum >= 0 { 1 } else { -1 }) / 2) as i32;
    const FORTY_EIGHT_OVER_17: i32 = 1_515_870_810; // Q2.29
    const NEG_THIRTY_TWO_OVER_17: i32 = -1_010_580_540; // Q2.29
    const ONE_Q2: i32 = 1 << 29;
    let mut x = FORTY_EIGHT_OVER_17.wrapping_add(srdhm(half_denominator, NEG_THIRTY_TWO_OVER_17));
    for _ in 0..3 {
        let half_denominator_times_x = srdhm(half_denominator, x);
        let one_minus = ONE_Q2.wrapping_sub(half_denominator_times_x);
        x = x.wrapping_add(saturating_shl(srdhm(x, one_minus), 2));
    }
    // x / 2 read as Q1.30, rescaled to Q0.31.
    saturating_shl(x, 1)
}

/// `x / 2^e` rounded half away from zero for any `e ≥ 0` (zero beyond 31 bits).
fn divide_by_pot(x: i32, e: i32) -> i32 {
    if e <= 31 { rounding_divide_by_pot(x, e) } else { 0 }
}

/// Softmax of uint8 logits with `β·s = beta_scale` into uint8 probabilities (scale 1/256, zero
/// point 0), TFLite's reference arithmetic.
pub(crate) fn softmax_u8(beta_scale: f32, input: &[u8], output: &mut [u8]) {
    let real = (f64::from(beta_scale) * f64::from(1u32 << (31 - DIFF_INTEGER_BITS))).min(f64::from(i32::MAX));
    let (multiplier, shift) = quantize_multiplier(real);
    // TFLite requires a multiplier above one (shift ≥ 0); below that (an input scale under
    // 1.5e−8) it refuses to run, and this applies the multiplier with its right shift instead.
    let rescale = |d: i32| -> i32 {
        if shift >= 0 {
            srdhm(d.wrapping_mul(1 << shift), multiplier)
        } else {
            rounding_divide_by_pot(srdhm(d, multiplier), -shift)
        }
    };
    let radius = (31.0 * f64::from(1u32 << (31 - DIFF_INTEGER_BITS)) / 2f64.powi(shift.max(0))).floor();
    let max = input.iter().copied().max().unwrap_or(0);
    // exp of every possible difference d = max − q ∈ [0, 255], computed once (None: skipped).
    let mut table = [None::<i32>; 256];
    for (d, t) in table.iter_mut().enumerate() {
        if (d as f64) <= radius {
            *t = Some(exp_on_negative_values(rescale(-(d as i32))));
        }
    }
    let exp = |q: u8| table[usize::from(max - q)];
    let mut sum = 0i32;
    for &q in input {
        if let Some(e) = exp(q) {
            sum = sum.wrapping_add(rounding_divide_by_pot(e, ACCUM_INTEGER_BITS));
        }
    }
    // GetReciprocal: the sum (≥ 1, the maximum contributes exp(0)) normalised into [1, 2).
    let headroom_plus_one = (sum as u32).leading_zeros();
    let bits_over_unit = ACCUM_INTEGER_BITS - headroom_plus_one as i32;
    let shifted_sum_minus_one = ((sum as u32) << headroom_plus_one).wrapping_sub(1 << 31) as i32;
    let reciprocal = one_over_one_plus_x_for_x_in_0_1(shifted_sum_minus_one);
    let exponent = bits_over_unit + 31 - 8;
    for (o, &q) in output.iter_mut().zip(input) {
        *o = match exp(q) {
            Some(e) => divide_by_pot(srdhm(reciprocal, e), exponent).clamp(0, 255) as u8,
            None => 0,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_matches_the_real_function() {
        for i in 0..=640 {
            let x = -(i as f64) / 20.0; // 0 … −32
            let raw = (x * f64::from(1u32 << 26)) as i32;
            let got = f64::from(exp_on_negative_values(raw)) / 2f64.powi(31);
            assert!((got - x.exp()).abs() < 2e-9 + 1e-6 * x.exp(), "exp({x}) = {got}");
        }
    }

    #[test]
    fn reciprocal_matches_the_real_function() {
        for i in 0..100 {
            let a = f64::from(i) / 100.0;
            let got = f64::from(one_over_one_plus_x_for_x_in_0_1((a * 2f64.powi(31)) as i32)) / 2f64.powi(31);
            assert!((got - 1.0 / (1.0 + a)).abs() < 1e-8, "1/(1+{a}) = {got}");
        }
    }

    #[test]
    fn known_bytes() {
        // LiteRT's reference kernel (ai-edge-litert 2.3.0, BUILTIN_REF) on these logits, scale
        // 0.1308: 256·p = [5.79, 16.50000045, 3.91, 31.73, 198.06] — the float formula rounds
        // the second to 17, TFLite's arithmetic gives 16.
        let mut out = [0u8; 5];
        softmax_u8(0.1308, &[122, 130, 119, 135, 149], &mut out);
        assert_eq!(out, [6, 16, 4, 32, 198]);
        // Equal logits: 1/2 each is 128.
        let mut two = [0u8; 2];
        softmax_u8(0.3, &[5, 5], &mut two);
        assert_eq!(two, [128, 128]);
        // Hundreds of equal logits: TFLite's kernel aborts; this gives zeros, never a panic.
        let mut many = vec![9u8; 1001];
        softmax_u8(0.3, &vec![5u8; 1001], &mut many);
        assert!(many.iter().all(|&v| v == 0));
    }
}
