//! TFLite's fixed-point requantization, exactly as its built-in kernels compute it (verified
//! byte for byte against LiteRT's outputs by `tests/golden.rs`).
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

/// `SaturatingRoundingDoublingHighMul`: the high 32 bits of `2·a·b`, rounded to nearest with
/// TFLite's nudge (`2^30`, or `1 − 2^30` for a negative product, then truncation): ties of
/// either sign round up, i.e. `⌊(a·b + 2^30) / 2^31⌋`.
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

/// How the SIMD kernels requantize one layer. Every formulation computes exactly
/// `clamp(MultiplyByQuantizedMultiplier(acc, q, shift) + zp, min, max)` (zero point added with
/// wrapping, as [`crate::kernels::requantize_u8`]) for every int32 `acc`; the planner picks the
/// cheapest one it can prove ([`plan_requant`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Formulation {
    /// One rounding of the 64-bit product `x·q` (`x = acc << left`, `e` the right shift):
    /// `(x·q + 2^30 + [e ≥ 1]·(2^(30+e) − [x·q < −2^30]·2^31)) >> (31 + e)` — TFLite's two
    /// nested floor divisions collapse into one. Always exact.
    #[default]
    SingleSigned,
    /// [`Formulation::SingleSigned`] without the sign term: exact when `e = 0` or when the clamp
    /// hides it (`act_min ≥ zp`, every ReLU / ReLU6 layer: the term only moves outputs ≤ zp).
    Single,
    /// `trunc_sat(f32(acc) · m + c)` in float32 (a multiply, then an add: no fused multiply-add),
    /// then the clamp; `m` and `c` are the bit patterns of the two constants, proven at plan time
    /// to give the exact output for every int32 accumulator.
    Float { m: u32, c: u32 },
}

/// The float formulation on one accumulator, exactly as the SIMD kernels evaluate it: int32 →
/// float32 (round to nearest), multiply, add (two roundings), truncate toward zero with
/// saturation (`as i32`), clamp.
#[inline(always)]
pub fn float_requant(acc: i32, m: f32, c: f32, act_min: i32, act_max: i32) -> i32 {
    let y = acc as f32 * m + c;
    (y as i32).clamp(act_min, act_max)
}

/// The single-rounding formulations on one accumulator ([`Formulation::SingleSigned`] when
/// `signed`, else [`Formulation::Single`]), in 64-bit arithmetic as the SIMD kernels compute it:
/// the sum is offset by `2^62` so that it is non-negative and a logical shift gives its floor;
/// the offset comes back out with the zero point. The zero point is added with wrapping, like
/// the oracle.
#[inline(always)]
pub fn single_rounding(acc: i32, q: i32, shift: i32, zp: i32, signed: bool) -> i32 {
    let (left, e) = (shift.max(0) as u32, (-shift).max(0) as u32);
    let x = acc.wrapping_shl(left);
    let (k, zp2) = single_constants(e, zp);
    let mut sum = ((i64::from(x) * i64::from(q)) as u64).wrapping_add(k);
    if signed && e >= 1 && x < sign_threshold(q) {
        sum = sum.wrapping_sub(1 << 31);
    }
    ((sum >> (31 + e)) as u32 as i32).wrapping_add(zp2)
}

/// `x·q < −2^30` exactly when `x <` this (`q ≥ 0`): `−⌊2^30 / q⌋`.
pub fn sign_threshold(q: i32) -> i32 {
    if q <= 0 { i32::MIN } else { -((1i32 << 30) / q) }
}

/// The 64-bit addend and the folded zero point of [`single_rounding`] for a right shift `e`.
pub fn single_constants(e: u32, zp: i32) -> (u64, i32) {
    let round = (1u64 << 30) + if e >= 1 { 1u64 << (30 + e) } else { 0 };
    let offset = 1u64 << 62;
    (round + offset, zp.wrapping_sub((offset >> (31 + e)) as u32 as i32))
}

/// TFLite's requantization, zero point and clamp: the oracle every formulation must equal.
#[inline(always)]
pub fn exact_requant(acc: i32, q: i32, shift: i32, zp: i32, act_min: i32, act_max: i32) -> i32 {
    multiply_by_quantized_multiplier(acc, q, shift).wrapping_add(zp).clamp(act_min, act_max)
}

