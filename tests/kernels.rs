//! Every kernel set against the reference oracle on seeded random data, with named edge cases:
//! channels equal to / below / above / a multiple of the 8-lane tile, spatial sizes that are not
//! multiples of the 4-pixel tile, stride 2 on odd and even sizes, SAME and VALID padding borders,
//! activation clamps, extreme zero points and multipliers above and below one.
//!
//! Natively this checks the scalar kernels; compiled to wasm32 (`./build.sh test` runs it in
//! Node, in headless Chromium and in the relaxed-SIMD build) it checks the SIMD128 kernels too.
//! uint8 must be identical; float within |a − b| ≤ 1e-4 + 1e-4·|b|.

use mobilenet_wasm::kernels::requantize::{conv_multiplier, quantize_multiplier};
use mobilenet_wasm::kernels::{
    ConvGeom, FilterShape, FloatRange, KernelSet, PoolGeom, QuantParams, Scratch, reference, scratch_len,
};

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

/// The kernel sets this build can run, besides the reference.
fn candidates() -> Vec<&'static KernelSet> {
    let mut v = vec![&mobilenet_wasm::kernels::scalar::KERNELS];
    let best = mobilenet_wasm::kernels::best();
    if best.name != "scalar" {
        v.push(best);
    }
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
    k: usize,
    stride: usize,
    same: bool,
}

fn geom(c: &Case) -> ConvGeom {
    let out = |i: usize| if c.same { i.div_ceil(c.stride) } else { (i - c.k) / c.stride + 1 };
    let (out_h, out_w) = (out(c.in_h), out(c.in_w));
    let pad = |i: usize, o: usize| if c.same { ((o - 1) * c.stride + c.k).saturating_sub(i) / 2 } else { 0 };
    ConvGeom {
        in_h: c.in_h,
        in_w: c.in_w,
        in_c: c.in_c,
        out_h,
        out_w,
        out_c: c.out_c,
        kh: c.k,
        kw: c.k,
        stride_h: c.stride,
        stride_w: c.stride,
        pad_top: pad(c.in_h, out_h),
        pad_left: pad(c.in_w, out_w),
        band_start: 0,
        band_end: out_h * out_w,
    }
}

/// Quantization with the given zero points and a multiplier from random scales in `[lo, hi]`.
fn quant(rng: &mut Rng, zx: i32, zw: i32, zo: i32, m_range: (f32, f32), relu6: bool) -> QuantParams {
    let (s_x, s_w) = (rng.f32(0.005, 0.05), rng.f32(0.002, 0.1));
    let m = rng.f32(m_range.0, m_range.1);
    let s_out = s_x * s_w / m;
    let (multiplier, shift) = quantize_multiplier(conv_multiplier(s_x, s_w, s_out));
    let (act_min, act_max) =
        if relu6 { (zo.max(0), (zo + (6.0 / s_out).round() as i32).clamp(zo.max(0), 255)) } else { (0, 255) };
    QuantParams {
        input_zero_point: zx,
        filter_zero_point: zw,
        output_zero_point: zo,
        multiplier,
        shift,
        act_min,
        act_max,
    }
}

