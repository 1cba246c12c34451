//! Every kernel set against oracles written here, apart from the library, in the style of
//! XNNPACK's operator testers:
//!
//! - The uint8 oracle computes the int32 accumulators with its own loops (signed coordinates,
//!   no shared tap helper) and requantizes them with its own 64-bit formulation of TFLite's
//!   double rounding; the reference kernels and every other set must match it exactly.
//! - The output scale is chosen from the accumulators' range so that outputs spread over the
//!   uint8 range; each scenario asserts that they do (many distinct values, few clamped), so a
//!   broken requantization cannot hide in the clamp. One scenario per case has a multiplier
//!   above one (a left shift), one has extreme zero points 0 and 255.
//! - Outputs are prefilled with a sentinel (two different ones across runs, NaN for float) and
//!   followed by a guard region; bands are computed last band first, so a kernel that skips a
//!   tail, or writes past its band, changes bytes the comparison sees.
//! - Weight packers are checked alone against the layout each set documents; softmax and
//!   average pooling against float64 / integer oracles written here.
//!
//! Natively this checks the reference and scalar kernels; compiled to wasm32 (`./build.sh test
//! wasm` runs it in Node, in headless Chromium and in the relaxed-SIMD build) the SIMD128
//! kernels too. uint8 must be identical; float within |a − b| ≤ 1e-4 + 1e-4·|b|.

use mobilenet_wasm::kernels::requantize::quantize_multiplier;
use mobilenet_wasm::kernels::{
    ConvGeom, FilterShape, FloatRange, KernelSet, Packed, QuantParams, Scratch, reference, scratch_len,
};

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

/// Every kernel set this build can run: the reference, the portable set, the best one, the
/// dot-product kernels with the instruction emulated (SIMD128 builds: both readings) and,
/// where the host computes the relaxed dot product exactly, the dot-product set itself.
fn sets() -> Vec<&'static KernelSet> {
    let mut v = vec![&reference::KERNELS, &mobilenet_wasm::kernels::scalar::KERNELS];
    let best = mobilenet_wasm::kernels::best();
    if best.name != "scalar" {
        v.push(best);
    }
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    v.extend(&mobilenet_wasm::kernels::simd128::EMULATED_DOT);
    v.extend(mobilenet_wasm::kernels::dot_set());
    v
}

/// xorshift64*: small, seeded, reproducible.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn u8(&mut self) -> u8 {
        (self.next() >> 56) as u8
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn f32(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * ((self.next() >> 40) as f32 / (1u64 << 24) as f32)
    }
}

#[derive(Clone, Copy, Debug)]
struct Case {
    name: &'static str,
    in_h: usize,
    in_w: usize,
    in_c: usize,
    out_c: usize,
    /// Window and strides, `[height, width]`.
    k: [usize; 2],
    stride: [usize; 2],
    same: bool,
}

/// TFLite's SAME (extra padding at the bottom / right) or VALID geometry.
fn geom(c: &Case) -> ConvGeom {
    let out =
        |i: usize, a: usize| if c.same { i.div_ceil(c.stride[a]) } else { (i - c.k[a]) / c.stride[a] + 1 };
    let (out_h, out_w) = (out(c.in_h, 0), out(c.in_w, 1));
    let pad = |i: usize, o: usize, a: usize| {
        if c.same { ((o - 1) * c.stride[a] + c.k[a]).saturating_sub(i) / 2 } else { 0 }
    };
    ConvGeom {
        in_h: c.in_h,
        in_w: c.in_w,
        in_c: c.in_c,
        out_h,
        out_w,
        out_c: c.out_c,
        kh: c.k[0],
        kw: c.k[1],
        stride_h: c.stride[0],
        stride_w: c.stride[1],
        pad_top: pad(c.in_h, out_h, 0),
        pad_left: pad(c.in_w, out_w, 1),
        band_start: 0,
        band_end: out_h * out_w,
    }
}

// ---------------------------------------------------------------------------------- oracles

/// Input coordinate of output `o`, tap `k`, or `None` in the padding (signed arithmetic).
fn coord(o: usize, stride: usize, k: usize, pad: usize, size: usize) -> Option<usize> {
    let v = (o * stride + k) as i64 - pad as i64;
    (0..size as i64).contains(&v).then_some(v as usize)
}

/// The int32 accumulators of a uint8 conv (`depthwise`: multiplier 1) for every output, in
/// output order, computed in int64 (the data here never overflows int32; asserted).
fn oracle_acc(g: &ConvGeom, depthwise: bool, d: &U8Data, zx: i32, zw: i32) -> Vec<i32> {
    let mut acc = Vec::with_capacity(g.out_h * g.out_w * g.out_c);
    for oy in 0..g.out_h {
        for ox in 0..g.out_w {
            for oc in 0..g.out_c {
                let mut s = i64::from(d.bias[oc]);
                for ky in 0..g.kh {
                    for kx in 0..g.kw {
                        let (Some(iy), Some(ix)) = (
                            coord(oy, g.stride_h, ky, g.pad_top, g.in_h),
                            coord(ox, g.stride_w, kx, g.pad_left, g.in_w),
                        ) else {
                            continue;
                        };
                        let px = (iy * g.in_w + ix) * g.in_c;
                        if depthwise {
                            let x = i64::from(d.input[px + oc]) - i64::from(zx);
                            let w = i64::from(d.filter[(ky * g.kw + kx) * g.out_c + oc]) - i64::from(zw);
                            s += x * w;
                        } else {
                            for ic in 0..g.in_c {
                                let x = i64::from(d.input[px + ic]) - i64::from(zx);
                                let w = i64::from(d.filter[((oc * g.kh + ky) * g.kw + kx) * g.in_c + ic])
                                    - i64::from(zw);
                                s += x * w;
                            }
                        }
                    }
                }
                acc.push(i32::try_from(s).expect("test data overflows int32"));
            }
        }
    }
    acc
}

/// TFLite's `MultiplyByQuantizedMultiplier`, zero point and clamp, written in int64 with
/// explicit signs (not the library's formulation): `x·2^left`, the doubling high multiply
/// (ties rounded up), then a division by `2^right` (ties away from zero).
fn oracle_requant(acc: i32, q: &QuantParams) -> u8 {
    unclamped(acc, q).clamp(i64::from(q.act_min), i64::from(q.act_max)) as u8
}

/// [`oracle_requant`] before the clamp.
fn unclamped(acc: i32, q: &QuantParams) -> i64 {
    let (left, right) = (q.shift.max(0), (-q.shift).max(0));
    let x = i64::from(acc) << left;
    assert!(i32::try_from(x).is_ok(), "test data overflows the left shift");
    // SaturatingRoundingDoublingHighMul: ⌊(x·q + 2^30) / 2^31⌋ (TFLite's nudge rounds ties up).
    let p = x * i64::from(q.multiplier);
    let half31 = 1i64 << 30;
    let h = if p >= 0 { (p + half31) >> 31 } else { -((-p + half31 - 1) >> 31) };
    // RoundingDivideByPOT: ties away from zero.
    let r = if right == 0 {
        h
    } else {
        let half = 1i64 << (right - 1);
        if h >= 0 { (h + half) >> right } else { -((-h + half) >> right) }
    };
    r + i64::from(q.output_zero_point)
}