/// The smallest accumulator whose exact (unclamped) requantized value reaches `t`, if any.
/// `MultiplyByQuantizedMultiplier` is non-decreasing in `acc` when `shift ≤ 0`.
fn first_reaching(t: i64, q: i32, shift: i32, real: f64) -> Option<i32> {
    let f = |a: i64| i64::from(multiply_by_quantized_multiplier(a as i32, q, shift));
    let (lo_bound, hi_bound) = (i64::from(i32::MIN), i64::from(i32::MAX));
    if f(hi_bound) < t {
        return None;
    }
    if f(lo_bound) >= t {
        return Some(i32::MIN);
    }
    // A guess from the real multiplier, then a bracket around it, then bisection:
    // f(lo) < t ≤ f(hi).
    let guess = if real > 0.0 { ((t as f64 - 0.5) / real).ceil() } else { 0.0 };
    let guess = (guess.clamp(lo_bound as f64, hi_bound as f64)) as i64;
    let (mut lo, mut hi);
    if f(guess) >= t {
        hi = guess;
        let mut step = 1i64;
        lo = (guess - step).max(lo_bound);
        while f(lo) >= t {
            hi = lo;
            step *= 2;
            lo = (lo - step).max(lo_bound);
        }
    } else {
        lo = guess;
        let mut step = 1i64;
        hi = (guess + step).min(hi_bound);
        while f(hi) < t {
            lo = hi;
            step *= 2;
            hi = (hi + step).min(hi_bound);
        }
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if f(mid) >= t { hi = mid } else { lo = mid }
    }
    Some(hi as i32)
}

/// The accumulators where the exact, clamped output steps: for every `v` in `act_min+1..=act_max`,
/// the first accumulator whose output is ≥ v (`None`: never). Requires `shift ≤ 0` (monotone).
pub fn thresholds(q: i32, shift: i32, zp: i32, act_min: i32, act_max: i32) -> Vec<(i32, Option<i32>)> {
    let real = f64::from(q) * 2f64.powi(shift - 31);
    ((act_min + 1)..=act_max)
        .map(|v| (v, first_reaching(i64::from(v) - i64::from(zp), q, shift, real)))
        .collect()
}

/// Whether the float formulation with constants `m`, `c` equals the exact one for every int32
/// accumulator. Both are non-decreasing step functions of `acc` onto `[act_min, act_max]`, so
/// they are equal iff they step at the same accumulators.
fn float_agrees(th: &[(i32, Option<i32>)], m: f32, c: f32, act_min: i32, act_max: i32) -> bool {
    let f = |a: i32| float_requant(a, m, c, act_min, act_max);
    th.iter().all(|&(v, t)| match t {
        None => f(i32::MAX) < v,
        Some(i32::MIN) => f(i32::MIN) >= v,
        Some(t) => f(t) >= v && f(t - 1) < v,
    })
}