/// Runs `f` over the whole output, either in one call or split into bands of output pixels the
/// way threads split a layer (uneven, not multiples of the tile), each band with its own scratch.
fn banded<T: Copy + Default>(
    g: &ConvGeom,
    split: bool,
    mut f: impl FnMut(&ConvGeom, &mut [T], Scratch<'_>),
) -> Vec<T> {
    let m = g.out_h * g.out_w;
    let mut out = vec![T::default(); m * g.out_c];
    let mut cuts: Vec<usize> =
        if split { vec![0, m / 3, (m / 3 + 1).min(m), m * 5 / 6, m] } else { vec![0, m] };
    cuts.sort_unstable();
    cuts.dedup();
    for w in cuts.windows(2) {
        let band = g.with_band(w[0]..w[1]);
        let n = scratch_len(&band);
        let (mut i16s, mut f32s) = (vec![0i16; n], vec![0f32; n]);
        f(&band, &mut out[w[0] * g.out_c..w[1] * g.out_c], Scratch { i16: &mut i16s, f32: &mut f32s });
    }
    out
}

fn close(a: &[f32], b: &[f32]) -> Result<(), String> {
    for (i, (&x, &y)) in a.iter().zip(b).enumerate() {
        // Written so that NaN fails too.
        let within = (x - y).abs() <= 1e-4 + 1e-4 * y.abs();
        if !within {
            return Err(format!("element {i}: {x} vs reference {y}"));
        }
    }
    Ok(())
}

fn check_conv(c: &Case, depthwise: bool, seed: u64) {
    let g = geom(c);
    let mut rng = Rng(seed | 1);
    let shape =
        FilterShape { out_c: g.out_c, kh: g.kh, kw: g.kw, in_c: if depthwise { g.out_c } else { g.in_c } };
    let flen = if depthwise { g.kh * g.kw * g.out_c } else { g.out_c * g.kh * g.kw * g.in_c };
    let input: Vec<u8> = (0..g.in_h * g.in_w * g.in_c).map(|_| rng.u8()).collect();
    let filter: Vec<u8> = (0..flen).map(|_| rng.u8()).collect();
    let bias: Vec<i32> = (0..g.out_c).map(|_| rng.below(20001) as i32 - 10000).collect();
    let out_len = g.out_h * g.out_w * g.out_c;
    // uint8 with several quantizations: typical, extreme zero points, multiplier > 1, clamps.
    let quants = [
        quant(&mut rng, 128, 120, 0, (0.001, 0.02), true),
        quant(&mut rng, 0, 255, 255, (0.0001, 0.001), false),
        quant(&mut rng, 255, 0, 17, (0.01, 0.9), false),
        quant(&mut rng, 3, 250, 128, (1.0, 3.0), true),
    ];
    for (qi, q) in quants.iter().enumerate() {
        let run = |k: &KernelSet, split: bool| {
            let packed = if depthwise {
                (k.pack_depthwise_u8)(&shape, &filter, q.filter_zero_point, &bias)
            } else {
                (k.pack_conv2d_u8)(&shape, &filter, q.filter_zero_point, &bias)
            };
            let f = if depthwise { k.depthwise_u8 } else { k.conv2d_u8 };
            banded(&g, split, |band, out, scratch| f(band, q, &input, &packed, out, scratch))
        };
        let want = run(&reference::KERNELS, false);
        assert_eq!(want.len(), out_len);
        for k in candidates() {
            for split in [false, true] {
                let got = run(k, split);
                let diff = got.iter().zip(&want).position(|(a, b)| a != b);
                assert!(
                    diff.is_none(),
                    "{} uint8 {} quant {qi} split {split}: first difference at {diff:?} ({g:?})",
                    k.name,
                    c.name
                );
            }
        }
    }
    // float32
    let input: Vec<f32> = (0..g.in_h * g.in_w * g.in_c).map(|_| rng.f32(-1.0, 1.0)).collect();
    let filter: Vec<f32> = (0..flen).map(|_| rng.f32(-0.5, 0.5)).collect();
    let bias: Vec<f32> = (0..g.out_c).map(|_| rng.f32(-1.0, 1.0)).collect();
    for range in
        [FloatRange { min: 0.0, max: 6.0 }, FloatRange { min: f32::NEG_INFINITY, max: f32::INFINITY }]
    {
        let run = |k: &KernelSet, split: bool| {
            let packed = if depthwise {
                (k.pack_depthwise_f32)(&shape, &filter, &bias)
            } else {
                (k.pack_conv2d_f32)(&shape, &filter, &bias)
            };
            let f = if depthwise { k.depthwise_f32 } else { k.conv2d_f32 };
            banded(&g, split, |band, out, scratch| f(band, range, &input, &packed, out, scratch))
        };
        let want = run(&reference::KERNELS, false);
        for k in candidates() {
            for split in [false, true] {
                if let Err(e) = close(&run(k, split), &want) {
                    panic!("{} float {} {range:?} split {split}: {e} ({g:?})", k.name, c.name);
                }
            }
        }
    }
}

const POINTWISE: &[Case] = &[
    Case {
        name: "channels equal to the tile",
        in_h: 4,
        in_w: 4,
        in_c: 8,
        out_c: 8,
        k: 1,
        stride: 1,
        same: true,
    },
    Case {
        name: "channels below the tile",
        in_h: 3,
        in_w: 5,
        in_c: 3,
        out_c: 5,
        k: 1,
        stride: 1,
        same: true,
    },
    Case {
        name: "channels above the tile",
        in_h: 5,
        in_w: 3,
        in_c: 9,
        out_c: 17,
        k: 1,
        stride: 1,
        same: true,
    },
    Case {
        name: "channels a multiple of the tile",
        in_h: 6,
        in_w: 6,
        in_c: 32,
        out_c: 64,
        k: 1,
        stride: 1,
        same: true,
    },
    Case { name: "odd reduction length", in_h: 2, in_w: 3, in_c: 33, out_c: 24, k: 1, stride: 1, same: true },
    Case {
        name: "one pixel (logits)",
        in_h: 1,
        in_w: 1,
        in_c: 256,
        out_c: 1001,
        k: 1,
        stride: 1,
        same: true,
    },
    Case {
        name: "pixels not a multiple of 4",
        in_h: 7,
        in_w: 7,
        in_c: 16,
        out_c: 24,
        k: 1,
        stride: 1,
        same: true,
    },
    Case {
        name: "many pixels (chunked)",
        in_h: 40,
        in_w: 40,
        in_c: 64,
        out_c: 16,
        k: 1,
        stride: 1,
        same: true,
    },
    Case { name: "long reduction", in_h: 2, in_w: 2, in_c: 1024, out_c: 9, k: 1, stride: 1, same: true },
];

const STEM: &[Case] = &[
    Case { name: "stem, even size", in_h: 16, in_w: 16, in_c: 3, out_c: 8, k: 3, stride: 2, same: true },
    Case { name: "stem, odd size", in_h: 15, in_w: 13, in_c: 3, out_c: 16, k: 3, stride: 2, same: true },
    Case {
        name: "stem, valid padding",
        in_h: 11,
        in_w: 12,
        in_c: 3,
        out_c: 12,
        k: 3,
        stride: 2,
        same: false,
    },
    Case { name: "3x3 stride 1 conv", in_h: 6, in_w: 5, in_c: 5, out_c: 9, k: 3, stride: 1, same: true },
    Case { name: "1x1 stride 2 conv", in_h: 9, in_w: 8, in_c: 8, out_c: 8, k: 1, stride: 2, same: true },
];

const DEPTHWISE: &[Case] = &[
    Case {
        name: "dw stride 1, 8 channels",
        in_h: 6,
        in_w: 6,
        in_c: 8,
        out_c: 8,
        k: 3,
        stride: 1,
        same: true,
    },
    Case {
        name: "dw stride 1, 7 channels",
        in_h: 5,
        in_w: 7,
        in_c: 7,
        out_c: 7,
        k: 3,
        stride: 1,
        same: true,
    },
    Case {
        name: "dw stride 1, 17 channels",
        in_h: 3,
        in_w: 4,
        in_c: 17,
        out_c: 17,
        k: 3,
        stride: 1,
        same: true,
    },
    Case {
        name: "dw stride 2, even size",
        in_h: 8,
        in_w: 8,
        in_c: 16,
        out_c: 16,
        k: 3,
        stride: 2,
        same: true,
    },
    Case {
        name: "dw stride 2, odd size",
        in_h: 7,
        in_w: 9,
        in_c: 24,
        out_c: 24,
        k: 3,
        stride: 2,
        same: true,
    },
    Case { name: "dw 1x1 input", in_h: 1, in_w: 1, in_c: 32, out_c: 32, k: 3, stride: 1, same: true },
    Case { name: "dw 2x2 input stride 2", in_h: 2, in_w: 2, in_c: 9, out_c: 9, k: 3, stride: 2, same: true },
    Case { name: "dw valid padding", in_h: 7, in_w: 6, in_c: 12, out_c: 12, k: 3, stride: 1, same: false },
    Case { name: "dw 5x5 window", in_h: 9, in_w: 9, in_c: 8, out_c: 8, k: 5, stride: 2, same: true },
    Case { name: "dw one channel", in_h: 5, in_w: 5, in_c: 1, out_c: 1, k: 3, stride: 1, same: true },
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
            k,
            stride,
            same: rng.below(3) != 0,
        };
        check_conv(&c, false, 4000 + i);
        check_conv(&Case { out_c: in_c, ..c }, true, 5000 + i);
    }
}