/// Float conv in float64.
fn oracle_f32(g: &ConvGeom, depthwise: bool, d: &F32Data, act: FloatRange) -> Vec<f32> {
    let mut out = Vec::with_capacity(g.out_h * g.out_w * g.out_c);
    for oy in 0..g.out_h {
        for ox in 0..g.out_w {
            for oc in 0..g.out_c {
                let mut s = f64::from(d.bias[oc]);
                for ky in 0..g.kh {
                    for kx in 0..g.kw {
                        let (Some(iy), Some(ix)) = (
                            coord(oy, g.stride_h, ky, g.pad_top, g.in_h),
                            coord(ox, g.stride_w, kx, g.pad_left, g.in_w),
                        ) else {
                            continue;
                        };
                        let px = (iy * g.in_w + ix) * g.in_c;
                        if depthwise {
                            s += f64::from(d.input[px + oc])
                                * f64::from(d.filter[(ky * g.kw + kx) * g.out_c + oc]);
                        } else {
                            for ic in 0..g.in_c {
                                s += f64::from(d.input[px + ic])
                                    * f64::from(d.filter[((oc * g.kh + ky) * g.kw + kx) * g.in_c + ic]);
                            }
                        }
                    }
                }
                out.push((s as f32).clamp(act.min, act.max));
            }
        }
    }
    out
}

// ------------------------------------------------------------------------------------ data

struct U8Data {
    input: Vec<u8>,
    filter: Vec<u8>,
    bias: Vec<i32>,
}

struct F32Data {
    input: Vec<f32>,
    filter: Vec<f32>,
    bias: Vec<f32>,
}

/// How one uint8 scenario draws its data and picks its output quantization.
#[derive(Clone, Copy, Debug)]
enum Scenario {
    /// Dense random values around zero points 128 / 120, output scale from the accumulators.
    Typical,
    /// Input and filter zero points 0 and 255 (every product ≤ 0) or the reverse, with the
    /// biases shifted so that the output zero point is `zo` (0 or 255, the extremes too).
    ExtremeZeroPoints { zx: i32, zw: i32, zo: i32 },
    /// Values within ±1 of the zero points, sparse enough that the accumulators span less than
    /// 255: the multiplier is above one (asserted), the requantization shifts left.
    MultiplierAboveOne,
    /// A clamp inside the range (as ReLU6 does): outputs at both bounds and between.
    Clamped,
}

fn filter_len(g: &ConvGeom, depthwise: bool) -> usize {
    if depthwise { g.kh * g.kw * g.out_c } else { g.out_c * g.kh * g.kw * g.in_c }
}

fn u8_data(g: &ConvGeom, depthwise: bool, s: Scenario, rng: &mut Rng) -> (U8Data, i32, i32) {
    let (n_in, n_f) = (g.in_h * g.in_w * g.in_c, filter_len(g, depthwise));
    let (zx, zw) = match s {
        Scenario::Typical | Scenario::Clamped => (128, 120),
        Scenario::ExtremeZeroPoints { zx, zw, .. } => (zx, zw),
        Scenario::MultiplierAboveOne => (3 + rng.below(250) as i32, 3 + rng.below(250) as i32),
    };
    let data = if let Scenario::MultiplierAboveOne = s {
        // Deviations of ±1 with probability p: the accumulator's spread is about
        // p·√taps, kept near 8 so its range stays well under 255.
        let taps = if depthwise { g.kh * g.kw } else { g.kh * g.kw * g.in_c };
        let p = (8.0 / (taps as f64).sqrt()).min(1.0);
        let dev = |z: i32, rng: &mut Rng| -> u8 {
            let r = (rng.next() >> 11) as f64 / (1u64 << 53) as f64;
            let d = if r < p / 2.0 {
                -1
            } else if r < p {
                1
            } else {
                0
            };
            (z + d) as u8
        };
        U8Data {
            input: (0..n_in).map(|_| dev(zx, rng)).collect(),
            filter: (0..n_f).map(|_| dev(zw, rng)).collect(),
            bias: (0..g.out_c).map(|_| rng.below(21) as i32 - 10).collect(),
        }
    } else {
        U8Data {
            input: (0..n_in).map(|_| rng.u8()).collect(),
            filter: (0..n_f).map(|_| rng.u8()).collect(),
            bias: (0..g.out_c).map(|_| rng.below(20001) as i32 - 10000).collect(),
        }
    };
    (data, zx, zw)
}

/// Output quantization spreading `acc` over 0..=255: real multiplier `M = 240 / range`, output
/// zero point `8 − min·M` (clamped to 0..=255), or the scenario's own.
fn spread_quant(acc: &[i32], zx: i32, zw: i32, s: Scenario) -> QuantParams {
    let lo = f64::from(*acc.iter().min().unwrap());
    let hi = f64::from(*acc.iter().max().unwrap());
    let m = 240.0 / (hi - lo).max(1.0);
    let (multiplier, shift) = quantize_multiplier(m);
    let zo = match s {
        Scenario::ExtremeZeroPoints { zo, .. } => zo,
        _ => (7.5 - lo * m).round().clamp(0.0, 255.0) as i32,
    };
    let (act_min, act_max) = if let Scenario::Clamped = s { (zo.max(40), 200) } else { (0, 255) };
    QuantParams::new(zx, zw, zo, (multiplier, shift), (act_min, act_max))
}

/// Asserts the expected outputs exercise the requantization: several distinct values (as many
/// as the accumulators allow), and — unless the scenario clamps on purpose — mostly unclamped.
fn assert_spread(want: &[u8], acc: &[i32], q: &QuantParams, s: Scenario, what: &str) {
    let distinct = |v: &mut Vec<i64>| {
        v.sort_unstable();
        v.dedup();
        v.len()
    };
    let n_out = distinct(&mut want.iter().map(|&v| i64::from(v)).collect());
    let n_acc = distinct(&mut acc.iter().map(|&v| i64::from(v)).collect());
    let width = (q.act_max - q.act_min + 1) as usize;
    let need = (n_acc.min(200).min(width) / 4).max(2.min(n_acc));
    assert!(n_out >= need, "{what}: only {n_out} distinct outputs ({n_acc} distinct accumulators)");
    let range = i64::from(q.act_min)..=i64::from(q.act_max);
    let clamped = acc.iter().filter(|&&a| !range.contains(&unclamped(a, q))).count();
    if let Scenario::Clamped = s {
        assert!(want.iter().any(|&v| i32::from(v) == q.act_min), "{what}: lower clamp never reached");
        assert!(want.iter().any(|&v| i32::from(v) == q.act_max), "{what}: upper clamp never reached");
        assert!(clamped < want.len(), "{what}: everything clamped");
    } else {
        assert!(
            clamped * 4 <= want.len(),
            "{what}: {clamped} of {} outputs at a clamp bound ({acc:?} {q:?})",
            want.len()
        );
    }
    if let Scenario::MultiplierAboveOne = s {
        assert!(q.shift > 0, "{what}: multiplier {} shift {} is not above one", q.multiplier, q.shift);
    }
}

