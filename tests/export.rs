#![cfg(not(target_arch = "wasm32"))]
//! Export of a taught head as a `.tflite` (`mobilenet_wasm::tflite::export`), on every model:
//! a nearest-class-mean head fitted on crops of three photos (cat, bird, parrot) is exported; the
//! file loads here, keeps the original's embedding bit for bit, has 3 classes, and on held-back
//! crops gives the class the head gives on the original's embedding (and the right photo) — uint8
//! with unsaturated logits when calibrated, float with probabilities within 1e-4 of the head's
//! softmax. Labels come back from the metadata; bad heads and models are typed errors.
//! (LiteRT runs the same files in `tests/litert/`.)

mod common;
use common::*;
use mobilenet_wasm::tflite::export::{Head, MAX_CLASSES, embedded_labels, export_tflite};
use mobilenet_wasm::{DType, Error, Model, Session, Value};

const IMAGES: [&str; 3] = ["cat", "bird", "parrot"];
/// Crops (x, y, side) of the 224×224 photos: taught on the first four, tested on the rest.
const TAUGHT: [(usize, usize, usize); 4] = [(0, 0, 160), (64, 0, 160), (0, 64, 160), (64, 64, 160)];
const HELD_BACK: [(usize, usize, usize); 3] = [(32, 32, 160), (16, 16, 192), (0, 0, 224)];

/// An RGBA frame of a crop of a 224×224 RGB photo (the reference input of the 1.0/224 model).
fn crop(rgb: &[u8], (x0, y0, side): (usize, usize, usize)) -> Vec<u8> {
    let mut out = Vec::with_capacity(side * side * 4);
    for y in y0..y0 + side {
        for x in x0..x0 + side {
            let p = (y * 224 + x) * 3;
            out.extend_from_slice(&[rgb[p], rgb[p + 1], rgb[p + 2], 255]);
        }
    }
    out
}

fn photo(name: &str) -> Vec<u8> {
    read(&reference_dir().join(format!("mobilenet_v1_1.0_224_quant/{name}.input.bin")))
}

fn embed(s: &mut Session, frame: &[u8], side: usize) -> Vec<f32> {
    let mut e = vec![0.0; s.embedding_len().unwrap()];
    s.embed_rgba(frame, side, side, &mut e).unwrap();
    e
}

struct Taught {
    weights: Vec<f32>,
    bias: Vec<f32>,
    features: usize,
    /// The embeddings taught on (calibration).
    examples: Vec<f32>,
}

/// Nearest class mean as a linear head: logit_k = τ(2μ_k·e − |μ_k|²), τ so that the closest two
/// means are 8 logits apart.
fn teach(s: &mut Session) -> Taught {
    let mut means = Vec::new();
    let mut examples = Vec::new();
    for name in IMAGES {
        let rgb = photo(name);
        let mut mean = vec![0f64; s.embedding_len().unwrap()];
        for c in TAUGHT {
            let e = embed(s, &crop(&rgb, c), c.2);
            for (m, v) in mean.iter_mut().zip(&e) {
                *m += f64::from(*v) / TAUGHT.len() as f64;
            }
            examples.extend(e);
        }
        means.push(mean);
    }
    let d2 = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f64>();
    let closest = (0..3)
        .flat_map(|i| (i + 1..3).map(move |j| (i, j)))
        .map(|(i, j)| d2(&means[i], &means[j]))
        .fold(f64::INFINITY, f64::min);
    let tau = 8.0 / closest;
    let features = means[0].len();
    let weights = means.iter().flat_map(|m| m.iter().map(move |v| (2.0 * tau * v) as f32)).collect();
    let bias = means.iter().map(|m| (-tau * m.iter().map(|v| v * v).sum::<f64>()) as f32).collect();
    Taught { weights, bias, features, examples }
}

fn head_logits(t: &Taught, e: &[f32]) -> Vec<f64> {
    (0..3)
        .map(|k| {
            f64::from(t.bias[k])
                + t.weights[k * t.features..(k + 1) * t.features]
                    .iter()
                    .zip(e)
                    .map(|(w, x)| f64::from(*w) * f64::from(*x))
                    .sum::<f64>()
        })
        .collect()
}

fn labels() -> Vec<String> {
    IMAGES.iter().map(|s| format!("my {s}")).collect()
}