fn pool_geom(in_h: usize, in_w: usize, c: usize, k: usize, stride: usize, same: bool) -> PoolGeom {
    let g = geom(&Case { name: "pool", in_h, in_w, in_c: c, out_c: c, k, stride, same });
    debug_assert_eq!(g.band_start, 0);
    PoolGeom {
        in_h,
        in_w,
        c,
        out_h: g.out_h,
        out_w: g.out_w,
        kh: k,
        kw: k,
        stride_h: stride,
        stride_w: stride,
        pad_top: g.pad_top,
        pad_left: g.pad_left,
    }
}

#[test]
fn average_pool() {
    let mut rng = Rng(9);
    let cases = [
        pool_geom(7, 7, 1024, 7, 1, false), // MobileNet's global pool
        pool_geom(4, 4, 8, 4, 1, false),
        pool_geom(5, 5, 17, 5, 1, false),
        pool_geom(6, 5, 3, 3, 2, true), // padding borders: fewer taps at the edges
        pool_geom(9, 9, 20, 2, 2, false),
    ];
    for g in &cases {
        let input: Vec<u8> = (0..g.in_h * g.in_w * g.c).map(|_| rng.u8()).collect();
        let n = g.out_h * g.out_w * g.c;
        let mut want = vec![0u8; n];
        (reference::KERNELS.avg_pool_u8)(g, 10, 200, &input, &mut want);
        let finput: Vec<f32> = input.iter().map(|&v| f32::from(v) / 7.0 - 3.0).collect();
        let mut fwant = vec![0f32; n];
        let range = FloatRange { min: -2.0, max: 6.0 };
        (reference::KERNELS.avg_pool_f32)(g, range, &finput, &mut fwant);
        for k in candidates() {
            let mut got = vec![0u8; n];
            (k.avg_pool_u8)(g, 10, 200, &input, &mut got);
            assert_eq!(got, want, "{} uint8 pool {g:?}", k.name);
            let mut fgot = vec![0f32; n];
            (k.avg_pool_f32)(g, range, &finput, &mut fgot);
            close(&fgot, &fwant).unwrap_or_else(|e| panic!("{} float pool {g:?}: {e}", k.name));
        }
    }
}

#[test]
fn softmax() {
    let mut rng = Rng(5);
    for len in [1, 10, 1001] {
        let input: Vec<u8> = (0..len).map(|_| rng.u8()).collect();
        let mut want = vec![0u8; len];
        (reference::KERNELS.softmax_u8)(0.13, &input, &mut want);
        let finput: Vec<f32> = (0..len).map(|_| rng.f32(-20.0, 20.0)).collect();
        let mut fwant = vec![0f32; len];
        (reference::KERNELS.softmax_f32)(1.0, &finput, &mut fwant);
        for k in candidates() {
            let mut got = vec![0u8; len];
            (k.softmax_u8)(0.13, &input, &mut got);
            assert_eq!(got, want, "{}", k.name);
            let mut fgot = vec![0f32; len];
            (k.softmax_f32)(1.0, &finput, &mut fgot);
            close(&fgot, &fwant).unwrap();
        }
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