/// Chooses the cheapest exact formulation of a layer's requantization (a few tens of
/// microseconds per layer, at plan time).
///
/// The float one is tried first with `m = f32(q · 2^(shift−31))` and its neighbours one ulp
/// away; for each, the smallest `c` near `zp + ½` that makes every step late enough is found by
/// bisection (the float function only grows with `c`), then checked for steps that are too
/// early. It is proven for every int32 accumulator, and only used when the exact function is
/// monotone (`shift ≤ 0`, no wrap when the zero point is added) and `f32(acc)·m + c` stays
/// inside the int32 range, so that any float-to-int truncation (saturating or relaxed) agrees.
pub fn plan_requant(q: i32, shift: i32, zp: i32, act_min: i32, act_max: i32) -> Formulation {
    let e = (-shift).max(0);
    let single = if e == 0 || act_min >= zp { Formulation::Single } else { Formulation::SingleSigned };
    if shift > 0 || act_min > act_max || !(0..=255).contains(&act_min) || !(0..=255).contains(&act_max) {
        return single;
    }
    // The oracle adds the zero point with wrapping; the float path cannot follow a wrap.
    let top = i64::from(multiply_by_quantized_multiplier(i32::MAX, q, shift)) + i64::from(zp);
    let bottom = i64::from(multiply_by_quantized_multiplier(i32::MIN, q, shift)) + i64::from(zp);
    if top > i64::from(i32::MAX) || bottom < i64::from(i32::MIN) {
        return single;
    }
    let th = thresholds(q, shift, zp, act_min, act_max);
    let real = f64::from(q) * 2f64.powi(shift - 31);
    let m0 = real as f32;
    for m in [m0, f32::from_bits(m0.to_bits().wrapping_sub(1)), f32::from_bits(m0.to_bits() + 1)] {
        if !(m.is_finite() && m >= 0.0) {
            continue;
        }
        let (lo, hi) = (zp as f32 + 0.25, zp as f32 + 0.75);
        // |f32(acc)·m + c| < 2^31 for every acc.
        if 2147483648f32 * m + hi >= 2147483648f32 {
            continue;
        }
        let late_enough = |c: f32| {
            th.iter().all(|&(v, t)| match t {
                None => true,
                Some(t) => float_requant(t, m, c, act_min, act_max) >= v,
            })
        };
        if !late_enough(hi) {
            continue;
        }
        // Positive floats order like their bit patterns: bisect on the bits.
        let (mut a, mut b) = (lo.to_bits(), hi.to_bits());
        if late_enough(lo) {
            b = a;
        }
        while b - a > 1 {
            let mid = a + (b - a) / 2;
            if late_enough(f32::from_bits(mid)) { b = mid } else { a = mid }
        }
        let c = f32::from_bits(b);
        if float_agrees(&th, m, c, act_min, act_max) {
            return Formulation::Float { m: m.to_bits(), c: c.to_bits() };
        }
    }
    single
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
        // Zero and non-finite values come back as they are, with exponent 0 (as C's frexp).
        assert_eq!(frexp(0.0), (0.0, 0));
        assert_eq!(frexp(f64::INFINITY), (f64::INFINITY, 0));
        let (nan, e) = frexp(f64::NAN);
        assert!(nan.is_nan() && e == 0);
    }

    #[test]
    fn quantize_multiplier_known_values() {
        assert_eq!(quantize_multiplier(0.5), (1 << 30, 0));
        assert_eq!(quantize_multiplier(0.25), (1 << 30, -1));
        // A mantissa that rounds up to 2^31 moves to the next power of two. (1 − 2^−40 is a
        // double below one whose mantissa does; 1 − ε/4 would round to 1.0 itself.)
        let just_below_one = 1.0 - 2f64.powi(-40);
        assert!(just_below_one < 1.0);
        assert_eq!(quantize_multiplier(just_below_one), (1 << 30, 1));
        assert_eq!(quantize_multiplier(2.0 * just_below_one), (1 << 30, 2));
        assert_eq!(quantize_multiplier(1e-12), (0, 0));
        // The smallest shift kept is −31: 0.75·2^−31 is representable, 0.75·2^−32 becomes 0.
        assert_eq!(quantize_multiplier(0.75 * 2f64.powi(-31)), (0x6000_0000, -31));
        assert_eq!(quantize_multiplier(0.75 * 2f64.powi(-32)), (0, 0));
        assert_eq!(quantize_multiplier(3.0), (0x6000_0000, 2));
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
    fn conv_multiplier_rounds_the_scale_product_to_float32() {
        assert_eq!(conv_multiplier(0.5, 0.25, 0.0625), 2.0);
        assert_eq!(conv_multiplier(0.75, 0.5, 3.0), 0.125);
        // 0.1·0.3 in float32 is not 0.1·0.3 in double: the float32 product is the one used.
        let (sx, sw, so) = (0.1f32, 0.3f32, 0.7f32);
        let m = conv_multiplier(sx, sw, so);
        assert_eq!(m, f64::from(sx * sw) / f64::from(so));
        assert_ne!(m, f64::from(sx) * f64::from(sw) / f64::from(so));
    }

    #[test]
    fn quantize_f32_rounds_half_away_and_saturates() {
        assert_eq!(quantize_f32(6.0, 0.5, 10), 22);
        assert_eq!(quantize_f32(6.0, 0.0235, 0), 255); // 255.3
        assert_eq!(quantize_f32(-1.0, 0.25, 3), -1);
        assert_eq!(quantize_f32(0.5, 1.0, 0), 1);
        assert_eq!(quantize_f32(-0.5, 1.0, 0), -1);
        assert_eq!(quantize_f32(1.0, 3.0, 7), 7);
        assert_eq!(quantize_f32(1e30, 1e-10, 5), i32::MAX);
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(rounding_divide_by_pot(5, 1), 3);
        assert_eq!(rounding_divide_by_pot(-5, 1), -3);
        assert_eq!(rounding_divide_by_pot(4, 1), 2);
        assert_eq!(rounding_divide_by_pot(-7, 2), -2);
        assert_eq!(saturating_rounding_doubling_high_mul(i32::MIN, i32::MIN), i32::MAX);
        // Only both operands at INT32_MIN saturate.
        assert_eq!(saturating_rounding_doubling_high_mul(i32::MIN, 1 << 30), -(1 << 30));
        assert_eq!(saturating_rounding_doubling_high_mul(1 << 30, i32::MIN), -(1 << 30));
        // 0.5 · 0.5 in Q31 is 0.25.
        assert_eq!(saturating_rounding_doubling_high_mul(1 << 30, 1 << 30), 1 << 29);
        assert_eq!(multiply_by_quantized_multiplier(1000, 1 << 30, -1), 250);
        assert_eq!(multiply_by_quantized_multiplier(-1000, 1 << 30, -1), -250);
    }

    /// The plan-time proof on 52 seeded layers (multipliers 2^-12 … 2^-0.5 and four below 2^-24,
    /// zero point 0 or random with the clamp [zp, 255]): every threshold is where the exact output steps,
    /// most layers prove for float (as the real layers do: 108 of 112), and a proven float
    /// formulation equals the exact one at every step and on both sides of it.
    #[test]
    fn plan_requant_proofs_hold_at_every_step() {
        let mut x = 0x9e37_79b9u32;
        let mut proven = 0;
        for i in 0..52 {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let real = if i < 48 {
                2f64.powf(-12.0 + 11.5 * f64::from(x >> 8) / f64::from(1u32 << 24))
            } else {
                // So small that the top outputs are never reached (thresholds `None`).
                2f64.powf(-24.0 - f64::from(i - 48))
            };
            let (q, shift) = quantize_multiplier(real);
            let zp = if i % 2 == 0 { 0 } else { (x % 256) as i32 };
            // Zero point 0 with [0, 255], or another with a ReLU clamp [zp, 255]: the layers the
            // float path is for (an unclamped zero point ≠ 0 — the logits — keeps the integer one).
            let (lo, hi) = (zp, 255);
            let exact = |a: i32| exact_requant(a, q, shift, zp, lo, hi);
            let th = thresholds(q, shift, zp, lo, hi);
            assert_eq!(th.len(), (hi - lo) as usize);
            for &(v, t) in &th {
                match t {
                    None => assert!(exact(i32::MAX) < v, "layer {i}: {v} is reached"),
                    Some(i32::MIN) => assert!(exact(i32::MIN) >= v),
                    Some(t) => {
                        assert!(exact(t) >= v && exact(t - 1) < v, "layer {i}: step to {v} not at {t}")
                    }
                }
            }
            if let Formulation::Float { m, c } = plan_requant(q, shift, zp, lo, hi) {
                proven += 1;
                let (m, c) = (f32::from_bits(m), f32::from_bits(c));
                for &(_, t) in &th {
                    let Some(t) = t else { continue };
                    for a in [t.saturating_sub(2), t.saturating_sub(1), t, t.saturating_add(1)] {
                        assert_eq!(float_requant(a, m, c, lo, hi), exact(a), "layer {i}, accumulator {a}");
                    }
                }
                for a in [i32::MIN, i32::MIN + 1, i32::MAX - 1, i32::MAX] {
                    assert_eq!(float_requant(a, m, c, lo, hi), exact(a), "layer {i}, accumulator {a}");
                }
            }
        }
        assert!(proven >= 44, "only {proven} of 52 layers proved for float");
    }

    /// `first_reaching` finds the same step from a poor first guess (the bracket widening and
    /// the bisection, which a good guess leaves idle), and `float_agrees` judges the steps that
    /// are never reached (`None`) or reached at `i32::MIN`.
    #[test]
    fn proof_search_and_check_edges() {
        for (real, zp) in [(0.0123, 0), (0.0007, 17), (0.31, 3)] {
            let (q, shift) = quantize_multiplier(real);
            for v in [1i64, 40, 200] {
                let t = v - zp;
                let want = first_reaching(t, q, shift, real);
                assert!(want.is_some());
                for off in [real * 3.0, real / 3.0, real * 1.001, 1.0, 1e-9] {
                    assert_eq!(
                        first_reaching(t, q, shift, off),
                        want,
                        "real {real}, v {v}, guessed with {off}"
                    );
                }
            }
        }
        // m = 0: the float function is the constant trunc(c).
        let (lo, hi) = (0, 255);
        assert!(float_agrees(&[(5, None)], 0.0, 3.5, lo, hi), "3 never reaches 5");
        assert!(!float_agrees(&[(5, None)], 0.0, 5.5, lo, hi), "5 reaches 5");
        assert!(!float_agrees(&[(5, None)], 0.0, 7.5, lo, hi), "7 reaches 5");
        assert!(float_agrees(&[(5, Some(i32::MIN))], 0.0, 7.5, lo, hi), "7 is at least 5 from i32::MIN");
        assert!(float_agrees(&[(5, Some(i32::MIN))], 0.0, 5.5, lo, hi), "5 is at least 5 from i32::MIN");
        assert!(!float_agrees(&[(5, Some(i32::MIN))], 0.0, 3.5, lo, hi), "3 is not");
    }
}