fn check(name: &str) {
    let original = model_bytes(name);
    let mut base = Session::new(Model::from_tflite(&original).unwrap()).unwrap();
    let taught = teach(&mut base);
    let labels = labels();
    let head = Head {
        classes: 3,
        features: taught.features,
        weights: &taught.weights,
        bias: &taught.bias,
        labels: &labels,
    };
    let float = name.contains("float");
    // Calibration only sets the uint8 logits' scale: a float model is exported once.
    for calibrated in if float { &[true][..] } else { &[true, false][..] } {
        let calibrated = *calibrated;
        let what = format!("{name} ({})", if calibrated { "calibrated" } else { "uncalibrated" });
        let bytes = export_tflite(&original, &head, calibrated.then_some(&taught.examples[..])).unwrap();
        assert_eq!(embedded_labels(&bytes), Some(labels.clone()), "{what}");
        let model = Model::from_tflite(&bytes).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(model.classes(), 3, "{what}");
        let mut s = Session::new(model).unwrap();
        assert_eq!(s.output_len(), 3);
        let logits_layer = s.layer_shapes().len() - 3;
        for (truth, image) in IMAGES.iter().enumerate() {
            let rgb = photo(image);
            for c in HELD_BACK {
                let frame = crop(&rgb, c);
                let e = embed(&mut base, &frame, c.2);
                if calibrated {
                    assert_eq!(embed(&mut s, &frame, c.2), e, "{what}: the embedding is the original's");
                }
                let logits = head_logits(&taught, &e);
                let predicted = top_k(&logits, 1)[0];
                assert_eq!(predicted, truth, "{what} {image} {c:?}: the head itself");
                let mut scores = vec![0f32; 3];
                s.classify_rgba(&frame, c.2, c.2, &mut scores).unwrap();
                assert_eq!(
                    top_k(&scores, 1)[0],
                    predicted,
                    "{what} {image} {c:?}: scores {scores:?}, head logits {logits:?}"
                );
                match s.model().dtype() {
                    DType::U8 => {
                        // The input tensor the session built from the frame, run again to see the logits.
                        let input = s.input_mut::<u8>().unwrap().to_vec();
                        let mut raw_logits = Vec::new();
                        s.run_observed(&input, &mut |i, out| {
                            if i == logits_layer {
                                raw_logits = out.to_vec();
                            }
                        })
                        .unwrap();
                        if calibrated {
                            assert!(
                                raw_logits.iter().all(|&q| q != 0 && q != 255),
                                "{what} {image} {c:?}: logits {raw_logits:?} saturate"
                            );
                        }
                    }
                    DType::F32 => {
                        let max = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                        let ex: Vec<f64> = logits.iter().map(|l| (l - max).exp()).collect();
                        let sum: f64 = ex.iter().sum();
                        for (k, (&got, want)) in scores.iter().zip(ex.iter().map(|v| v / sum)).enumerate() {
                            assert!(
                                (f64::from(got) - want).abs() <= 1e-4,
                                "{what} {image} {c:?}: p[{k}] {got} vs {want}"
                            );
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn quant_0_25_128() {
    check("mobilenet_v1_0.25_128_quant");
}
#[test]
fn quant_0_5_160() {
    check("mobilenet_v1_0.5_160_quant");
}
#[test]
fn quant_0_75_192() {
    check("mobilenet_v1_0.75_192_quant");
}
#[test]
fn quant_1_0_224() {
    check("mobilenet_v1_1.0_224_quant");
}
#[test]
fn float_0_25_128() {
    check("mobilenet_v1_0.25_128_float");
}
#[test]
fn float_0_5_160() {
    check("mobilenet_v1_0.5_160_float");
}
#[test]
fn float_0_75_192() {
    check("mobilenet_v1_0.75_192_float");
}
#[test]
fn float_1_0_224() {
    check("mobilenet_v1_1.0_224_float");
}

#[test]
fn an_exported_model_exports_again_and_the_original_has_no_labels() {
    let original = model_bytes("mobilenet_v1_0.25_128_quant");
    assert_eq!(embedded_labels(&original), None);
    let w = vec![0.01f32; 2 * 256];
    let head = Head { classes: 2, features: 256, weights: &w, bias: &[0.5, -0.5], labels: &[] };
    let once = export_tflite(&original, &head, None).unwrap();
    assert_eq!(embedded_labels(&once), None);
    let labels = labels();
    let w3 = vec![-0.02f32; 3 * 256];
    let head3 = Head { classes: 3, features: 256, weights: &w3, bias: &[1.0, 0.0, -1.0], labels: &labels };
    let twice = export_tflite(&once, &head3, None).unwrap();
    assert_eq!(Model::from_tflite(&twice).unwrap().classes(), 3);
    assert_eq!(embedded_labels(&twice), Some(labels));
    // Equal weights: the bias decides (class 0).
    let mut s = Session::new(Model::from_tflite(&twice).unwrap()).unwrap();
    let out = s.run(&vec![128u8; 128 * 128 * 3]).unwrap().to_vec();
    assert_eq!(top_k(&out, 1), [0], "{out:?}");
    assert!(out[0] > out[1] && out[1] > out[2], "{out:?}");
    // The file is smaller than the original: 1001×256 weights became 3×256.
    assert!(twice.len() < original.len() - 200_000, "{} vs {}", twice.len(), original.len());
}

#[test]
fn bad_heads_and_models_are_typed_errors() {
    let original = model_bytes("mobilenet_v1_0.25_128_float");
    let w = vec![0.1f32; 2 * 256];
    let b = [0.0f32, 0.0];
    let ok = Head { classes: 2, features: 256, weights: &w, bias: &b, labels: &[] };
    assert!(export_tflite(&original, &ok, None).is_ok());
    // (what, found, expected) of an InputInvalid error.
    let invalid = |head: Head<'_>, cal: Option<&[f32]>, what: &str| match export_tflite(&original, &head, cal)
    {
        Err(Error::InputInvalid(d)) if d.what == what => (d.found, d.expected),
        other => panic!("expected InputInvalid {what:?}, got {:?}", other.map(|b| b.len())),
    };
    let (int, text) = (|v: i64| Some(Value::Int(v)), |v: &str| Some(Value::Text(v.into())));
    assert_eq!(invalid(Head { features: 1024, ..ok }, None, "head_features"), (int(1024), int(256)));
    assert_eq!(invalid(Head { weights: &w[..100], ..ok }, None, "head_weights"), (int(100), int(512)));
    assert_eq!(invalid(Head { bias: &b[..1], ..ok }, None, "head_bias_values"), (int(1), int(2)));
    assert_eq!(invalid(Head { classes: 0, weights: &[], bias: &[], ..ok }, None, "head_classes").0, int(0));
    let mut nan = w.clone();
    nan[300] = f32::NAN;
    let (found, expected) = invalid(Head { weights: &nan, ..ok }, None, "head_weight_not_finite");
    assert!(matches!(found, Some(Value::Float(v)) if v.is_nan()));
    assert_eq!(expected, text("a finite value at weight 300 (class 1, feature 44)"));
    let (found, _) = invalid(Head { bias: &[0.0, f32::INFINITY], ..ok }, None, "head_bias_not_finite");
    assert_eq!(found, Some(Value::Float(f64::INFINITY)));
    let one = vec!["a".to_string()];
    assert_eq!(invalid(Head { labels: &one, ..ok }, None, "label_count"), (int(1), int(2)));
    let newline = vec!["a".to_string(), "b\nc".to_string()];
    assert_eq!(invalid(Head { labels: &newline, ..ok }, None, "label_with_line_break").0, text("\"b\\nc\""));
    assert_eq!(invalid(ok, Some(&[0.5; 300]), "calibration_values").0, int(300));
    let (found, expected) = invalid(ok, Some(&[f32::NAN; 256]), "calibration_value_not_finite");
    assert!(matches!(found, Some(Value::Float(v)) if v.is_nan()));
    assert_eq!(expected, text("a finite value at 0"));
    assert!(matches!(
        export_tflite(&original, &Head { classes: 200_000, weights: &[], bias: &[], ..ok }, None),
        Err(Error::LimitsExceeded(d)) if d.what == "head_classes" && d.limit == Some(MAX_CLASSES as u64)
    ));
    // Not a model; a model without the 1×1 logits convolution.
    assert!(matches!(
        export_tflite(b"not a model at all", &ok, None),
        Err(Error::ModelMalformed(d)) if d.what == "file_identifier"
    ));
    let tiny = tiny::tiny_quant().to_bytes();
    match export_tflite(&tiny, &Head { features: 4, weights: &[0.0; 8], ..ok }, None) {
        Err(Error::ModelUnsupported(d)) => {
            assert_eq!(d.what, "classifier");
            assert_eq!(
                d.found,
                Some(Value::Text("DEPTHWISE_CONV_2D → AVERAGE_POOL_2D → RESHAPE → SOFTMAX".into()))
            );
        }
        other => panic!("expected ModelUnsupported, got {:?}", other.map(|b| b.len())),
    }
}
