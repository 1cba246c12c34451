#![cfg(not(target_arch = "wasm32"))]
//! Golden tests: every model and every reference case gives LiteRT's outputs — uint8 byte for
//! byte (also layer by layer for the cat), float with the same top-5 and |Δp| ≤ 1e-4 — with both
//! the reference and the scalar kernels.

mod common;
use common::*;
use mobilenet_wasm::kernels::{KernelSet, reference, scalar};
use mobilenet_wasm::{DType, Model, Session};

fn session(name: &str, kernels: &'static KernelSet) -> Session {
    let model = Model::from_tflite(&model_bytes(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut s = Session::new(model).unwrap();
    s.set_kernels(kernels);
    s
}

fn check_model(name: &str, kernels: &'static KernelSet) {
    let manifest = manifest();
    let entry = &manifest["models"][name];
    let cases = entry["cases"].as_array().expect("cases");
    assert!(!cases.is_empty());
    let mut s = session(name, kernels);
    let expect_shape: Vec<usize> =
        entry["input_shape"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
    assert_eq!(s.input_shape()[..], expect_shape[1..]);
    for case in cases {
        let cname = case["case"].as_str().unwrap();
        let input = read(&reference_dir().join(case["input"].as_str().unwrap()));
        let expected = read(&reference_dir().join(case["output"].as_str().unwrap()));
        let top5: Vec<usize> =
            case["top5"].as_array().unwrap().iter().map(|t| t["index"].as_u64().unwrap() as usize).collect();
        match s.model().dtype() {
            DType::U8 => {
                let layers = case["layers"].as_array().cloned().unwrap_or_default();
                let mut mismatches = Vec::new();
                let mut compared = 0;
                let out = s
                    .run_observed(&input, &mut |i, out| {
                        if let Some(l) = layers.iter().find(|l| l["op_index"] == i) {
                            compared += 1;
                            let want = read(&reference_dir().join(l["file"].as_str().unwrap()));
                            if want != out {
                                let diff = want.iter().zip(out).filter(|(a, b)| a != b).count();
                                mismatches.push(format!("layer {i} {}: {diff} bytes differ", l["op"]));
                            }
                        }
                    })
                    .unwrap()
                    .to_vec();
                assert!(mismatches.is_empty(), "{name} {cname} [{}]: {mismatches:?}", kernels.name);
                if name.contains("quant") && cname == "cat" {
                    assert_eq!(layers.len(), s.layer_shapes().len(), "{name}: a reference for every layer");
                    assert_eq!(compared, layers.len(), "{name}: every layer was compared");
                }
                let diff = out.iter().zip(&expected).filter(|(a, b)| a != b).count();
                assert_eq!(diff, 0, "{name} {cname} [{}]: {diff} output bytes differ", kernels.name);
                assert_eq!(top_k(&out, 5), top5, "{name} {cname}");
            }
            DType::F32 => {
                let input = f32s(&input);
                let expected = f32s(&expected);
                let out = s.run(&input).unwrap().to_vec();
                let worst = out.iter().zip(&expected).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
                assert!(worst <= 1e-4, "{name} {cname} [{}]: max |Δp| = {worst}", kernels.name);
                assert_eq!(top_k(&out, 5), top5, "{name} {cname} [{}]", kernels.name);
            }
        }
    }
}

macro_rules! golden {
    ($($test:ident => $model:literal,)*) => {
        mod reference_kernels {
            use super::*;
            $(#[test] fn $test() { check_model($model, &reference::KERNELS); })*
        }
        mod scalar_kernels {
            use super::*;
            $(#[test] fn $test() { check_model($model, &scalar::KERNELS); })*
        }
    };
}

golden! {
    quant_0_25_128 => "mobilenet_v1_0.25_128_quant",
    quant_0_5_160 => "mobilenet_v1_0.5_160_quant",
    quant_0_75_192 => "mobilenet_v1_0.75_192_quant",
    quant_1_0_224 => "mobilenet_v1_1.0_224_quant",
    float_0_25_128 => "mobilenet_v1_0.25_128_float",
    float_0_5_160 => "mobilenet_v1_0.5_160_float",
    float_0_75_192 => "mobilenet_v1_0.75_192_float",
    float_1_0_224 => "mobilenet_v1_1.0_224_float",
}

/// Every model at the three resolutions it was not trained for: a cat class (282–286) wins on
/// the cat photo. The cat input at another size is the reference cat input resampled.
#[test]
fn every_model_at_every_resolution_sees_a_cat() {
    let manifest = manifest();
    for name in MODELS {
        let case = manifest["models"][name]["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["case"] == "cat")
            .unwrap()
            .clone();
        let raw = read(&reference_dir().join(case["input"].as_str().unwrap()));
        let mut s = session(name, &scalar::KERNELS);
        let trained = s.resolution();
        let src: Vec<u8> = match s.model().dtype() {
            DType::U8 => raw.clone(),
            DType::F32 => f32s(&raw).iter().map(|v| (v * 128.0 + 128.0).round() as u8).collect(),
        };
        for r in [128, 160, 192, 224] {
            s.set_resolution(r).unwrap();
            assert_eq!(s.resolution(), r);
            let resized = resize_rgb(&src, trained, r);
            let top = match s.model().dtype() {
                DType::U8 => top_k(s.run(&resized).unwrap(), 1)[0],
                DType::F32 => {
                    let f: Vec<f32> = resized.iter().map(|&v| (f32::from(v) - 128.0) / 128.0).collect();
                    top_k(s.run(&f).unwrap(), 1)[0]
                }
            };
            assert!((282..=286).contains(&top), "{name} at {r}: top-1 is class {top}");
        }
    }
}

/// Bilinear resize of a square RGB image (test helper, independent of the crate's own).
fn resize_rgb(src: &[u8], from: usize, to: usize) -> Vec<u8> {
    let mut out = vec![0u8; to * to * 3];
    let scale = from as f32 / to as f32;
    for y in 0..to {
        let fy = ((y as f32 + 0.5) * scale - 0.5).clamp(0.0, (from - 1) as f32);
        let (y0, wy) = (fy.floor() as usize, fy.fract());
        let y1 = (y0 + 1).min(from - 1);
        for x in 0..to {
            let fx = ((x as f32 + 0.5) * scale - 0.5).clamp(0.0, (from - 1) as f32);
            let (x0, wx) = (fx.floor() as usize, fx.fract());
            let x1 = (x0 + 1).min(from - 1);
            for c in 0..3 {
                let p = |yy: usize, xx: usize| f32::from(src[(yy * from + xx) * 3 + c]);
                let v = p(y0, x0) * (1.0 - wx) * (1.0 - wy)
                    + p(y0, x1) * wx * (1.0 - wy)
                    + p(y1, x0) * (1.0 - wx) * wy
                    + p(y1, x1) * wx * wy;
                out[(y * to + x) * 3 + c] = v.round() as u8;
            }
        }
    }
    out
}

/// The feature vector `embed_rgba` returns is the reference's average-pool output, dequantized:
/// a frame of exactly the model's size is taken as is by the preprocessing.
#[test]
fn embedding_is_the_reference_pool_output() {
    let manifest = manifest();
    for name in ["mobilenet_v1_0.25_128_quant", "mobilenet_v1_1.0_224_quant"] {
        let case = manifest["models"][name]["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["case"] == "cat")
            .unwrap();
        let layer = case["layers"].as_array().unwrap().iter().find(|l| l["op"] == "AVERAGE_POOL_2D").unwrap();
        let pool = read(&reference_dir().join(layer["file"].as_str().unwrap()));
        let (scale, zp) = (
            layer["quant"]["scale"].as_f64().unwrap() as f32,
            layer["quant"]["zero_point"].as_i64().unwrap() as i32,
        );
        let rgb = read(&reference_dir().join(case["input"].as_str().unwrap()));
        let rgba: Vec<u8> = rgb.chunks_exact(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect();
        let mut s = session(name, &scalar::KERNELS);
        let size = s.resolution();
        assert_eq!(s.embedding_len(), Some(pool.len()));
        let mut features = vec![0f32; pool.len()];
        s.embed_rgba(&rgba, size, size, &mut features).unwrap();
        for (i, (&f, &q)) in features.iter().zip(&pool).enumerate() {
            assert_eq!(f, scale * (i32::from(q) - zp) as f32, "{name}: feature {i}");
        }
    }
}

/// The self-test a session runs before trusting the dot-product kernels
/// (`Session::kernels_agree`): two exact sets agree on every uint8 model; a set that is wrong in
/// one byte of one layer it checks does not.
#[test]
fn the_kernel_self_test_finds_a_wrong_byte() {
    use mobilenet_wasm::kernels::{ConvGeom, Packed, QuantParams, Scratch};
    /// The scalar CONV_2D with its first output byte of the last layer's band changed.
    fn off_by_one(g: &ConvGeom, q: &QuantParams, input: &[u8], p: &Packed, out: &mut [u8], s: Scratch<'_>) {
        (scalar::KERNELS.u8.conv2d)(g, q, input, p, out, s);
        if g.in_h == 1 && g.band_start == 0 {
            out[0] = out[0].wrapping_add(1);
        }
    }
    static WRONG: KernelSet = KernelSet {
        name: "wrong",
        u8: mobilenet_wasm::kernels::Kernels { conv2d: off_by_one, ..scalar::KERNELS.u8 },
        ..scalar::KERNELS
    };
    for name in ["mobilenet_v1_0.25_128_quant", "mobilenet_v1_1.0_224_quant"] {
        let s = session(name, &scalar::KERNELS);
        assert!(s.kernels_agree(&scalar::KERNELS, &reference::KERNELS), "{name}");
        assert!(!s.kernels_agree(&WRONG, &reference::KERNELS), "{name}");
    }
    let float = session("mobilenet_v1_0.25_128_float", &scalar::KERNELS);
    assert!(float.kernels_agree(&WRONG, &reference::KERNELS), "a float model has no uint8 layer to check");
}