// ----------------------------------------------------------------------------------- runner

/// Elements after the output that no kernel may touch.
const GUARD: usize = 32;

/// Runs `f` over the whole output, in one call or in bands of output pixels the way threads
/// split a layer (uneven, not multiples of the tile), each band with its own scratch of the
/// planner's size for the band and the layer's kind (`scratch_len`: no more than the arena
/// gives, which holds the largest layer's whole band). The
/// output is prefilled with `sentinel` and followed by a guard region of it; bands run last
/// first, so writing past a band's end clobbers a band already computed. Returns the output
/// without the guard after checking the guard is untouched.
fn banded<T: Copy + PartialEq + std::fmt::Debug>(
    g: &ConvGeom,
    depthwise: bool,
    split: bool,
    sentinel: T,
    same: impl Fn(&T, &T) -> bool,
    mut f: impl FnMut(&ConvGeom, &mut [T], Scratch<'_>),
) -> Vec<T> {
    let m = g.out_h * g.out_w;
    let len = m * g.out_c;
    let mut out = vec![sentinel; len + GUARD];
    let mut cuts: Vec<usize> =
        if split { vec![0, m / 3, (m / 3 + 1).min(m), m * 5 / 6, m] } else { vec![0, m] };
    cuts.sort_unstable();
    cuts.dedup();
    for w in cuts.windows(2).rev() {
        let band = g.with_band(w[0]..w[1]);
        let n = scratch_len(&band, depthwise);
        // Scratch starts dirty: a kernel must not rely on it being zero.
        let (mut i16s, mut f32s) = (vec![0x5a5ai16; n], vec![f32::NAN; n]);
        f(&band, &mut out[w[0] * g.out_c..w[1] * g.out_c], Scratch { i16: &mut i16s, f32: &mut f32s });
    }
    assert!(out[len..].iter().all(|v| same(v, &sentinel)), "a kernel wrote past its output ({g:?})");
    out.truncate(len);
    out
}

fn close(a: &[f32], b: &[f32]) -> Result<(), String> {
    assert_eq!(a.len(), b.len());
    for (i, (&x, &y)) in a.iter().zip(b).enumerate() {
        // Written so that NaN fails too.
        let within = (x - y).abs() <= 1e-4 + 1e-4 * y.abs();
        if !within {
            return Err(format!("element {i}: {x} vs oracle {y}"));
        }
    }
    Ok(())
}

fn check_u8(c: &Case, depthwise: bool, seed: u64, scenarios: &[Scenario]) {
    let g = geom(c);
    let shape = FilterShape::of(&g, depthwise);
    let mut rng = Rng(seed | 1);
    for &s in scenarios {
        let (mut d, zx, zw) = u8_data(&g, depthwise, s, &mut rng);
        let mut acc = oracle_acc(&g, depthwise, &d, zx, zw);
        // Shift every accumulator, through the biases, to be centered on 0 — or, for the
        // extreme output zero points, to end at 0 (zo 255) or start at 0 (zo 0) — so that the
        // output zero point can place them all inside 0..=255.
        let (lo, hi) = (*acc.iter().min().unwrap(), *acc.iter().max().unwrap());
        let delta = match s {
            Scenario::ExtremeZeroPoints { zo: 0, .. } => -lo,
            Scenario::ExtremeZeroPoints { .. } => -hi,
            _ => -(lo / 2 + hi / 2),
        };
        d.bias.iter_mut().for_each(|b| *b += delta);
        acc.iter_mut().for_each(|a| *a += delta);
        let q = spread_quant(&acc, zx, zw, s);
        let want: Vec<u8> = acc.iter().map(|&a| oracle_requant(a, &q)).collect();
        let what = format!("uint8 {} {s:?}", c.name);
        assert_spread(&want, &acc, &q, s, &what);
        for k in sets() {
            let packed = if depthwise {
                (k.u8.pack_depthwise)(&shape, &d.filter, zw, &d.bias)
            } else {
                (k.u8.pack_conv2d)(&shape, &d.filter, zw, &d.bias)
            };
            let f = if depthwise { k.u8.depthwise } else { k.u8.conv2d };
            for (split, sentinel) in [(false, 0x55u8), (true, 0xaa)] {
                let got = banded(
                    &g,
                    depthwise,
                    split,
                    sentinel,
                    |a, b| a == b,
                    |band, out, scratch| f(band, &q, &d.input, &packed, out, scratch),
                );
                if let Some(i) = got.iter().zip(&want).position(|(a, b)| a != b) {
                    panic!(
                        "{} {what} split {split}: output {i} (pixel {}, channel {}) is {} not {} \
                         (accumulator {}, {q:?}, {g:?})",
                        k.name,
                        i / g.out_c,
                        i % g.out_c,
                        got[i],
                        want[i],
                        acc[i]
                    );
                }
            }
        }
    }
}

fn check_f32(c: &Case, depthwise: bool, seed: u64) {
    let g = geom(c);
    let shape = FilterShape::of(&g, depthwise);
    let mut rng = Rng(seed | 1);
    let d = F32Data {
        input: (0..g.in_h * g.in_w * g.in_c).map(|_| rng.f32(-1.0, 1.0)).collect(),
        filter: (0..filter_len(&g, depthwise)).map(|_| rng.f32(-0.5, 0.5)).collect(),
        bias: (0..g.out_c).map(|_| rng.f32(-1.0, 1.0)).collect(),
    };
    let unclamped = FloatRange { min: f32::NEG_INFINITY, max: f32::INFINITY };
    // A clamp between the quartiles of the outputs: half of them inside, a quarter at each bound.
    let mut sorted = oracle_f32(&g, depthwise, &d, unclamped);
    sorted.sort_by(f32::total_cmp);
    let quartiles = FloatRange { min: sorted[sorted.len() / 4], max: sorted[sorted.len() * 3 / 4] };
    for act in [quartiles, unclamped] {
        let want = oracle_f32(&g, depthwise, &d, act);
        for k in sets() {
            let packed = if depthwise {
                (k.f32.pack_depthwise)(&shape, &d.filter, (), &d.bias)
            } else {
                (k.f32.pack_conv2d)(&shape, &d.filter, (), &d.bias)
            };
            let f = if depthwise { k.f32.depthwise } else { k.f32.conv2d };
            for split in [false, true] {
                let got = banded(
                    &g,
                    depthwise,
                    split,
                    f32::NAN,
                    |a, b| a.to_bits() == b.to_bits(),
                    |band, out, scratch| f(band, &act, &d.input, &packed, out, scratch),
                );
                if let Err(e) = close(&got, &want) {
                    panic!("{} float {} {act:?} split {split}: {e} ({g:?})", k.name, c.name);
                }
            }
        }
    }
}

const ALL: &[Scenario] = &[
    Scenario::Typical,
    Scenario::ExtremeZeroPoints { zx: 0, zw: 255, zo: 255 },
    Scenario::ExtremeZeroPoints { zx: 255, zw: 0, zo: 0 },
    Scenario::MultiplierAboveOne,
    Scenario::Clamped,
];

fn check_conv(c: &Case, depthwise: bool, seed: u64) {
    check_u8(c, depthwise, seed, ALL);
    check_f32(c, depthwise, seed + 7);
}

const fn case(
    name: &'static str,
    hwc: [usize; 3],
    out_c: usize,
    k: usize,
    stride: usize,
    same: bool,
) -> Case {
    case_hw(name, hwc, out_c, [k, k], [stride, stride], same)
}

/// A case whose window or strides differ between height and width.
const fn case_hw(
    name: &'static str,
    hwc: [usize; 3],
    out_c: usize,
    k: [usize; 2],
    stride: [usize; 2],
    same: bool,
) -> Case {
    Case { name, in_h: hwc[0], in_w: hwc[1], in_c: hwc[2], out_c, k, stride, same }
}

const POINTWISE: &[Case] = &[
    case("channels equal to the tile", [4, 4, 8], 8, 1, 1, true),
    case("channels below the tile", [3, 5, 3], 5, 1, 1, true),
    case("channels above the tile", [5, 3, 9], 17, 1, 1, true),
    case("channels a multiple of the tile", [6, 6, 32], 64, 1, 1, true),
    case("odd reduction length", [2, 3, 33], 24, 1, 1, true),
    // The packers move 8 (uint8) or 4 (float) values of a full block's rows at a time: a
    // reduction of 8n + 4 leaves a tail to uint8's scalar rest only.
    case("reduction of 8n + 4", [3, 2, 20], 16, 1, 1, true),
    case("one input channel", [3, 3, 1], 11, 1, 1, true),
    case("one pixel (logits)", [1, 1, 256], 1001, 1, 1, true),
    case("pixels not a multiple of 4", [7, 7, 16], 24, 1, 1, true),
    case("one pixel past the tile", [1, 5, 16], 15, 1, 1, true),
    case("many pixels (chunked)", [40, 40, 64], 16, 1, 1, true),
    case("long reduction", [2, 2, 1024], 9, 1, 1, true),
];

const STEM: &[Case] = &[
    case("stem, even size (padding bottom/right only)", [16, 16, 3], 8, 3, 2, true),
    case("stem, odd size (padding on all sides)", [15, 13, 3], 16, 3, 2, true),
    case("stem, even height odd width", [8, 7, 3], 5, 3, 2, true),
    case("stem, valid padding", [11, 12, 3], 12, 3, 2, false),
    case("valid, stride 2 leaves the last row unused", [8, 8, 3], 7, 3, 2, false),
    // The SIMD set's stem kernel: past one tile of channels, narrower than a tile of pixels, and
    // the 3×3/3-channel shapes with one stride 1 that it must leave to the GEMM.
    case("stem, 17 channels (a partial third block)", [9, 10, 3], 17, 3, 2, true),
    case("stem, one output column", [7, 2, 3], 9, 3, 2, true),
    case("stem, three output columns, valid", [9, 7, 3], 8, 3, 2, false),
    case_hw("3x3, 3 channels, stride 1 down only", [6, 7, 3], 8, [3, 3], [1, 2], true),
    case_hw("3x3, 3 channels, stride 1 across only", [7, 6, 3], 8, [3, 3], [2, 1], true),
    case("3x3 stride 1 conv", [6, 5, 5], 9, 3, 1, true),
    case("5x5 conv (padding 2)", [6, 7, 4], 9, 5, 1, true),
    case("1x1 stride 2 conv", [9, 8, 8], 8, 1, 2, true),
    // Not pointwise although one side is (cargo-mutants: a kernel set that took these for a
    // plain matrix product went unnoticed).
    case_hw("3x1 window, valid", [6, 5, 4], 8, [3, 1], [1, 1], false),
    case_hw("1x3 window, valid", [5, 6, 4], 8, [1, 3], [1, 1], false),
    case_hw("1x1, stride 2 down only", [6, 5, 8], 8, [1, 1], [2, 1], true),
    case_hw("1x1, stride 2 across only", [5, 6, 8], 8, [1, 1], [1, 2], true),
];

const DEPTHWISE: &[Case] = &[
    case("dw stride 1, 8 channels", [6, 6, 8], 8, 3, 1, true),
    case("dw stride 1, 7 channels", [5, 7, 7], 7, 3, 1, true),
    case("dw stride 1, 17 channels", [3, 4, 17], 17, 3, 1, true),
    case("dw stride 2, even size", [8, 8, 16], 16, 3, 2, true),
    case("dw stride 2, odd size", [7, 9, 24], 24, 3, 2, true),
    case("dw stride 2, even height odd width", [6, 7, 9], 9, 3, 2, true),
    case("dw 1x1 input", [1, 1, 32], 32, 3, 1, true),
    case("dw 2x2 input stride 2", [2, 2, 9], 9, 3, 2, true),
    case("dw valid padding", [7, 6, 12], 12, 3, 1, false),
    case("dw valid, stride 2", [8, 9, 10], 10, 3, 2, false),
    case("dw 5x5 window", [9, 9, 8], 8, 5, 2, true),
    case("dw 2x2 window (even tap count)", [5, 6, 11], 11, 2, 1, false),
    case("dw 1x1 window", [3, 3, 13], 13, 1, 1, true),
    case("dw one channel", [5, 5, 1], 1, 3, 1, true),
    // Three tall but not 3×3 (and the reverse): the SIMD set holds a 3×3 block's weights for a
    // whole row and must take that path only for 3×3 windows.
    case_hw("dw 3x1 window", [6, 5, 9], 9, [3, 1], [1, 1], true),
    case_hw("dw 1x3 window, stride 2 across", [5, 7, 10], 10, [1, 3], [1, 2], true),
    // Past the portable set's 64-channel block, with a partial last block (cargo-mutants found
    // the second block's length and input offset unchecked).
    case("dw 100 channels (two 64-channel blocks)", [5, 4, 100], 100, 3, 2, true),
    // From 57 channels (64 rounded up to 8) the SIMD set pads each ring column by 16 elements.
    case("dw stride 1, 64 channels (padded ring columns)", [5, 6, 64], 64, 3, 1, true),
];

#[test]
fn pointwise_conv() {
    for (i, c) in POINTWISE.iter().enumerate() {
        check_conv(c, false, 1000 + i as u64);
    }
}

#[test]
fn stem_and_general_conv() {
    for (i, c) in STEM.iter().enumerate() {
        check_conv(c, false, 2000 + i as u64);
    }
}

#[test]
fn depthwise_conv() {
    for (i, c) in DEPTHWISE.iter().enumerate() {
        check_conv(c, true, 3000 + i as u64);
    }
}

#[test]
fn random_convolutions() {
    let mut rng = Rng(77);
    for i in 0..40 {
        let k = [1, 3][rng.below(2) as usize];
        let stride = 1 + rng.below(2) as usize;
        let in_c = 1 + rng.below(40) as usize;
        let c = Case {
            name: "random",
            in_h: k + rng.below(9) as usize,
            in_w: k + rng.below(9) as usize,
            in_c,
            out_c: 1 + rng.below(40) as usize,
            k: [k, k],
            stride: [stride, stride],
            same: rng.below(3) != 0,
        };
        let scenarios = [Scenario::Typical, Scenario::MultiplierAboveOne];
        check_u8(&c, false, 4000 + i, &scenarios);
        check_u8(&Case { out_c: in_c, ..c }, true, 5000 + i, &scenarios);
        if i % 4 == 0 {
            check_f32(&c, false, 6000 + i);
            check_f32(&Case { out_c: in_c, ..c }, true, 7000 + i);
        }
    }
}

/// The requantization on named accumulators, through a 1×1 conv of one input channel whose
/// accumulator is exactly the bias: ties of both signs, a zero right shift, left shifts.
#[test]
fn requantization_edge_cases() {
    let biases: Vec<i32> = vec![0, 1, -1, 2, -2, 3, -3, 5, -5, 127, -128, 1000, -1000, 4095, -4096, 65535];
    let g = geom(&case("bias only", [1, 1, 1], biases.len(), 1, 1, true));
    let shape = FilterShape::of(&g, false);
    // (real multiplier, output zero point): halves make exact ties for the rounding.
    for (m, zo) in [
        (0.5, 128),
        (0.25, 100),
        (1.0 / 3.0, 128),
        (0.75, 128),
        (1.5, 128),
        (2.0, 127),
        (4.0, 128),
        (1e-3, 128),
        (0.5, 0),
        (0.5, 255),
    ] {
        let (multiplier, shift) = quantize_multiplier(m);
        let q = QuantParams::new(7, 9, zo, (multiplier, shift), (0, 255));
        let want: Vec<u8> = biases.iter().map(|&b| oracle_requant(b, &q)).collect();
        // Exact ties and plain values, worked by hand for the first two multipliers.
        if m == 0.5 && zo == 128 {
            assert_eq!(
                &want[..9],
                &[128, 129, 128, 129, 127, 130, 127, 131, 126],
                "oracle disagrees with TFLite"
            );
        }
        for k in sets() {
            let packed = (k.u8.pack_conv2d)(&shape, &vec![9; biases.len()], 9, &biases);
            let got = banded(
                &g,
                false,
                false,
                0x55,
                |a, b| a == b,
                |band, out, scratch| (k.u8.conv2d)(band, &q, &[7], &packed, out, scratch),
            );
            assert_eq!(got, want, "{} multiplier {m} zero point {zo}", k.name);
        }
    }
}

// ---------------------------------------------------------------------------------- packers

/// Each set's packers against the layout it documents, padding included.
#[test]
fn packers_write_the_documented_layouts() {
    let mut rng = Rng(31);
    for (out_c, kh, kw, in_c) in [(13, 3, 3, 3), (8, 1, 1, 5), (3, 1, 1, 16), (17, 2, 2, 1)] {
        let s = FilterShape { out_c, kh, kw, in_c };
        let k = kh * kw * in_c;
        let filter: Vec<u8> = (0..out_c * k).map(|_| rng.u8()).collect();
        let ffilter: Vec<f32> = (0..out_c * k).map(|_| rng.f32(-1.0, 1.0)).collect();
        let bias: Vec<i32> = (0..out_c).map(|_| rng.below(1000) as i32 - 500).collect();
        let fbias: Vec<f32> = (0..out_c).map(|_| rng.f32(-1.0, 1.0)).collect();
        let zp = 1 + rng.below(254) as i32;
        let ds = FilterShape { out_c, kh, kw, in_c: out_c };
        let dfilter: Vec<u8> = (0..kh * kw * out_c).map(|_| rng.u8()).collect();
        let dffilter: Vec<f32> = (0..kh * kw * out_c).map(|_| rng.f32(-1.0, 1.0)).collect();
        for set in sets() {
            let conv = (set.u8.pack_conv2d)(&s, &filter, zp, &bias);
            let fconv = (set.f32.pack_conv2d)(&s, &ffilter, (), &fbias);
            let dw = (set.u8.pack_depthwise)(&ds, &dfilter, zp, &bias);
            let fdw = (set.f32.pack_depthwise)(&ds, &dffilter, (), &fbias);
            let (want_conv, want_fconv, want_dw, want_fdw) = match set.name {
                "reference" | "scalar" => {
                    let file = |f: &[u8]| Packed { u8: f.to_vec(), i32: bias.clone(), ..Packed::default() };
                    let ffile = |f: &[f32]| Packed { f32: [f, &fbias[..]].concat(), ..Packed::default() };
                    (file(&filter), ffile(&ffilter), file(&dfilter), ffile(&dffilter))
                }
                "simd128" | "relaxed-simd" => {
                    simd_layouts(&s, &filter, &ffilter, &dfilter, &dffilter, zp, &bias, &fbias)
                }
                name if name.contains("dot-") => {
                    let (_, f, d, fd) =
                        simd_layouts(&s, &filter, &ffilter, &dfilter, &dffilter, zp, &bias, &fbias);
                    (dot_layout(&s, &filter, zp, &bias, name.ends_with("sdot")), f, d, fd)
                }
                other => panic!("no documented layout for kernel set {other}"),
            };
            assert_eq!(conv, want_conv, "{} u8.pack_conv2d {s:?}", set.name);
            assert_eq!(fconv, want_fconv, "{} f32.pack_conv2d {s:?}", set.name);
            assert_eq!(dw, want_dw, "{} u8.pack_depthwise {ds:?}", set.name);
            assert_eq!(fdw, want_fdw, "{} f32.pack_depthwise {ds:?}", set.name);
        }
    }
}

/// The SIMD128 layouts (`src/kernels/simd128/gemm.rs`, `depthwise.rs`), built element by
/// element from their documentation.
#[allow(clippy::too_many_arguments)]
fn simd_layouts(
    s: &FilterShape,
    filter: &[u8],
    ffilter: &[f32],
    dfilter: &[u8],
    dffilter: &[f32],
    zp: i32,
    bias: &[i32],
    fbias: &[f32],
) -> (Packed, Packed, Packed, Packed) {
    let (n, k) = (s.out_c, s.kh * s.kw * s.in_c);
    let n8 = n.div_ceil(8) * 8;
    let k2 = k.div_ceil(2);
    let padded_bias: Vec<i32> = (0..n8).map(|i| bias.get(i).copied().unwrap_or(0)).collect();
    let padded_fbias: Vec<f32> = (0..n8).map(|i| fbias.get(i).copied().unwrap_or(0.0)).collect();
    // GEMM uint8: i16 [N8/8][K2][8][2].
    let mut conv = Vec::new();
    for nb in 0..n8 / 8 {
        for kp in 0..k2 {
            for j in 0..8 {
                for t in 0..2 {
                    let (oc, kk) = (nb * 8 + j, kp * 2 + t);
                    conv.push(if oc < n && kk < k {
                        (i32::from(filter[oc * k + kk]) - zp) as i16
                    } else {
                        0
                    });
                }
            }
        }
    }
    // GEMM float: f32 [N8/8][K][8], then the bias [N8].
    let mut fconv = Vec::new();
    for nb in 0..n8 / 8 {
        for kk in 0..k {
            for j in 0..8 {
                let oc = nb * 8 + j;
                fconv.push(if oc < n { ffilter[oc * k + kk] } else { 0.0 });
            }
        }
    }
    fconv.extend(&padded_fbias);
    // Depthwise uint8: i16 [C8/8][P][2 halves][4 channels][2 taps].
    let taps = s.kh * s.kw;
    let pairs = taps.div_ceil(2);
    let mut dw = Vec::new();
    for cb in 0..n8 / 8 {
        for p in 0..pairs {
            for half in 0..2 {
                for j in 0..4 {
                    for t in 0..2 {
                        let (ch, tap) = (cb * 8 + half * 4 + j, p * 2 + t);
                        dw.push(if ch < n && tap < taps {
                            (i32::from(dfilter[tap * n + ch]) - zp) as i16
                        } else {
                            0
                        });
                    }
                }
            }
        }
    }
    // Depthwise float: f32 [taps][C8], then the bias [C8].
    let mut fdw = Vec::new();
    for t in 0..taps {
        for ch in 0..n8 {
            fdw.push(if ch < n { dffilter[t * n + ch] } else { 0.0 });
        }
    }
    fdw.extend(&padded_fbias);
    (
        Packed { i16: conv, i32: padded_bias.clone(), ..Packed::default() },
        Packed { f32: fconv, ..Packed::default() },
        Packed { i16: dw, i32: padded_bias, ..Packed::default() },
        Packed { f32: fdw, ..Packed::default() },
    )
}

/// The dot-product GEMM's layout (`src/kernels/simd128/dot.rs`): `u8` `[N8/8][K4][8][4]` of
/// `w − 128` as i8; `i32` the bias (`signed`: plus `128·Σ_k (w − 128)`) `[N8]` then
/// `Σ_k (w − zp)` `[N8]`.
fn dot_layout(s: &FilterShape, filter: &[u8], zp: i32, bias: &[i32], signed: bool) -> Packed {
    let (n, k) = (s.out_c, s.kh * s.kw * s.in_c);
    let (n8, k4) = (n.div_ceil(8) * 8, k.div_ceil(4));
    let mut w = Vec::new();
    for nb in 0..n8 / 8 {
        for kq in 0..k4 {
            for j in 0..8 {
                for t in 0..4 {
                    let (oc, kk) = (nb * 8 + j, kq * 4 + t);
                    w.push(if oc < n && kk < k {
                        (i32::from(filter[oc * k + kk]) - 128) as i8 as u8
                    } else {
                        0
                    });
                }
            }
        }
    }
    let row_sum =
        |oc: usize, z: i32| -> i32 { filter[oc * k..(oc + 1) * k].iter().map(|&v| i32::from(v) - z).sum() };
    let mut i32s: Vec<i32> = (0..n8)
        .map(|oc| if oc < n { bias[oc] + if signed { 128 * row_sum(oc, 128) } else { 0 } } else { 0 })
        .collect();
    i32s.extend((0..n8).map(|oc| if oc < n { row_sum(oc, zp) } else { 0 }));
    Packed { u8: w, i32: i32s, ..Packed::default() }
}

// ------------------------------------------------------------------------------------ pools

fn pool_geom(in_h: usize, in_w: usize, c: usize, k: usize, stride: usize, same: bool) -> ConvGeom {
    geom(&case("pool", [in_h, in_w, c], c, k, stride, same))
}

/// Average pool oracle: for each output the window's in-bounds taps, summed; uint8 is TFLite's
/// `(sum + n/2) / n` (both positive: rounds half up), float the float64 mean.
fn oracle_pool(g: &ConvGeom, input: &[f64], round: bool) -> Vec<f64> {
    let mut out = Vec::new();
    for oy in 0..g.out_h {
        for ox in 0..g.out_w {
            for ch in 0..g.in_c {
                let (mut s, mut n) = (0f64, 0u32);
                for ky in 0..g.kh {
                    for kx in 0..g.kw {
                        if let (Some(iy), Some(ix)) = (
                            coord(oy, g.stride_h, ky, g.pad_top, g.in_h),
                            coord(ox, g.stride_w, kx, g.pad_left, g.in_w),
                        ) {
                            s += input[(iy * g.in_w + ix) * g.in_c + ch];
                            n += 1;
                        }
                    }
                }
                assert!(n > 0);
                out.push(if round {
                    ((s as u64 + u64::from(n / 2)) / u64::from(n)) as f64
                } else {
                    s / f64::from(n)
                });
            }
        }
    }
    out
}

#[test]
fn average_pool() {
    let mut rng = Rng(9);
    let cases = [
        pool_geom(7, 7, 1024, 7, 1, false), // MobileNet's global pool
        pool_geom(4, 4, 8, 4, 1, false),
        pool_geom(5, 5, 17, 5, 1, false), // a 16-channel step and a tail of 1
        pool_geom(6, 5, 3, 3, 2, true),   // padding borders: fewer taps at the edges
        pool_geom(7, 8, 21, 3, 1, true),  // padding on all sides, 5 channels past 16
        pool_geom(9, 9, 20, 2, 2, false),
        pool_geom(2, 3, 7, 2, 1, false),  // tails only
        pool_geom(5, 4, 100, 3, 2, true), // two 64-channel blocks of the portable set, the last partial
    ];
    for g in &cases {
        let input: Vec<u8> = (0..g.in_h * g.in_w * g.in_c).map(|_| rng.u8()).collect();
        let as_f64: Vec<f64> = input.iter().map(|&v| f64::from(v)).collect();
        let exact = oracle_pool(g, &as_f64, true);
        let finput: Vec<f32> = input.iter().map(|&v| f32::from(v) / 7.0 - 3.0).collect();
        let fexact = oracle_pool(g, &finput.iter().map(|&v| f64::from(v)).collect::<Vec<_>>(), false);
        let n = g.out_h * g.out_w * g.in_c;
        for (act_min, act_max) in [(0, 255), (100, 140)] {
            let want: Vec<u8> = exact.iter().map(|&v| (v as i32).clamp(act_min, act_max) as u8).collect();
            let inside = want.iter().filter(|&&v| i32::from(v) > act_min && i32::from(v) < act_max).count();
            assert!(inside > 0, "pool {g:?}: every output clamped");
            for k in sets() {
                for sentinel in [0x55u8, 0xaa] {
                    let mut got = vec![sentinel; n + GUARD];
                    (k.u8.avg_pool)(g, &(act_min, act_max), &input, &mut got[..n]);
                    assert!(got[n..].iter().all(|&v| v == sentinel), "{} pool wrote past its output", k.name);
                    assert_eq!(got[..n], want[..], "{} uint8 pool {act_min}..{act_max} {g:?}", k.name);
                }
            }
        }
        for range in
            [FloatRange { min: -1.0, max: 6.0 }, FloatRange { min: f32::NEG_INFINITY, max: f32::INFINITY }]
        {
            let want: Vec<f32> = fexact.iter().map(|&v| (v as f32).clamp(range.min, range.max)).collect();
            for k in sets() {
                let mut got = vec![f32::NAN; n + GUARD];
                (k.f32.avg_pool)(g, &range, &finput, &mut got[..n]);
                assert!(got[n..].iter().all(|v| v.is_nan()), "{} float pool wrote past its output", k.name);
                close(&got[..n], &want)
                    .unwrap_or_else(|e| panic!("{} float pool {range:?} {g:?}: {e}", k.name));
            }
        }
    }
}

// ---------------------------------------------------------------------------------- softmax

/// uint8 softmax oracle in float64: `min(255, ⌊256·p + ½⌋)` with `p` the exact probability.
/// Returns the value and whether `256·p` lies so close to a rounding boundary that float32
/// arithmetic may round it the other way.
fn oracle_softmax_u8(beta_scale: f64, input: &[u8]) -> Vec<(u8, bool)> {
    let max = f64::from(*input.iter().max().unwrap());
    let e: Vec<f64> = input.iter().map(|&q| (beta_scale * (f64::from(q) - max)).exp()).collect();
    let sum: f64 = e.iter().sum();
    e.iter()
        .map(|&v| {
            let x = 256.0 * v / sum + 0.5;
            let near = (x - x.round()).abs() < 1e-4;
            (x.floor().min(255.0) as u8, near)
        })
        .collect()
}

#[test]
fn softmax() {
    let mut rng = Rng(5);
    for (len, beta_scale) in [(1, 0.13f32), (2, 0.5), (10, 0.13), (1001, 0.13), (1001, 0.02), (300, 1.0)] {
        let input: Vec<u8> = (0..len).map(|_| rng.u8()).collect();
        let want = oracle_softmax_u8(f64::from(beta_scale), &input);
        let finput: Vec<f32> = (0..len).map(|_| rng.f32(-20.0, 20.0)).collect();
        let fmax = finput.iter().copied().fold(f64::NEG_INFINITY, |a, b| a.max(f64::from(b)));
        let fe: Vec<f64> = finput.iter().map(|&x| (f64::from(x) - fmax).exp()).collect();
        let fsum: f64 = fe.iter().sum();
        let fwant: Vec<f32> = fe.iter().map(|&v| (v / fsum) as f32).collect();
        for k in sets() {
            let mut got = vec![0x55u8; len];
            (k.u8.softmax)(beta_scale, &input, &mut got);
            for (i, (&g, &(w, near))) in got.iter().zip(&want).enumerate() {
                let ok = if near { g.abs_diff(w) <= 1 } else { g == w };
                assert!(ok, "{} softmax uint8 len {len}: output {i} is {g}, oracle {w}", k.name);
            }
            let mut fgot = vec![f32::NAN; len];
            (k.f32.softmax)(1.0, &finput, &mut fgot);
            close(&fgot, &fwant).unwrap_or_else(|e| panic!("{} softmax float len {len}: {e}", k.name));
        }
    }
    // Known values: equal logits share the probability; one logit is certain (255, not 256).
    for k in sets() {
        let mut out = [0u8; 4];
        (k.u8.softmax)(0.1, &[9, 9, 9, 9], &mut out);
        assert_eq!(out, [64; 4], "{}", k.name);
        let mut one = [0u8; 1];
        (k.u8.softmax)(0.1, &[200], &mut one);
        assert_eq!(one, [255], "{}", k.name);
        let mut f = [0f32; 2];
        (k.f32.softmax)(2.0, &[0.0, 1.0], &mut f);
        close(&f, &[1.0 / (1.0 + 2f32.exp()), 1.0 / (1.0 + (-2f32).exp())]).unwrap();
        // Large logits: exp(100) overflows f32, so the maximum must come off first.
        let big = [100.0f32, 98.0, 60.0];
        let e: Vec<f64> = big.iter().map(|&x| (f64::from(x) - 100.0).exp()).collect();
        let sum: f64 = e.iter().sum();
        let want: Vec<f32> = e.iter().map(|&v| (v / sum) as f32).collect();
        let mut f = [f32::NAN; 3];
        (k.f32.softmax)(1.0, &big, &mut f);
        close(&f, &want).unwrap_or_else(|e| panic!("{} softmax float, logits near 100: {e}", k.name));
    }
}

/// The relaxed dot product's probe: absent without relaxed SIMD; with it, measured, and the
/// dot-product set for the reading the host has offered (none where it saturates). Built with
/// `MOBILENET_EXPECT_DOT=1` (`./build.sh test wasm` in headless Chromium on an AVX-VNNI host),
/// the dot-product set must be there, so the kernel tests above did run it.
#[test]
fn the_dot_product_is_offered_where_the_probe_allows() {
    use mobilenet_wasm::kernels::{dot_behaviour, dot_set};
    let b = dot_behaviour();
    if cfg!(all(target_arch = "wasm32", target_feature = "relaxed-simd")) {
        assert!(["unsigned×signed", "signed×signed", "other"].contains(&b), "{b}");
    } else {
        assert_eq!(b, "absent");
    }
    let want = match b {
        "unsigned×signed" => Some("relaxed-simd+dot-vnni"),
        "signed×signed" => Some("relaxed-simd+dot-sdot"),
        _ => None,
    };
    assert_eq!(dot_set().map(|s| s.name), want);
    if option_env!("MOBILENET_EXPECT_DOT") == Some("1") {
        assert_eq!(b, "unsigned×signed", "this host was expected to run the dot-product kernels");
    }
}

#[test]
fn the_build_runs_its_best_kernels() {
    let best = mobilenet_wasm::kernels::best().name;
    if cfg!(all(target_arch = "wasm32", target_feature = "relaxed-simd")) {
        assert_eq!(best, "relaxed-simd");
    } else if cfg!(all(target_arch = "wasm32", target_feature = "simd128")) {
        assert_eq!(best, "simd128");
    } else {
        assert_eq!(best, "scalar");
    }
}

/// Every requantization formulation against TFLite's (`exact_requant`) on adversarial synthetic
/// layers: multipliers at and next to 0.5 and 1 (and random ones), right shifts 0..31, a few
/// left shifts, zero points 0, 128 and 255, clamps [0, 255], [zp, 255] and narrower. For each
/// layer: every accumulator of a window around the steps of the output (all of it when the
/// output is unclamped over ≤ 2^14 accumulators), every step ± 3, the extremes of int32 and 256
/// random accumulators. Natively this checks the formulations' scalar definitions (the proof the
/// planner relies on); in wasm also the SIMD128 code, in the formulation the planner chose and
/// in both integer ones forced.
#[test]
fn requantization_formulations_are_exact() {
    use mobilenet_wasm::kernels::requantize::{
        Formulation, exact_requant, float_requant, single_rounding, thresholds,
    };
    let mut rng = Rng(0x5eed_0001);
    let mut multipliers = vec![1 << 30, (1 << 30) + 1, (1 << 30) + 2, i32::MAX, i32::MAX - 1, 1_518_500_250];
    for _ in 0..3 {
        multipliers.push((1 << 30) + rng.below(1 << 30) as i32);
    }
    let (mut cases, mut float) = (0, 0);
    for &zp in &[0, 128, 255] {
        for shift in (-31..=0).chain([1, 2, 5]) {
            for &q in &multipliers {
                for (lo, hi) in [(0, 255), (zp, 255), (zp.min(100), (zp + 27).min(255))] {
                    let mut p = QuantParams::new(0, 0, zp, (q, shift), (lo, hi));
                    cases += 1;
                    // Accumulators: the steps, their neighbourhood and the window between them.
                    let mut accs: Vec<i32> = vec![i32::MIN, i32::MIN + 1, -1, 0, 1, i32::MAX - 1, i32::MAX];
                    let steps: Vec<i32> = if shift <= 0 {
                        thresholds(q, shift, zp, lo, hi).iter().filter_map(|t| t.1).collect()
                    } else {
                        Vec::new()
                    };
                    for &t in &steps {
                        accs.extend((-3..=3).map(|d| t.saturating_add(d)));
                    }
                    if let (Some(&a), Some(&b)) = (steps.iter().min(), steps.iter().max()) {
                        let (a, b) = (i64::from(a) - 64, i64::from(b) + 64);
                        let b = b.min(a + (1 << 14));
                        accs.extend(
                            (a.max(i64::from(i32::MIN))..=b.min(i64::from(i32::MAX))).map(|v| v as i32),
                        );
                    } else {
                        accs.extend(-(1 << 13)..(1 << 13));
                    }
                    for _ in 0..256 {
                        accs.push(rng.next() as i32);
                    }
                    let want: Vec<i32> =
                        accs.iter().map(|&a| exact_requant(a, q, shift, zp, lo, hi)).collect();
                    let e = (-shift).max(0);
                    for (&a, &w) in accs.iter().zip(&want) {
                        let ctx = || format!("q {q} shift {shift} zp {zp} [{lo}, {hi}] acc {a}");
                        assert_eq!(
                            single_rounding(a, q, shift, zp, true).clamp(lo, hi),
                            w,
                            "signed {}",
                            ctx()
                        );
                        if e == 0 || lo >= zp {
                            assert_eq!(
                                single_rounding(a, q, shift, zp, false).clamp(lo, hi),
                                w,
                                "single {}",
                                ctx()
                            );
                        }
                        if let Formulation::Float { m, c } = p.formulation {
                            let (m, c) = (f32::from_bits(m), f32::from_bits(c));
                            assert_eq!(float_requant(a, m, c, lo, hi), w, "float {m} {c} {}", ctx());
                        }
                    }
                    float += usize::from(matches!(p.formulation, Formulation::Float { .. }));
                    if shift > 0 {
                        assert!(
                            !matches!(p.formulation, Formulation::Float { .. }),
                            "a left shift is never float"
                        );
                    }
                    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
                    {
                        let want: Vec<u8> = want.iter().map(|&w| w as u8).collect();
                        let mut forced = vec![p.formulation, Formulation::SingleSigned];
                        if e == 0 || lo >= zp {
                            forced.push(Formulation::Single);
                        }
                        for f in forced {
                            p.formulation = f;
                            let mut got = vec![0u8; accs.len()];
                            mobilenet_wasm::kernels::simd128::requant::requantize(&p, &accs, &mut got);
                            if let Some(i) = (0..accs.len()).find(|&i| got[i] != want[i]) {
                                panic!(
                                    "SIMD {f:?}, q {q} shift {shift} zp {zp} [{lo}, {hi}] acc {}: {} want {}",
                                    accs[i], got[i], want[i]
                                );
                            }
                        }
                    }
                    let _ = &mut p;
                }
            }
        }
    }
    println!("{cases} synthetic layers, {float} proved for the float formulation");
    // The proof must succeed often enough for the float checks to mean something.
    assert!(float * 3 >= cases, "float proved on only {float} of {cases} synthetic layers");
}

/// The warm-up's synthetic network (stem, depthwise stride 1 and 2, pointwise, pool, logits,
/// softmax) is one every kernel set computes — no panic, no trap — and the uint8 sets agree on
/// every layer's output byte for byte (the same hash as the reference kernels'), so the warm-up
/// runs the kernels on the kinds of layers they are made for. Float outputs differ in summation
/// order between sets; each set's are the same on every run.
#[test]
fn warm_up_runs_every_set_alike() {
    use mobilenet_wasm::DType;
    use mobilenet_wasm::kernels::warmup::warm_up;
    let (want, _) = warm_up(&reference::KERNELS, Some(DType::U8));
    assert_ne!(want, 0);
    for set in sets() {
        let (u8_hash, none) = warm_up(set, Some(DType::U8));
        assert_eq!((u8_hash, none), (want, 0), "{}: uint8 layers differ from the reference's", set.name);
        let (none, f32_hash) = warm_up(set, Some(DType::F32));
        assert_eq!(none, 0);
        assert_eq!(warm_up(set, None), (want, f32_hash), "{}: a second run differs", set.name);
    }
}
