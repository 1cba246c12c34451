//! TFLite's fixed-point requantization, exactly as its built-in kernels compute it
//! (`shared/docs/TFLITE.md`, verified byte for byte against LiteRT's outputs).
//!
//! A real multiplier `M` in (0, 1) is represented as a 31-bit fixed-point mantissa `q` and a
//! power-of-two `shift`; applying it rounds twice ("double rounding"), as TFLite does by default.

/// Splits a double into a mantissa in [0.5, 1) and a power of two, like C's `frexp`.
fn frexp(x: f64) -> (f64, i32) {
    if x == 0.0 || !x.is_finite() {
        return (x, 0);
    }
    let bits = x.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32;
    if exp == 0 {
        // Subnormal: scale into the normal range first.
        let (f, e) = frexp(x * f64::from_bits(0x4350_0000_0000_0000)); // 2^54
        return (f, e - 54);
    }
    let mantissa = f64::from_bits((bits & !(0x7ffu64 << 52)) | (1022u64 << 52));
    (mantissa, exp - 1022)
}

/// `QuantizeMultiplier`: `M ≈ q · 2^(shift − 31)` with `q` in [2^30, 2^31).
///
/// The caller guarantees `m` is finite and non-negative (the planner checks it).
pub fn quantize_multiplier(m: f64) -> (i32, i32) {
    if m == 0.0 {
        return (0, 0);
    }
    let (frac, mut shift) = frexp(m);
    // f64::round rounds half away from zero, as C's std::round.
    let mut q = (frac * (1u64 << 31) as f64).round() as i64;
    if q == 1i64 << 31 {
        q /= 2;
        shift += 1;
    }
    if shift < -31 {
        return (0, 0);
    }
    (q as i32, shift)
}

/// `SaturatingRoundingDoublingHighMul`: the high 32 bits of `2·a·b`, rounded half away from zero.
#[inline(always)]
pub fn saturating_rounding_doubling_high_mul(a: i32, b: i32) -> i32 {
    if a == i32::MIN && b == i32::MIN {
        return i32::MAX;
    }
    let p = a as i64 * b as i64;
    let nudge = if p >= 0 { 1i64 << 30 } else { 1 - (1i64 << 30) };
    // Integer division truncates toward zero, as in C.
    ((p + nudge) / (1i64 << 31)) as i32
}

/// `RoundingDivideByPOT`: `x / 2^e`, rounded half away from zero.
#[inline(always)]
pub fn rounding_divide_by_pot(x: i32, e: i32) -> i32 {
    let mask = ((1i64 << e) - 1) as i32;
    let remainder = x & mask;
    let threshold = (mask >> 1) + i32::from(x < 0);
    (x >> e) + i32::from(remainder > threshold)
}

/// `MultiplyByQuantizedMultiplier(x, q, shift)` with TFLite's double rounding.
#[inline(always)]
pub fn multiply_by_quantized_multiplier(x: i32, q: i32, shift: i32) -> i32 {
    let left = shift.max(0);
    let right = (-shift).max(0);
    rounding_divide_by_pot(saturating_rounding_doubling_high_mul(x.wrapping_mul(1i32 << left), q), right)
}

/// The real multiplier of a conv / depthwise layer: the product of the input and filter scales
/// is rounded to float32 first, then divided in double (the only order that matches LiteRT).
pub fn conv_multiplier(input_scale: f32, filter_scale: f32, output_scale: f32) -> f64 {
    f64::from(input_scale * filter_scale) / f64::from(output_scale)
}

/// Quantizes a real value with TFLite's `zero_point + round(x / scale)` in float32.
pub fn quantize_f32(x: f32, scale: f32, zero_point: i32) -> i32 {
    zero_point.saturating_add((x / scale).round() as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frexp_matches_c() {
        assert_eq!(frexp(1.0), (0.5, 1));
        assert_eq!(frexp(0.75), (0.75, 0));
        assert_eq!(frexp(0.1), (0.8, -3));
        let tiny = f64::from_bits(1); // smallest subnormal: 2^-1074
        assert_eq!(frexp(tiny), (0.5, -1073));
    }

    #[test]
    fn quantize_multiplier_known_values() {
        assert_eq!(quantize_multiplier(0.5), (1 << 30, 0));
        assert_eq!(quantize_multiplier(0.25), (1 << 30, -1));
        // A mantissa that rounds up to 2^31 moves to the next power of two.
        let just_below_one = 1.0 - f64::EPSILON / 4.0;
        assert_eq!(quantize_multiplier(just_below_one), (1 << 30, 1));
        assert_eq!(quantize_multiplier(1e-12), (0, 0));
    }

    /// The SIMD kernels compute the rounding of `SaturatingRoundingDoublingHighMul` as
    /// `(a·b + 2^30) >> 31`; this checks that identity on the edge cases of both signs.
    #[test]
    fn high_mul_identity_used_by_simd() {
        let mut values = vec![0, 1, -1, i32::MAX, i32::MIN + 1, 1 << 30, -(1 << 30), 12345, -12345];
        for k in 0..31 {
            for d in [-1, 0, 1] {
                values.push((1i32 << k).wrapping_add(d));
                values.push((-(1i32 << k)).wrapping_add(d));
            }
        }
        for &a in &values {
            for b in [1 << 30, (1 << 30) + 1, i32::MAX, 1_518_500_250, 1_073_741_825 + 77] {
                let p = a as i64 * b as i64;
                assert_eq!(
                    saturating_rounding_doubling_high_mul(a, b),
                    ((p + (1 << 30)) >> 31) as i32,
                    "{a}·{b}"
                );
            }
        }
    }

    /// The SIMD kernels divide by `2^e` as `(h + 2^(e−1) − [h < 0]) >> e` for `e ≥ 1`; this
    /// checks that against `RoundingDivideByPOT` on ties and ranges of both signs.
    #[test]
    fn divide_by_pot_identity_used_by_simd() {
        for e in 1..=31 {
            let mut values: Vec<i32> = (-3000..3000).collect();
            for k in 0..31 {
                for d in -2..=2 {
                    values.push((1i32 << k).wrapping_add(d));
                    values.push((-(1i32 << k)).wrapping_add(d));
                }
            }
            let limit = 1i64 << (31 - e);
            for &h in values.iter().filter(|&&h| i64::from(h).abs() < limit) {
                let fast = (h + (1 << (e - 1)) + (h >> 31)) >> e;
                assert_eq!(fast, rounding_divide_by_pot(h, e), "h {h} e {e}");
            }
        }
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(rounding_divide_by_pot(5, 1), 3);
        assert_eq!(rounding_divide_by_pot(-5, 1), -3);
        assert_eq!(rounding_divide_by_pot(4, 1), 2);
        assert_eq!(rounding_divide_by_pot(-7, 2), -2);
        assert_eq!(saturating_rounding_doubling_high_mul(i32::MIN, i32::MIN), i32::MAX);
        // 0.5 · 0.5 in Q31 is 0.25.
        assert_eq!(saturating_rounding_doubling_high_mul(1 << 30, 1 << 30), 1 << 29);
        assert_eq!(multiply_by_quantized_multiplier(1000, 1 << 30, -1), 250);
        assert_eq!(multiply_by_quantized_multiplier(-1000, 1 << 30, -1), -250);
    }
}
